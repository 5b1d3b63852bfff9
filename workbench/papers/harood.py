"""HAROOD-style cross-person DG tables (Lu et al. 2025, "HAROOD"; AIFrontierLab/HAROOD): methods x
held-out group, mean ± std over seeds, one column block per selection rule, ERM as the reference row.

``configs`` plans the ``dg`` runs of a leave-one-group-out list; ``with_lodo`` adds the
auxiliary runs leave-one-domain-out validation needs (``workbench.dg.lodo``); ``loader`` gives
in-process sweeps the data (cached per scenario; the synthetic benchmark at a chosen size);
``frames`` reads the swept runs by each rule (``RULES``: training-domain validation, LODO, the
ORACLE); ``table`` turns one rule's rows into the table, the best method per column marked,
``blocks`` puts the rules' tables side by side, and
``win_tie_loss`` counts each method against ERM per held-out group (a tie: the difference of
the seed means is within one pooled standard deviation of them).
"""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np
import pandas as pd

from workbench.data.synthetic import Synthetic
from workbench.dg import lodo
from workbench.dg.data import DGScenario, load_dg
from workbench.dg.scenarios import dg_scenarios
from workbench.sweep import runs_frame
from workbench.train import RunConfig

REFERENCE = "ERM"
#: Selection rule -> the title of its column block (the ORACLE always labelled so).
RULES = {"source_val": "training-domain validation", lodo.NAME: "leave-one-domain-out validation",
         "oracle": "ORACLE (best target accuracy: reads target labels)"}


def configs(dataset: str, methods, seeds, groups=None, steps: int = 500, batch_size: int = 32,
            eval_every: int = 50, hparams: dict | None = None, method_hparams: dict | None = None, root=None,
            source_domains: str = "group", selection: str = "source_val") -> list[RunConfig]:
    """The ``dg`` runs of ``harood_cross_person`` on ``dataset``: methods x held-out groups x seeds.

    ``groups``: indices of the held-out groups to run (``None``: all). ``hparams``: overrides
    for every method (e.g. a small backbone); ``method_hparams``: method -> its own overrides.
    """
    scenarios = dg_scenarios(dataset, root=root, source_domains=source_domains)
    chosen = [scenarios[i] for i in (range(len(scenarios)) if groups is None else groups)]
    return [RunConfig(method, dataset, s.source_text, s.target_text, s.scenario_list, hparams={**(hparams or {}), **(method_hparams or {}).get(method, {})},
                      seed=int(seed), steps=steps, batch_size=batch_size, eval_every=eval_every,
                      selection=selection, kind="dg")
            for s in chosen for method in methods for seed in seeds]


def with_selection(planned: list[RunConfig], selection: str) -> list[RunConfig]:
    """The same runs read by another rule (selection is not part of a run's id)."""
    return [replace(c, selection=selection) for c in planned]


def with_lodo(planned: list[RunConfig]) -> list[RunConfig]:
    """The runs to sweep for every rule of ``RULES``: ``planned`` first, then LODO's auxiliary
    runs (each source group held out once; ``len(planned)`` x 4 more trainings)."""
    return lodo.with_auxiliary(planned)


def frames(planned: list[RunConfig], swept: list[RunConfig], ids: list[str], store,
           rules=tuple(RULES)) -> dict[str, pd.DataFrame]:
    """Rule -> ``runs_frame`` rows of ``planned`` read by that rule. ``swept`` / ``ids``: what was
    given to ``sweep`` and what it returned (``with_lodo(planned)`` when ``rules`` has ``lodo``)."""
    main_ids = ids[:len(planned)]   # planned come first in what was swept
    return {rule: lodo.lodo_frame(planned, swept, ids, store) if rule == lodo.NAME
            else runs_frame(with_selection(planned, rule), main_ids, store) for rule in rules}


def loader(root=None, synthetic_sizes: dict | None = None):
    """``config -> DGData`` for in-process sweeps, each scenario loaded once."""
    dataset = Synthetic(split_sizes=synthetic_sizes) if synthetic_sizes else None

    @lru_cache(maxsize=32)   # a LODO table reads 5 scenarios per held-out group
    def load(name: str, source: str, target: str):
        return load_dg(DGScenario.parse(name, source, target), root,
                       dataset if name == "synthetic" else None)

    return lambda config: load(config.dataset, config.source, config.target)


def _group_label(target: str) -> str:
    return f"held out {target.replace('+', ',')}"


def table(frame: pd.DataFrame, metric: str = "target_test_acc") -> pd.DataFrame:
    """Methods (ERM first) x held-out groups (+ mean over groups): ``mean ± std`` over seeds,
    the best method per column in ``**bold**``. ``frame``: ``runs_frame`` rows of one selection."""
    frame = frame.assign(group=frame.target.map(_group_label))
    per_seed_avg = frame.groupby(["method", "seed"])[metric].mean().reset_index().assign(group="mean over groups")
    stats = pd.concat([frame, per_seed_avg]).groupby(["method", "group"])[metric].agg(["mean", "std"])
    means, stds = stats["mean"].unstack(), stats["std"].unstack().fillna(0.0)
    columns = [*sorted(c for c in means.columns if c != "mean over groups"), "mean over groups"]
    order = [REFERENCE] * (REFERENCE in means.index) + sorted(m for m in means.index if m != REFERENCE)
    means, stds = means.loc[order, columns], stds.loc[order, columns]
    cells = means.map(lambda v: f"{100 * v:.1f}") + " ± " + stds.map(lambda v: f"{100 * v:.1f}")
    for column in columns:
        best = means[column].idxmax()
        cells.loc[best, column] = f"**{cells.loc[best, column]}**"
    cells.index.name = "method"
    return cells


def blocks(by_rule: dict[str, pd.DataFrame], metric: str = "target_test_acc") -> pd.DataFrame:
    """``table`` of each rule's rows side by side: one column block per rule, titled by ``RULES``."""
    return pd.concat({RULES.get(rule, rule): table(frame, metric) for rule, frame in by_rule.items()}, axis=1)


def win_tie_loss(frame: pd.DataFrame, metric: str = "target_test_acc") -> pd.DataFrame:
    """Per method: held-out groups where it beats / ties / loses to ERM beyond seed noise."""
    stats = frame.groupby(["method", "target"])[metric].agg(["mean", "std"]).fillna(0.0)
    rows = []
    for method in sorted(m for m in stats.index.get_level_values(0).unique() if m != REFERENCE):
        counts = {"win": 0, "tie": 0, "loss": 0}
        for target in stats.loc[method].index:
            ours, ref = stats.loc[(method, target)], stats.loc[(REFERENCE, target)]
            noise = float(np.sqrt((ours["std"] ** 2 + ref["std"] ** 2) / 2))
            gap = ours["mean"] - ref["mean"]
            counts["tie" if abs(gap) <= noise else "win" if gap > 0 else "loss"] += 1
        rows.append({"method": method, **counts})
    return pd.DataFrame(rows).set_index("method")
