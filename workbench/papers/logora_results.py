"""LogoRA's Table II from a committed runs file (issue 15): results that travel.

A runs file (``workbench.results_export``) written for Table II carries its *plan* in the
header (dataset, pairs, methods, seeds, steps, preset, per-method overrides). ``render_table2``
imports the runs into an in-memory store, rebuilds the plan's configs, checks that each run is
there under the id this code computes, and renders with ``logora.table2_of``, the renderer a
sweep uses: so ``papermill notebooks/table2.ipynb -p results results/table2_paper/runs_hhar.jsonl``
shows the table in seconds and trains nothing. A pair with none of its runs in the file is left
out (and the table says so); a pair with only some of them is an error.

``gap_markdown`` writes the comparison with the paper from the numbers: the averages beside the
paper's, the proposed method against the best other method pair by pair, what differs in the
protocol, and whether the runs had converged (from their source-validation curves).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.data.domain import Scenario
from workbench.papers.logora import FIGURE_PAIRS, Table2Result, table2_of
from workbench.results_export import load_export, read_export
from workbench.sweep import plan as plan_configs
from workbench.tables import BOUNDS, Table
from workbench.train import RunConfig, config_id

__all__ = ["read_plan", "plan_configs_of", "render_table2", "complete_pairs", "complete_pair_ids", "train_by_pair", "convergence", "gap_markdown",
           "CLUDA_STEPS", "explain_gap", "seed_noise"]

#: CLUDA's published training length: ``main/train.py`` of github.com/oezyurty/CLUDA stops at
#: ``--num_steps`` (default 1000) or ``--num_epochs`` (default 20), evaluating every 100 steps.
CLUDA_STEPS = 1000


def read_plan(path: str | Path) -> dict[str, Any]:
    return _plan(read_export(path)[0], path)


def _plan(header: dict[str, Any], path) -> dict[str, Any]:
    if "plan" not in header:
        raise ValueError(f"{path} has no Table II plan in its header: it was not written for Table II "
                         "(export it with plan=logora_results.table2_plan(...), as results/table2_paper/run.py does)")
    return header["plan"]


def plan_configs_of(plan: dict[str, Any], root=None) -> tuple[list[Scenario], list[RunConfig]]:
    scenarios = [Scenario(plan["dataset"], s, t, plan["scenario_list"]) for s, t in plan["pairs"]]
    configs = plan_configs(plan["methods"], scenarios, plan["seeds"], preset=plan["preset"], steps=plan["steps"],
                           root=root, hparams=plan["method_hparams"])
    return scenarios, configs


def render_table2(results: str | Path, data_root=None, proposed: str = "LogoRA") -> Table2Result:
    """Table II of the runs file ``results`` (its plan, its runs); nothing is trained."""
    start = time.perf_counter()
    header, store = load_export(results)
    plan = _plan(header, results)
    scenarios, configs = plan_configs_of(plan, data_root)
    ids = [config_id(c, data_root)[0] for c in configs]
    keep, kept, dropped = complete_pairs(scenarios, configs, ids, store, results)
    table, frame = table2_of([configs[i] for i in keep], [ids[i] for i in keep], store, plan["dataset"],
                             plan["methods"], [s for s in scenarios if (s.source, s.target) in kept],
                             plan["preset"], plan["seeds"], plan["steps"], proposed)
    if dropped:
        table.notes.append(f"pairs not yet in {Path(results).name}: {', '.join(dropped)}; the Avg row is over the "
                           f"{len(kept)} complete pairs")
    text = f"rendered from {results}: {len(keep)} runs of {len(kept)} pairs, nothing trained ({header.get('command', '')})"
    return Table2Result(table, frame, time.perf_counter() - start, text, plan, store)


def complete_pairs(scenarios, configs, ids, store, results) -> tuple[list[int], set, list[str]]:
    """``(indices of the configs of complete pairs, those pairs, labels of the pairs with no run)``;
    a pair with only some of its runs is an error naming the fix."""
    kept, dropped = set(), []
    for scenario in scenarios:
        pair = (scenario.source, scenario.target)
        present = [store.has(i) for i, c in zip(ids, configs) if (c.source, c.target) == pair]
        if all(present):
            kept.add(pair)
        elif any(present):
            raise ValueError(f"{results}: pair {pair[0]}->{pair[1]} has {sum(present)} of its {len(present)} runs; "
                             "finish it (re-run the file's command, the store resumes) before rendering; or the data "
                             "under the data root differs from the data the runs were trained on")
        else:
            dropped.append(f"{pair[0]}→{pair[1]}")
    if not kept:
        raise ValueError(f"{results}: no pair has all its runs (is the data root the one the runs were made on?)")
    return [i for i, c in enumerate(configs) if (c.source, c.target) in kept], kept, dropped


def complete_pair_ids(configs, ids, store) -> list[str]:
    """The ids of ``configs`` whose pair has every run in ``store``: what a sitting exports while
    later pairs are still training (``complete_pairs`` is the strict check of a file)."""
    missing = {(c.source, c.target) for c, i in zip(configs, ids) if not store.has(i, c.selection)}
    return [i for c, i in zip(configs, ids) if (c.source, c.target) not in missing]


def chosen_pairs(dataset: str, pairs: list[str] | None = None) -> list[tuple[str, str]]:
    """The dataset's ten ``logora`` pairs, or only ``pairs`` (``["8-3", ...]``) so two workers can
    split a sitting (``--pairs`` of both drivers); a pair that is not one of them is refused by name."""
    from workbench.data.scenarios import scenarios
    known = {f"{s.source}-{s.target}": (s.source, s.target) for s in scenarios(dataset, "logora")}
    unknown = sorted(set(pairs or []) - set(known))
    if unknown:
        raise SystemExit(f"--pairs {' '.join(unknown)}: not {dataset}'s logora pairs; choose from {' '.join(known)}")
    return [known[p] for p in pairs] if pairs else list(known.values())


def train_by_pair(configs, pairs, dataset: str, store, root, label: str, committed=()) -> None:
    """Train ``configs`` pair by pair (every run of a pair before the next, so an interrupted
    sitting leaves complete pairs); a pair in ``FIGURE_PAIRS`` keeps its weights (Figs 8-9 map them).
    ``committed``: exports (``results/.../runs_*.jsonl``) put into ``store`` first, so a fresh
    clone trains only what they lack. The drivers' one loop (``results/table2_paper``, ``results/logora_ablations``)."""
    from workbench.results_export import import_new
    from workbench.sweep import sweep
    committed = sorted(committed)
    if committed:
        print(f"{label}: {import_new(committed, store)} runs new to the store from {len(committed)} committed "
              "exports", flush=True)
    for source, target in pairs:
        start = time.time()
        todo = [c for c in configs if (c.source, c.target) == (source, target)]
        sweep(todo, store=store, root=root, progress=False, keep_state=(dataset, source, target) in FIGURE_PAIRS)
        print(f"{label} {source}->{target}: {time.time() - start:.0f} s for {len(todo)} runs", flush=True)


def convergence(frame: pd.DataFrame, store) -> pd.DataFrame:
    """Per method, from each run's evaluations: mean source-validation accuracy at half the
    steps and at the end, and the share of runs whose kept checkpoint is in the last fifth
    (a run still improving when it stops keeps a late one). Target labels are not read."""
    rows = []
    for method, group in frame.groupby("method", sort=False):
        half, end = [], []
        for run_id, steps in zip(group["run_id"], group["steps"]):
            history = [h for h in store.get(run_id, with_state=False).history if "source_val_acc" in h]
            half.append(_at(history, steps / 2))
            end.append(history[-1]["source_val_acc"])
        late = (group["selected_step"] > 0.8 * group["steps"]).mean()
        rows.append({"method": method, "source_val_half": float(np.mean(half)), "source_val_end": float(np.mean(end)),
                     "gain_second_half": float(np.mean(end) - np.mean(half)), "kept_in_last_fifth": float(late)})
    return pd.DataFrame(rows).set_index("method")


def _at(history: list[dict], step: float) -> float:
    """Source-validation accuracy at the last evaluation at or before ``step``."""
    before = [h for h in history if h["step"] <= step] or history[:1]
    return before[-1]["source_val_acc"]


def paired_gap(table: Table, proposed: str) -> dict[str, Any] | None:
    """The proposed method against the best other competitor (by our Avg), pair by pair."""
    pairs = table.mean.index[:-1]
    others = [m for m in table.mean.columns if m != proposed and m not in BOUNDS]
    if proposed not in table.mean.columns or not others:
        return None
    rival = max(others, key=lambda m: table.mean.at["Avg", m])
    diff = (table.mean.loc[pairs, proposed] - table.mean.loc[pairs, rival]) * 100
    return {"rival": rival, "mean": float(diff.mean()), "std": float(diff.std(ddof=1)) if len(diff) > 1 else float("nan"),
            "wins": int((diff > 0).sum()), "losses": int((diff < 0).sum()), "pairs": len(diff)}


def seed_noise(runs: pd.DataFrame, proposed: str, rival: str) -> dict[str, Any] | None:
    """How far ``proposed - rival`` (target accuracy, points) stands beyond seed noise, from ``runs``
    (one row per run: ``method, source, target, seed, target_test_acc``); None under two seeds.

    ``per_seed``: the pair-averaged gap of each seed. ``within``: the pooled within-pair std over
    seeds of the per-pair gap (run-to-run noise). ``se``: the standard error that noise puts on the
    pair-averaged gap, ``within / sqrt(pairs x seeds)``. ``method_std``: per method, the std over
    seeds of its pair-averaged accuracy (the ± over seeds of a Table II average)."""
    both = runs[runs["method"].isin([proposed, rival])]
    acc = both.pivot_table(index=["source", "target", "seed"], columns="method", values="target_test_acc")
    seeds = sorted(acc.index.get_level_values("seed").unique())
    if len(seeds) < 2 or acc.isna().any().any():
        return None
    gap = (acc[proposed] - acc[rival]) * 100                                   # [pairs x seeds]
    by_pair = gap.unstack("seed")                                              # [pairs, seeds]
    within = float(np.sqrt(by_pair.var(axis=1, ddof=1).mean()))
    averages = acc.groupby(level="seed").mean()                                # [seeds, 2]
    return {"rival": rival, "seeds": seeds, "pairs": len(by_pair), "mean": float(gap.mean()),
            "per_seed": [float(v) for v in by_pair.mean(axis=0)], "within": within,
            "se": within / np.sqrt(by_pair.size), "method_std": {m: float(100 * averages[m].std(ddof=1)) for m in acc}}


def _seed_sentence(noise: dict[str, Any], proposed: str, paper_gap: float | None) -> str:
    per_seed = ", ".join(f"{v:+.1f}" for v in noise["per_seed"])
    spread = ", ".join(f"{m} ± {v:.1f}" for m, v in noise["method_std"].items())
    beyond = abs(noise["mean"]) > 2 * noise["se"]
    paper = ("" if paper_gap is None else f" The paper's {paper_gap:+.1f} is {abs(paper_gap - noise['mean']) / noise['se']:.1f} "
             "such standard errors from ours.")
    return (f"**Seed noise** (seeds {noise['seeds']}, {noise['pairs']} pairs): {proposed} - {noise['rival']}, averaged over "
            f"the pairs, is {per_seed} points per seed (mean {noise['mean']:+.1f}); the same pair's gap varies by "
            f"{noise['within']:.1f} points (std) from seed to seed, a standard error of {noise['se']:.1f} on the mean gap, "
            f"so the gap is {'beyond' if beyond else 'within'} twice the seed noise.{paper} Pair-averaged accuracy "
            f"over seeds (points): {spread}.")


def explain_gap(result: Table2Result, proposed: str = "LogoRA") -> str:
    """``gap_markdown`` of a ``run_table2`` / ``render_table2`` result (its plan, its runs and their curves)."""
    return gap_markdown(result.table, result.plan, convergence(result.runs, result.store), proposed, result.runs)


def gap_markdown(table: Table, plan: dict[str, Any], conv: pd.DataFrame, proposed: str = "LogoRA",
                 runs: pd.DataFrame | None = None) -> str:
    """The gap to the paper, in markdown, written from ``table``, ``conv`` (``convergence``) and,
    with two or more seeds, the seed noise of ``runs`` (``seed_noise``)."""
    avg, paper = table.mean.loc["Avg"], table.paper.loc["Avg"]
    lines = [f"**{plan['dataset']}, our averages beside the paper's** ({int(table.count.loc['Avg'].max())} pairs, "
             f"seeds {plan['seeds']}):", ""]
    for method in table.mean.columns:
        ref = "" if np.isnan(paper[method]) else f" (paper {paper[method]:.3f}, gap {100 * (avg[method] - paper[method]):+.1f} points)"
        lines.append(f"- {method}: {avg[method]:.3f}{ref}")
    gap, paper_gap = paired_gap(table, proposed), _paper_gap(table, proposed)
    lines += ["", _claim_sentence(gap, paper_gap, proposed)]
    noise = seed_noise(runs, proposed, gap["rival"]) if gap is not None and runs is not None else None
    if noise is not None:
        lines += ["", _seed_sentence(noise, proposed, paper_gap[1] if paper_gap else None)]
    lines += ["", _protocol_sentence(plan), "", _convergence_sentence(conv)]
    return "\n".join(lines) + "\n"


def _paper_gap(table: Table, proposed: str) -> tuple[str, float] | None:
    """``(rival, points)``: the paper's margin of ``proposed`` over the best in the paper of this
    table's other methods (the Avg row), or None."""
    paper = table.paper.loc["Avg"]
    rivals = [m for m in paper.index if m != proposed and m not in BOUNDS and not np.isnan(paper[m])]
    if not rivals or proposed not in paper.index or np.isnan(paper[proposed]):
        return None
    rival = max(rivals, key=lambda m: paper[m])
    return rival, float(100 * (paper[proposed] - paper[rival]))


def _claim_sentence(gap: dict[str, Any] | None, paper_gap: tuple[str, float] | None, proposed: str) -> str:
    """From ``paired_gap`` and ``_paper_gap``."""
    if gap is None:
        return (f"{proposed} has no competitor in this table (ERM and TargetOnly are bounds), so its claim is not "
                "tested here.")
    spread = "" if np.isnan(gap["std"]) else f" ± {gap['std']:.1f} (std across pairs)"
    said = (f" The paper has {proposed} {paper_gap[1]:+.1f} points over {paper_gap[0]}, the best in the paper of this "
            "table's other methods." if paper_gap is not None else "")
    return (f"**The claim**: against the best other method here, {gap['rival']}, {proposed} is "
            f"{gap['mean']:+.1f}{spread} points per pair: ahead on {gap['wins']}, level on "
            f"{gap['pairs'] - gap['wins'] - gap['losses']} and behind on {gap['losses']} of {gap['pairs']} pairs.{said}")


def _protocol_sentence(plan: dict[str, Any]) -> str:
    steps = plan["steps"]
    length = (f"{steps} steps of batch 32 (CLUDA's published script trains {CLUDA_STEPS}; fewer here for the CPU "
              "budget)" if steps else "the preset's length")
    overrides = "; ".join(f"{m}: {o}" for m, o in plan["method_hparams"].items()) or "none"
    return (f"**What differs from the paper**: length {length}; {len(plan['seeds'])} seed(s); every method at its "
            "default learning rate (the paper grid-searches it on source validation); the preset's backbone for "
            f"methods that take a common one (TCN under `logora`); per-method overrides: {overrides}; the checkpoint "
            "chosen on source validation.")


#: Source-validation accuracy from which a method with no gain over the second half has nothing
#: left to show there: its late checkpoints are ties, not evidence that it was still improving.
SATURATED = 0.98


def _convergence_sentence(conv: pd.DataFrame) -> str:
    fell = conv[conv["gain_second_half"] < -0.01]
    rest = conv.drop(fell.index)
    saturated = rest[(rest["gain_second_half"] <= 0.01) & (rest["source_val_end"] >= SATURATED)]
    rest = rest.drop(saturated.index)
    still = rest[(rest["gain_second_half"] > 0.01) | (rest["kept_in_last_fifth"] > 0.5)]
    rows = ", ".join(f"{m} {100 * r.gain_second_half:+.1f} points in the second half, {100 * r.kept_in_last_fifth:.0f} % "
                     "of runs keep a checkpoint from the last fifth" for m, r in still.iterrows())
    if still.empty:
        text = ("**Convergence**: no method's source-validation accuracy rose by more than 1 point over the second "
                "half of training, and most runs kept an earlier checkpoint: the runs had levelled off.")
    else:
        text = (f"**Convergence**: still improving when stopped (source validation): {rows}. Their numbers are lower "
                "bounds on what longer training gives.")
    if not saturated.empty:
        tops = ", ".join(f"{m} ({r.source_val_end:.3f})" for m, r in saturated.iterrows())
        text += (f" Levelled off at the top of source validation (at least {SATURATED} at the end, no gain over the "
                 f"second half): {tops}; a late checkpoint there is a tie, not a sign of improvement.")
    if not fell.empty:
        drops = ", ".join(f"{m} {100 * r.gain_second_half:+.1f} points" for m, r in fell.iterrows())
        text += (f" Source-validation accuracy fell over the second half for {drops}: unstable training, which the "
                 "checkpoint chosen on source validation partly guards against.")
    return text
