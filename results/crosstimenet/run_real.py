"""CrossTimeNet on real data (issue 14): tokenizer report, downstream table, optional mask-ratio curve.

    OMP_NUM_THREADS=1 nice -n 10 python results/crosstimenet/run_real.py \
        --root ../shared/data --store runs/crosstimenet.sqlite --out results/crosstimenet

Every run goes through ``fit`` into the store (a killed run resumes); one torch thread.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from workbench.papers import crosstimenet as ctn
from workbench.sweep import open_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="../shared/data")
    parser.add_argument("--store", default="runs/crosstimenet.sqlite")
    parser.add_argument("--out", default="results/crosstimenet")
    parser.add_argument("--domains", default="HAR+WISDM")
    parser.add_argument("--targets", default="HAR+WISDM")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--tokenizer-steps", type=int, default=1000)
    parser.add_argument("--pretrain-steps", type=int, default=1000)
    parser.add_argument("--finetune-steps", type=int, default=500)
    parser.add_argument("--mask-ratios", default="", help="e.g. 0.15,0.3,0.5,0.7 (first target)")
    parser.add_argument("--mask-seeds", default="", help="seeds of the mask-ratio curve (default: the first of --seeds)")
    parser.add_argument("--settings", default=json.dumps({
        "tokenizer": {"token_len": 8}, "encoder": {}, "pretrain": {"lr": 1e-3}, "finetune": {"lr": 3e-4}}))
    args = parser.parse_args()
    torch.set_num_threads(1)
    settings, out = json.loads(args.settings), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    store = open_store(args.store)
    domains, targets = args.domains.split("+"), args.targets.split("+")
    seeds = [int(s) for s in args.seeds.split(",")]

    start = time.perf_counter()
    tokenizer = ctn.fit_tokenizer(domains, args.tokenizer_steps, settings["tokenizer"], store, args.root)
    table = ctn.tokenizer_table(tokenizer).assign(train_seconds=tokenizer.seconds)
    table.to_csv(out / "tokenizer.csv")
    print(table.round(4).to_string(), flush=True)

    plans = ctn.downstream_configs(tokenizer.config, domains, targets, seeds, args.pretrain_steps,
                                   args.finetune_steps, settings["encoder"], settings["pretrain"],
                                   settings["finetune"])
    frame = ctn.downstream(plans, store, args.root)
    frame.to_csv(out / "downstream.csv", index=False)
    print(ctn.summarize(frame).round(4).to_string(), flush=True)

    if args.mask_ratios:
        ratios = [float(r) for r in args.mask_ratios.split(",")]
        mask_seeds = [int(s) for s in args.mask_seeds.split(",")] if args.mask_seeds else seeds[:1]
        curve = ctn.mask_ratio_curve(tokenizer.config, domains, targets[:1], ratios, mask_seeds, args.pretrain_steps,
                                     args.finetune_steps, settings["encoder"], store, args.root,
                                     settings["pretrain"], settings["finetune"])
        curve.to_csv(out / "mask_ratio.csv", index=False)
        print(curve[["mask_ratio", "target", "seed", "test_acc"]].to_string(), flush=True)
        print(curve.groupby("mask_ratio")["test_acc"].agg(["mean", "std", "count"]).round(4).to_string(), flush=True)
    print(f"total wall time {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
