"""Build Table II for HAR from the sweep's results store (the runs behind results/table2_har/).

The runs: `workbench sweep --methods <14 methods> --dataset HAR --list logora --seeds 0
--preset logora --steps 150 --root ../shared/data --store runs/har_table2.sqlite --workers 2`.
Usage: python results/table2_har/make_table.py runs/har_table2.sqlite
"""
import sys
from pathlib import Path

from workbench.data.scenarios import scenarios
from workbench.papers.logora import PAPER_TABLE2
from workbench.presets import get_preset
from workbench.results import ResultsStore
from workbench.sweep import plan
from workbench.tables import table2
from workbench.train import config_id

METHODS = ["ERM", "DANN", "VRADA", "CoDATS", "AdvSKM", "CDAN", "DeepCORAL", "DSAN", "HoMM", "MMDA",
           "CLUDA", "RAINCOAT", "LogoRA", "TargetOnly"]

store = ResultsStore(sys.argv[1])
pairs = scenarios("HAR", "logora")
configs = plan(METHODS, pairs, [0], preset="logora", steps=150, root=None)
ids = {config_id(c)[0] for c in configs}
runs = store.table()
runs = runs[runs["run_id"].isin(ids)]
complete = [p for p in pairs if len(runs[(runs.source == p.source) & (runs.target == p.target)]) == len(METHODS)]
missing = [str(p) for p in pairs if p not in complete]
notes = [f"ours: {get_preset('logora').description}; 150 steps (~21 epochs of a HAR source); batch 32; "
         "Adam lr 1e-3 for every method (not tuned); seed 0; one seed, so ± is 0 on pair rows",
         f"paper: {PAPER_TABLE2.source}; {PAPER_TABLE2.protocol}",
         "best UDA method per row in bold; Improvement = 100 (LogoRA − best other) / best other; "
         "ERM and TargetOnly are bounds, not competitors",
         f"runs: {len(runs)} of {len(configs)}; pairs complete: {len(complete)} of {len(pairs)}"
         + (f"; not run (out of time): {', '.join(missing)}" if missing else ""),
         f"wall time per run (2 shared cores, load 4–10): median {runs.seconds.median():.0f} s, "
         f"sum of per-run wall times {runs.seconds.sum() / 60:.0f} min (2 workers: 82 min elapsed, 21:07–22:29)"]
table = table2(runs, "HAR", METHODS, [(p.source, p.target) for p in complete], PAPER_TABLE2, "LogoRA", notes=notes)
out = Path(__file__).parent
table.save(str(out / "table2_HAR_logora"))
runs[["method", "source", "target", "seed", "steps", "target_test_acc", "target_test_f1", "source_test_acc",
      "selected_step", "seconds"]].sort_values(["source", "target", "method"]).to_csv(out / "runs.csv", index=False)
print(table.markdown())
