"""Leave-one-domain-out (LODO) validation: a model-selection rule for DG that reads other runs.

DomainBed's ``LeaveOneOutSelectionMethod`` (Gulrajani & Lopez-Paz 2021), adapted to choosing a
*step* of one training (our rules choose checkpoints, ``workbench.selection``). For a DG run
whose source domains are ``D1..Dk``, auxiliary run ``i`` is the same config (method,
hyper-parameters, seed, steps, evaluation schedule) with ``Di`` held out as a pseudo-target:
sources ``D1..Dk`` without ``Di``, target ``Di`` (all of ``Di``'s samples; statistics of the
remaining sources, as for any DG run). The auxiliary runs never see the real target.

    score(s) = mean_i  aux_i.history[s]["target_test_acc"]      (the held-out *source* domain's accuracy)
    s*       = argmax_s score(s)          ties: the later step (as ``source_val``)
    result   = main.history[s*]           the real target's accuracy at s*, the only target read

The domains left out are the config's source *domains* as ``RunConfig.source`` spells them:
with the ``harood_cross_person`` grouping, the 4 source groups, so LODO costs k = 4 extra
trainings per run (a source group of one subject is fine). With ``source_domains='subject'``
each source subject would be left out in turn (8-12 extra runs on HAR); we do not split groups
further, the domains a method sees are the ones left out.

The result is read from the main run's history, not from a stored checkpoint: LODO's step is
generally no stored rule's step. ``history[s]["target_test_acc"]`` is what ``final_metrics``
gives for the checkpoint of step ``s`` (both evaluate the same weights in eval mode on the
same target split; ``tests/test_dg_lodo.py`` checks it); macro-F1 is not in the history, so a
LODO row has the accuracy only.
"""
from __future__ import annotations

import json
from dataclasses import asdict, replace

import numpy as np

from workbench.data.domain import DataError
from workbench.dg.data import DGScenario
from workbench.train import Run, RunConfig

#: How LODO numbers are labelled in tables (it reads no target label to choose).
LABEL = "leave-one-domain-out validation (mean held-out source-domain accuracy of the auxiliary runs)"
#: The ``selection`` column value of LODO rows.
NAME = "lodo"


def lodo_configs(config: RunConfig) -> list[RunConfig]:
    """The auxiliary runs of ``config``: one per source domain, that domain held out as the target."""
    if config.kind != "dg":
        raise ValueError(f"leave-one-domain-out validation is for 'dg' runs, not kind {config.kind!r}")
    scenario = DGScenario.parse(config.dataset, config.source, config.target, config.scenario_list)
    if len(scenario.sources) < 2:
        raise DataError(f"{scenario}: leave-one-domain-out needs at least two source domains, it has "
                        f"{len(scenario.sources)}; use selection 'source_val'")
    auxiliary = []
    for held, domain in enumerate(scenario.sources):
        rest = DGScenario(scenario.dataset, scenario.sources[:held] + scenario.sources[held + 1:], domain,
                          scenario.scenario_list)
        auxiliary.append(replace(config, source=rest.source_text, target=rest.target_text))
    return auxiliary


def _by_step(run: Run) -> dict[int, dict]:
    return {int(record["step"]): record for record in run.history if "target_test_acc" in record}


def lodo_scores(auxiliary: list[Run]) -> dict[int, float]:
    """Step -> mean held-out accuracy of the auxiliary runs (every run must share the schedule)."""
    if not auxiliary:
        raise ValueError("leave-one-domain-out needs its auxiliary runs; none were given")
    histories = [_by_step(run) for run in auxiliary]
    steps = sorted(histories[0])
    for run, history in zip(auxiliary, histories):
        if sorted(history) != steps:
            raise ValueError(f"auxiliary run {run.run_id} evaluated at steps {sorted(history)}, another at "
                             f"{steps}; LODO needs one evaluation schedule (same steps and eval_every)")
    return {step: float(np.mean([h[step]["target_test_acc"] for h in histories])) for step in steps}


def lodo_step(auxiliary: list[Run]) -> tuple[int, float]:
    """``(s*, score)``: the step of the best LODO score, the later of ties. Reads no main run."""
    scores = lodo_scores(auxiliary)
    best = max(scores.values())
    step = max(s for s, score in scores.items() if score == best)
    return step, best


def lodo_select(main: Run, auxiliary: list[Run]) -> dict:
    """``{"step", "metrics"}`` of ``main`` chosen by LODO on its ``auxiliary`` runs.

    ``metrics``: ``target_test_acc`` (the real target, read at ``s*`` only), the main run's
    ``source_val_acc`` there, ``lodo_val_acc`` (the score) and ``selected_step``.
    """
    step, score = lodo_step(auxiliary)
    record = _by_step(main).get(step)
    if record is None:
        raise ValueError(f"run {main.run_id} has no evaluation at step {step}, which LODO chose; its main and "
                         "auxiliary runs must share one evaluation schedule")
    metrics = {"target_test_acc": record["target_test_acc"], "source_val_acc": record.get("source_val_acc"),
               "lodo_val_acc": score, "selected_step": float(step)}
    return {"step": step, "metrics": metrics}


def _key(config: RunConfig) -> str:
    return json.dumps({**asdict(config), "selection": None}, sort_keys=True, default=str)


def with_auxiliary(planned: list[RunConfig]) -> list[RunConfig]:
    """``planned`` followed by every auxiliary run they need (each once): the list to sweep."""
    seen = {_key(c) for c in planned}
    extra = []
    for config in planned:
        for aux in lodo_configs(config):
            if _key(aux) not in seen:
                seen.add(_key(aux))
                extra.append(aux)
    return [*planned, *extra]


def lodo_frame(planned: list[RunConfig], swept: list[RunConfig], ids: list[str], store):
    """``runs_frame``-like rows of ``planned`` read by LODO. ``swept``/``ids``: the configs given
    to ``sweep`` (``with_auxiliary(planned)``) and the ids it returned."""
    import pandas as pd
    from workbench.sweep import open_store, runs_frame
    results = open_store(store)
    id_of = {_key(c): rid for c, rid in zip(swept, ids)}
    rows = []
    for config in planned:
        group = [config, *lodo_configs(config)]
        missing = [c for c in group if _key(c) not in id_of]
        if missing:
            raise KeyError(f"{missing[0].method} {missing[0].source}->{missing[0].target} seed {missing[0].seed} "
                           "was not swept; sweep with_auxiliary(planned) and pass its configs and ids")
        group_ids = [id_of[_key(c)] for c in group]
        described = runs_frame(group, group_ids, results).to_dict("records")   # a clear error for a missing run
        main, *auxiliary = [results.get(rid, with_state=False) for rid in group_ids]
        chosen = lodo_select(main, auxiliary)
        rows.append({**{k: described[0][k] for k in CONFIG_COLUMNS}, "selection": NAME, **chosen["metrics"],
                     "seconds": main.seconds, "lodo_seconds": float(sum(a.seconds for a in auxiliary))})
    return pd.DataFrame(rows)


#: The columns of a ``runs_frame`` row that describe the run, not one rule's reading of it.
CONFIG_COLUMNS = ("run_id", "method", "dataset", "source", "target", "scenario_list", "seed", "steps", "kind",
                  "device", "parent_id")
