"""Arguments shared by the measurement scripts here: the data root and the results store."""
from __future__ import annotations

import argparse
import os


def add_store_arguments(parser: argparse.ArgumentParser, out: str = "runs/mtcs") -> None:
    parser.add_argument("--root", default=os.environ.get("WORKBENCH_DATA"), help="UCR data root ($WORKBENCH_DATA)")
    parser.add_argument("--store", default="runs/mtcs.sqlite")
    parser.add_argument("--out", default=out)


def parse(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Parsed arguments; an error naming the fix when no data root is given."""
    args = parser.parse_args()
    if not args.root:
        parser.error("no data root: pass --root DIR or set WORKBENCH_DATA (the folder holding ucr/<Name>/)")
    return args


def table2_data(args: argparse.Namespace) -> dict:
    """One thread; the ten Table-2 datasets under ``args.root`` (all of them, or exit naming the
    missing); ``args.out`` created."""
    import torch

    from workbench.papers.mtcs import TABLE2_DATASETS, load_datasets
    torch.set_num_threads(1)
    data, missing = load_datasets(TABLE2_DATASETS, args.root)
    if missing:
        raise SystemExit(f"missing under {args.root}: {', '.join(missing)} (Table 2 needs all ten)")
    os.makedirs(args.out, exist_ok=True)
    return data
