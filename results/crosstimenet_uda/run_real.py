"""Does cross-domain pre-training help adaptation? DANN on real HAR pairs with the CNN and with the
``crosstimenet`` backbone (no pre-training / in-domain HAR / cross-domain HAR+WISDM), reusing the
tokenizer and pre-training runs that ``results/crosstimenet/run_real.py`` stored (seed 0):

    nice -n 10 python results/crosstimenet_uda/run_real.py --root ../shared/data \
        --pretrain-store runs/crosstimenet.sqlite --store runs/crosstimenet_uda.sqlite

The pre-training store is only read; the UDA runs go to ``--store``. One torch thread.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import torch

from workbench.papers.crosstimenet_uda import comparison_configs, summarize
from workbench.results import ResultsStore
from workbench.sweep import runs_frame, sweep
from workbench.train import RunConfig

#: runs of results/crosstimenet per seed (one HAR+WISDM tokenizer, seed 0, 1000 steps; pre-training
#: 1000 steps on HAR (in-domain) or HAR+WISDM (cross-domain) with that seed); a UDA seed uses its own
RUN_IDS = {0: {"no pre-training": "570d3d43139d5c70", "in-domain": "ed12de7ffed4e077", "cross-domain": "f0450f4dda5dabaf"},
           1: {"no pre-training": "570d3d43139d5c70", "in-domain": "c0b323d487dd3df2", "cross-domain": "f49de02fe66bfd88"},
           2: {"no pre-training": "570d3d43139d5c70", "in-domain": "3891d44b9662cc94", "cross-domain": "e6ac927516fff98c"}}
COLUMNS = ["setting", "source", "target", "seed", "selection", "target_test_acc", "selected_step", "seconds", "run_id"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="../shared/data")
    parser.add_argument("--pretrain-store", default="runs/crosstimenet.sqlite")
    parser.add_argument("--store", default="runs/crosstimenet_uda.sqlite")
    parser.add_argument("--method", default="DANN")
    parser.add_argument("--pairs", default="6-23,18-27")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--bert-lr", type=float, default=3e-4, help="lr of the crosstimenet settings")
    parser.add_argument("--freeze-encoder", action="store_true")
    parser.add_argument("--out", default="results/crosstimenet_uda")
    args = parser.parse_args()
    torch.set_num_threads(1)
    pretrained = ResultsStore(args.pretrain_store)
    plans = []
    for pair, seed in [(p, int(s)) for p in args.pairs.split(",") for s in args.seeds.split(",")]:
        runs = {setting: pretrained.get(rid, with_state=False) for setting, rid in RUN_IDS[seed].items()}
        source, target = pair.split("-")
        base = RunConfig(args.method, "HAR", source, target, steps=args.steps, batch_size=32,
                         eval_every=max(1, args.steps // 6))
        bert = {"lr": args.bert_lr}
        plans += [({**labels, "pair": pair}, config) for labels, config in comparison_configs(
            base, runs, args.pretrain_store, "HAR", seeds=[seed],
            freeze_encoder=args.freeze_encoder,
            setting_hparams={"no pre-training": bert, "in-domain": bert, "cross-domain": bert})]
    ids = sweep([c for _, c in plans], store=args.store, root=args.root, progress=False)
    frames = []
    for rule in ("source_val", "last"):     # the same runs read by two selection rules
        frame = runs_frame([replace(c, selection=rule) for _, c in plans], ids, args.store)
        frames.append(frame.assign(setting=[labels["setting"] for labels, _ in plans])[COLUMNS])
        print(rule, summarize([(l, replace(c, selection=rule)) for l, c in plans], ids, args.store).round(3).to_string())
    table = pd.concat(frames)
    table.to_csv(Path(args.out) / f"{args.method}{'_frozen' if args.freeze_encoder else ''}.csv", index=False)
    print(table.drop(columns="run_id").round(3).to_string(index=False))
    print(json.dumps(vars(args)))


if __name__ == "__main__":
    main()
