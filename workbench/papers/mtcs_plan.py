"""The pre-registered plan for "why MTCS does not beat MTL here" (``results/mtcs/diagnosis.md`` §4).

Variants of MTCS, each one reading of the paper's text or one changed number, are compared on a
validation part of each dataset's **training** split (``mtcs.validation_data``); the best by mean
validation accuracy (ties within ``TIE`` to the one earlier in ``VARIANTS``, i.e. closer to the text)
is retrained with MTL on the full training sets over more seeds and read on test once.
"MTCS > MTL" is claimed only if the paired test difference is positive in ``WIN_SEEDS`` of them.

``validation_rows`` / ``final_rows``: long tables (one row per variant, method, seed and dataset)
from runs in a results store; ``choose_variant`` and ``decision``: the fixed rules on them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from workbench.papers.mtcs import (FIG2_RELATED_PAIRS, compare_methods, seeds_mean_std, summary_with_paper,
                                   validation_data)
from workbench.sweep import NotStored

__all__ = ["Variant", "VARIANTS", "TIE", "WIN_SEEDS", "variant", "validation_rows", "final_rows",
           "choose_variant", "decision", "final_markdown", "final_from_results"]


@dataclass(frozen=True)
class Variant:
    """One arm of the plan: MTCS's hyper-parameters, the epochs, and the seeds on validation."""

    name: str
    why: str
    hparams: dict = field(default_factory=dict)
    epochs: int = 5
    seeds: tuple[int, ...] = (0, 1, 2)


#: In the order ties are broken: the paper as written, then its other readings, then changed numbers.
VARIANTS = (
    Variant("V0", "the paper as written (alpha 0.1, tau 2, Eq. 3-5, 5 epochs)"),
    Variant("V1", "Eq. 3's distance averaged over D (an 'MSE', audit row 1)", {"distance": "mean"}),
    Variant("V6", "relevance from the cosine of logits (§3.1's words, audit row 2)", {"affinity": "cosine"}),
    Variant("V2a", "alpha 0.01 (audit rows 1, 8)", {"alpha": 0.01}),
    Variant("V2b", "alpha 1 (audit rows 1, 8)", {"alpha": 1.0}),
    Variant("V3a", "tau 1.5: more ties (audit row 4)", {"tau": 1.5}),
    Variant("V3b", "tau 4: fewer ties (audit row 4)", {"tau": 4.0}),
    Variant("V5", "sharing only between the paper's four related pairs (§4.4.3, audit rows 7, 13)",
            {"share_pairs": ",".join(f"{a}/{b}" for a, b in FIG2_RELATED_PAIRS)}),
    Variant("V4", "20 epochs, heads informative enough to tie (audit row 12)", epochs=20, seeds=(0, 1)),
)
TIE = 0.002          # validation accuracy within this of the best: the earlier variant wins
WIN_SEEDS = (4, 5)   # MTCS > MTL needs a positive paired test difference in 4 of 5 seeds


def variant(name: str) -> Variant:
    """The plan's variant ``name``; an unknown name lists them."""
    for arm in VARIANTS:
        if arm.name == name:
            return arm
    raise KeyError(f"no variant {name!r} in the plan; it has {', '.join(v.name for v in VARIANTS)}")


def _methods(arm: Variant, with_mtl: bool, methods) -> tuple[str, ...]:
    """MTCS (and MTL where the arm has it), kept to ``methods`` when given; a name outside them is refused."""
    own = ("MTCS", "MTL") if with_mtl else ("MTCS",)
    if methods is None:
        return own
    unknown = sorted(set(methods) - set(own))
    if unknown:
        raise ValueError(f"{arm.name} runs {' and '.join(own)} here, not {', '.join(unknown)}; "
                         f"pass --methods among {' '.join(own)}")
    return tuple(m for m in own if m in methods)


def _rows(data, arm: Variant, seeds, store, with_mtl: bool, progress: bool, methods=None, stored_only=False):
    """MTCS of ``arm`` (and MTL at the same epochs) over ``data`` for ``seeds``: one table.
    ``methods`` keeps only some of them (two workers can split one seed); ``stored_only``: train nothing."""
    import pandas as pd

    options = {"MTCS": arm.hparams, "MTL": {}}
    parts = [compare_methods(data, (m,), arm.epochs, seeds=tuple(seeds), encoder_options=options[m] or None,
                             store=store, progress=progress, stored_only=stored_only)
             for m in _methods(arm, with_mtl, methods)]
    table = pd.concat(parts, ignore_index=True)
    table.insert(0, "variant", arm.name)
    return table


def validation_rows(data, names=None, seeds=None, store=None, progress: bool = False, methods=None,
                    stored_only: bool = False):
    """Each named variant (default: all) on ``validation_data(data)``, MTL beside V0 and V4
    (``methods``: only these of the two); ``val_acc`` is the validation part's accuracy (the runs'
    ``test_acc`` on that data)."""
    import pandas as pd

    held = validation_data(data)
    arms = [variant(n) for n in names] if names else list(VARIANTS)
    tables = [_rows(held, arm, seeds or arm.seeds, store, arm.name in ("V0", "V4"), progress, methods, stored_only)
              for arm in arms]
    return pd.concat(tables, ignore_index=True).rename(columns={"test_acc": "val_acc"})


def choose_variant(rows) -> tuple[str, "object"]:
    """The pre-registered choice on ``validation_rows``: MTCS variants by mean validation accuracy
    (datasets, then seeds); within ``TIE`` of the best, the earliest in ``VARIANTS``. Returns the
    name and the per-variant means (in ``VARIANTS`` order)."""
    mtcs = rows[rows.method == "MTCS"]
    incomplete = [v.name for v in VARIANTS if set(v.seeds) - set(mtcs[mtcs.variant == v.name].seed)]
    if incomplete:
        raise ValueError(f"the plan's choice needs every variant at its seeds; {', '.join(incomplete)} "
                         "are missing some: run `results/mtcs/run_plan.py validate --variants "
                         f"{' '.join(incomplete)}` first")
    per_seed = mtcs.groupby(["variant", "seed"]).val_acc.mean()
    means = per_seed.groupby("variant").mean()
    order = [v.name for v in VARIANTS if v.name in means.index]
    means = means.loc[order]
    best = means.max()
    return next(name for name in order if means[name] >= best - TIE), means


def final_rows(data, name: str, seeds=(0, 1, 2, 3, 4), store=None, progress: bool = False, methods=None,
               stored_only: bool = False):
    """The chosen variant's MTCS and MTL at its epochs on the full training sets, scored on test
    (``methods``: only these of the two; ``stored_only``: train nothing)."""
    return _rows(data, variant(name), seeds, store, True, progress, methods, stored_only)


def final_from_results(path, data, name: str | None = None) -> tuple[str, "object"]:
    """``(variant, rows)`` of the final in a committed runs file (``results/mtcs/plan_runs.jsonl``),
    training nothing: the variant ``name`` (default: the one the fixed rule chooses from the file's
    validation runs) and its MTCS and MTL at each of seeds ``0 .. WIN_SEEDS[1] - 1`` the file holds (a
    seed may have one of the two, as in ``plan_final.md`` while a sitting is under way)."""
    import pandas as pd

    from workbench.results_export import load_export
    _, store = load_export(path)
    name = name or choose_variant(validation_rows(data, store=store, stored_only=True))[0]
    parts = []
    for seed in range(WIN_SEEDS[1]):
        for method in ("MTCS", "MTL"):
            try:
                parts.append(final_rows(data, name, (seed,), store, methods=(method,), stored_only=True))
            except NotStored:                    # not run yet: that seed and method are left out
                continue
    if not parts:
        raise KeyError(f"{path} holds no final run of {name} or MTL; run results/mtcs/run_plan.py final")
    return name, pd.concat(parts, ignore_index=True)


def decision(rows) -> dict:
    """Paired MTCS − MTL dataset-mean test accuracy per seed, and whether it is positive in
    ``WIN_SEEDS[0]`` of ``WIN_SEEDS[1]`` seeds. Before all of them have run the verdict is given only
    once the seeds still to run cannot change it (enough positive already, or too few left to reach
    it); otherwise there is none yet."""
    per = rows.groupby(["method", "seed"]).test_acc.mean().unstack("method").reindex(columns=["MTCS", "MTL"])
    diff = (per["MTCS"] - per["MTL"]).dropna()
    wins, needed, of = int((diff > 0).sum()), WIN_SEEDS[0], WIN_SEEDS[1]
    left = max(of - len(diff), 0)
    verdict = True if wins >= needed else False if wins + left < needed else None
    decided_early = left and verdict is not None
    early = f" (decided at {len(diff)} of {of} seeds: the {left} left cannot change it)" if decided_early else ""
    return {"differences": {int(s): float(d) for s, d in diff.items()}, "positive": wins, "seeds": len(diff),
            "mean": float(diff.mean()) if len(diff) else float("nan"),
            "verdict": {None: f"no verdict: {len(diff)} of {of} seeds", True: "MTCS > MTL",
                        False: "MTCS is not > MTL"}[verdict] + early}


def final_markdown(name: str, table) -> str:
    """The final read on test: per dataset our means over seeds beside the paper's, per seed the
    paired MTCS − MTL difference, and the fixed rule's verdict (``decision``)."""
    out = decision(table)
    seeds = sorted(table.seed.unique())
    lines = [f"# MTCS plan: the final ({name} and MTL on the full training sets, test read once)", "",
             f"Seeds run: {', '.join(map(str, seeds))}. Rule (fixed before any run): MTCS > MTL only if the "
             f"paired difference of the ten-dataset means is positive in {WIN_SEEDS[0]} of {WIN_SEEDS[1]} seeds.", "",
             f"**Verdict: {out['verdict']}** ({out['positive']} of {out['seeds']} paired seeds positive; "
             f"mean difference {100 * out['mean']:+.2f} points).", "",
             "| seed | MTCS − MTL (points) |", "|---|---|"]
    lines += [f"| {s} | {100 * d:+.2f} |" for s, d in out["differences"].items()]
    stats = seeds_mean_std(table)
    lines += ["", "| method | ten-dataset mean, mean ± std over seeds | seeds |", "|---|---|---|"]
    lines += [f"| {m} | {r['mean']:.4f}" + (f" ± {r['std']:.4f}" if r["count"] > 1 else "") + f" | {int(r['count'])} |"
              for m, r in stats.iterrows()]   # one seed has no spread to show
    summary = summary_with_paper(table)
    cols = [c for c in ("ours_MTCS", "ours_MTL", "paper_MTCS", "paper_MTL") if c in summary]
    lines += ["", "| dataset | " + " | ".join(c.replace("_", " ") for c in cols) + " |",
              "|---|" + "---|" * len(cols)]
    lines += [f"| {d} | " + " | ".join(f"{r[c]:.3f}" for c in cols) + " |" for d, r in summary.iterrows()]
    lines += ["", "Paper: Wang et al. 2022, Table 2 (5 epochs); ours: the chosen variant's epochs. "
              "Rewritten from `plan_final.csv` after each seed.", ""]
    return "\n".join(lines)
