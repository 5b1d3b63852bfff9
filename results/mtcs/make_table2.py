"""Build results/mtcs/table2.md from the measured CSVs in results/mtcs/, beside the paper's values.

usage: PYTHONPATH=. python results/mtcs/make_table2.py
Every ``table2_<method>_seed<S>_<e|it><N>.csv`` present becomes a column "ours <method> (<N> epochs|iterations, seed S)".
"""
import glob
import os
import re

import pandas as pd

from workbench.published_mtcs import SOURCE, TABLE2, TABLE2_METHODS

HERE = os.path.dirname(os.path.abspath(__file__))
PATTERN = re.compile(r"table2_(?P<method>.+)_seed(?P<seed>\d+)_(?P<kind>e|it)(?P<n>\d+)\.csv$")


def measured() -> pd.DataFrame:
    columns = {}
    for path in sorted(glob.glob(os.path.join(HERE, "table2_*_seed*_*.csv"))):
        m = PATTERN.search(os.path.basename(path))
        if not m:
            continue
        unit = "ep" if m["kind"] == "e" else "it"
        label = f"ours {m['method']} ({m['n']} {unit}, seed {m['seed']})"
        columns[label] = pd.read_csv(path).set_index("dataset")["test_acc"]
    return pd.DataFrame(columns)


def main() -> None:
    ours = measured()
    paper = pd.DataFrame({f"paper {m}": {n: v[i] for n, v in TABLE2.items()} for i, m in enumerate(TABLE2_METHODS)})
    table = ours.join(paper, how="outer").reindex(list(TABLE2))
    table.loc["Average"] = table.mean()   # over the datasets each column has
    lines = ["| dataset | " + " | ".join(table.columns) + " |", "|---" * (len(table.columns) + 1) + "|"]
    for name, row in table.iterrows():
        cells = ["" if pd.isna(v) else f"{v:.3f}" for v in row]
        if name == "Average":
            cells = [f"**{c}**" if c else c for c in cells]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    text = ("# MTCS Table 2 on /work/shared/data (SVM accuracy on frozen encoders)\n\n"
            + "\n".join(lines) + f"\n\n`paper *` columns: {SOURCE}. Built by `make_table2.py` from the CSVs here.\n")
    out = os.path.join(HERE, "table2.md")
    with open(out + ".part", "w") as f:
        f.write(text)
    os.replace(out + ".part", out)
    print(text)


if __name__ == "__main__":
    main()
