"""MTCS Fig. 2 from the matrices run_table2_fig2.py wrote: the figure and the named pairs' ranks.

usage: PYTHONPATH=. python results/mtcs/make_fig2.py SSL_CSV MTCS_CSV OUT_STEM
e.g.   ... fig2_ssl_seed0_it200.csv fig2_mtcs_seed0_e5.csv fig2_seed0  -> fig2_seed0.png, fig2_seed0_pair_ranks.csv
"""
import os
import sys

import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402

from workbench.analysis.similarity_plots import plot_task_similarity  # noqa: E402
from workbench.analysis.task_similarity import pair_ranks  # noqa: E402
from workbench.papers.mtcs import FIG2_RELATED_PAIRS  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ssl_csv, mtcs_csv, stem = sys.argv[1:4]
ssl = pd.read_csv(os.path.join(HERE, ssl_csv), index_col=0)
mtcs = pd.read_csv(os.path.join(HERE, mtcs_csv), index_col=0)
fig = plot_task_similarity(ssl, mtcs, titles=(f"Self-supervised, joint TS2Vec ({ssl_csv})", f"MTCS ({mtcs_csv})"))
png = os.path.join(HERE, stem + ".png")
fig.savefig(png + ".part.png", dpi=110, bbox_inches="tight")
os.replace(png + ".part.png", png)
ranks = pair_ranks(ssl, FIG2_RELATED_PAIRS).merge(pair_ranks(mtcs, FIG2_RELATED_PAIRS), on=["pair", "of"],
                                                  suffixes=("_self_supervised", "_mtcs"))
out = os.path.join(HERE, stem + "_pair_ranks.csv")
ranks.to_csv(out + ".part", index=False)
os.replace(out + ".part", out)
print(ranks.round(3).to_string(index=False))
print("wrote", png, out)
