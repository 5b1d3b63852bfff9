"""Build results/mtcs/table2.md from the measured CSVs in results/mtcs/, beside the paper's values.

usage: PYTHONPATH=. python results/mtcs/make_table2.py
Every complete ``table2_<method>_seed<S>_<e|it><N>.csv`` counts; one column per method and setting,
the mean over the seeds present, and a second table of the dataset average per seed.
"""
import glob
import os
import re

import pandas as pd

from workbench.papers.mtcs import SOURCE, TABLE2, TABLE2_DATASETS

HERE = os.path.dirname(os.path.abspath(__file__))
PATTERN = re.compile(r"table2_(?P<method>.+)_seed(?P<seed>\d+)_(?P<kind>e|it)(?P<n>\d+)\.csv$")


def measured() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(accuracy per dataset, mean over the seeds measured; dataset-average accuracy per seed)."""
    runs = {}
    for path in sorted(glob.glob(os.path.join(HERE, "table2_*_seed*_*.csv"))):
        m = PATTERN.search(os.path.basename(path))
        if m:
            unit = "ep" if m["kind"] == "e" else "it"
            acc = pd.read_csv(path).set_index("dataset")["test_acc"]
            if set(acc.index) != set(TABLE2_DATASETS):   # a run still in progress (TS2Vec appends per dataset)
                print(f"skipped {os.path.basename(path)}: {len(acc)} of {len(TABLE2_DATASETS)} datasets")
                continue
            runs.setdefault((m["method"], f"{m['n']} {unit}"), {})[int(m["seed"])] = acc
    columns, per_seed = {}, []
    for (method, setting), by_seed in runs.items():
        seeds = sorted(by_seed)
        label = f"ours {method} ({setting}, seed{'s' if len(seeds) > 1 else ''} {','.join(map(str, seeds))})"
        columns[label] = pd.DataFrame(by_seed).mean(axis=1)
        averages = pd.Series({seed: acc.mean() for seed, acc in by_seed.items()})
        per_seed.append({"method": method, "setting": setting, "seeds": ",".join(map(str, seeds)),
                         "per-seed averages": ", ".join(f"{a:.3f}" for a in averages),
                         "mean": averages.mean(), "std": averages.std(ddof=1) if len(averages) > 1 else float("nan")})
    return pd.DataFrame(columns), pd.DataFrame(per_seed)


def main() -> None:
    ours, per_seed = measured()
    paper = TABLE2.frame().loc[list(TABLE2_DATASETS)].add_prefix("paper ")
    table = ours.join(paper, how="outer").reindex(list(TABLE2_DATASETS))
    table.loc["Average"] = table.mean()   # over the datasets each column has
    lines = ["| dataset | " + " | ".join(table.columns) + " |", "|---" * (len(table.columns) + 1) + "|"]
    for name, row in table.iterrows():
        cells = ["" if pd.isna(v) else f"{v:.3f}" for v in row]
        if name == "Average":
            cells = [f"**{c}**" if c else c for c in cells]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    seed_lines = ["| method | setting | seeds | dataset average per seed | mean | std |", "|---|---|---|---|---|---|"]
    for r in per_seed.itertuples():
        seed_lines.append(f"| {r.method} | {r.setting} | {r.seeds} | {r._4} | {r.mean:.3f} | "
                          + ("" if pd.isna(r.std) else f"{r.std:.3f}") + " |")
    text = ("# MTCS Table 2 on /work/shared/data (SVM accuracy on frozen encoders)\n\n"
            "Ours: mean over the seeds measured (ep = multi-task epochs, it = TS2Vec iterations).\n\n"
            + "\n".join(lines) + "\n\n## Dataset average per seed\n\n" + "\n".join(seed_lines)
            + f"\n\n`paper *` columns: {SOURCE}. Built by `make_table2.py` from the CSVs here.\n")
    out = os.path.join(HERE, "table2.md")
    with open(out + ".part", "w") as f:
        f.write(text)
    os.replace(out + ".part", out)
    print(text)


if __name__ == "__main__":
    main()
