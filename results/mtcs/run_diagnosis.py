"""Instrumented MTCS training on the ten Table-2 datasets: what the classifier sharing ties, and how big it is.

usage: OMP_NUM_THREADS=1 nice -n 15 env PYTHONPATH=. python results/mtcs/run_diagnosis.py
           [--seed 0] [--steps N] [--epoch 1] [--variant V0] [--root DIR] [--out results/mtcs]

Builds MTCS exactly as the ``multitask`` kind does for Table 2 (``set_seed(seed)``, then
``MTCS(num_classes, 1, batches_per_epoch, seed=seed, **resolved hparams)``: alpha 0.1, tau 2, lr 1e-3,
depth 10, hidden 64, output 320;
data: ``load_named(TABLE2_DATASETS, root, "dataset")``), runs its first ``--steps`` updates
(default: one epoch) in ``task_batches`` order from ``model.rng`` as ``MultiTask.batches`` does,
and reads each step with ``SharingTracer`` (a pure reader: no change to training numerics; no
SVM, no test data touched). Writes ``OUT/diagnosis_pairs_seed<S>.csv`` (one row per step and
task pair: the relevant label pairs as ``dataset_j:label_p~dataset_k:label_q``) and
``OUT/diagnosis_steps_seed<S>.csv`` (one row per step: CE, sharing loss, pairs, gradient norms),
and prints the summary quoted in diagnosis.md. ``--variant`` (one of ``mtcs_plan.VARIANTS``) traces
that variant's MTCS instead of the paper's (V0); its files are suffixed ``_<variant>``. ``--epoch E``
trains the first ``E - 1`` epochs untraced and traces from the start of epoch ``E`` (files suffixed
``_e<E>``): the plan's V7 is ``--variant V4 --epoch 20``, the chosen variant's last epoch.
"""
import argparse
import os
import time
from collections.abc import Iterator

import pandas as pd
import torch

from workbench.experiment import get_experiment
from workbench.papers.mtcs import FIG2_RELATED_PAIRS, TABLE2_DATASETS
from workbench.papers.mtcs_plan import variant
from workbench.pretrain.multitask import MTCS
from workbench.pretrain.mtcs_trace import SharingTracer
from workbench.pretrain.ts2vec import batches_per_epoch, task_batches
from workbench.pretrain.ucr_runs import load_named
from workbench.train import set_seed

BATCH = 32   # Table 2's batch (multitask_config's default)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=None, help="default: one epoch")
    parser.add_argument("--epoch", type=int, default=1,
                        help="trace from the start of this epoch (the ones before train untraced)")
    parser.add_argument("--variant", default="V0", help="a variant of the MTCS plan (workbench.papers.mtcs_plan)")
    parser.add_argument("--root", default=os.environ.get("WORKBENCH_DATA"))
    parser.add_argument("--out", default="results/mtcs")
    args = parser.parse_args()
    if not args.root:
        parser.error("no data root: pass --root DIR or set WORKBENCH_DATA")
    return args


def train_traced(data: dict, seed: int, steps: int | None, hparams: dict,
                 epoch: int = 1) -> tuple[SharingTracer, float, float]:
    """Train ``epoch - 1`` whole epochs untraced, then run the next ``steps`` MTCS updates (default:
    one epoch) with a tracer; returns it, wall and CPU seconds (of both parts)."""
    trains = [train for train, _ in data.values()]
    per_epoch = batches_per_epoch([len(t) for t in trains], BATCH)
    hparams = get_experiment("multitask").resolve_hparams("MTCS", hparams)   # V0: alpha 0.1, tau 2, ...
    set_seed(seed)
    model = MTCS([t.num_classes for t in trains], trains[0].num_channels, per_epoch, seed=seed,
                 dataset_names=list(data), **hparams)
    xs = [torch.as_tensor(t.x) for t in trains]
    ys = [torch.as_tensor(t.y) for t in trains]
    wall, cpu = time.perf_counter(), time.process_time()
    batches = model_batches(model, xs)
    for done in range(1, (epoch - 1) * per_epoch + 1):     # the model's own batch order, as MultiTask.batches
        task, idx = next(batches)
        model.update(task, xs[task][idx], ys[task][idx])
        if done % per_epoch == 0:
            print(f"untraced epoch {done // per_epoch}/{epoch - 1} {time.perf_counter() - wall:.0f}s", flush=True)
    tracer = SharingTracer(model)   # the model's own alpha and sharing rule
    steps = steps or per_epoch
    for done in range(1, steps + 1):
        task, idx = next(batches)
        tracer.expect(task, ys[task][idx])
        model.update(task, xs[task][idx], ys[task][idx])
        tracer.after()
        if done % 20 == 0:
            print(f"step {done}/{steps} {time.perf_counter() - wall:.0f}s", flush=True)
    tracer.close()
    return tracer, time.perf_counter() - wall, time.process_time() - cpu


def model_batches(model: MTCS, xs: list) -> Iterator[tuple[int, torch.Tensor]]:
    """``(task, indices)`` epoch after epoch, in ``task_batches`` order from ``model.rng``."""
    while True:
        for task, idx in task_batches([len(x) for x in xs], BATCH, model.rng):
            yield task, torch.as_tensor(idx)


def label_names(data: dict) -> list[list[str]]:
    """Per task, the original UCR label of each class index."""
    out = []
    for train, _ in data.values():
        inverse = {v: k for k, v in train.meta["label_map"].items()}
        out.append([str(inverse[i]) for i in range(train.num_classes)])
    return out


def frames(tracer: SharingTracer, data: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    names, labels = list(data), label_names(data)
    related = {frozenset(p) for p in FIG2_RELATED_PAIRS}
    pairs = pd.DataFrame(tracer.pair_rows)
    pairs["dataset_k"] = [names[k] for k in pairs.task_k]
    pairs["dataset_j"] = [names[j] for j in pairs.task_j]
    pairs["paper_related"] = [frozenset((a, b)) in related for a, b in zip(pairs.dataset_j, pairs.dataset_k)]
    pairs["ties"] = [";".join(f"{names[j]}:{labels[j][p]}~{names[k]}:{labels[k][q]}" for p, q in pq)
                     for j, k, pq in zip(pairs.task_j, pairs.task_k, pairs.pairs)]
    pairs["diagonal_ties"] = [sum(p == q for p, q in pq) for pq in pairs.pairs]
    pairs = pairs.drop(columns="pairs")
    steps = pd.DataFrame(tracer.step_rows)
    steps["dataset_k"] = [names[k] for k in steps.task_k]
    steps["alpha_ws_over_cls"] = steps.alpha_ws / steps.cls
    steps["ws_grad_over_ce_grad_Wk"] = steps.ws_grad_Wk / steps.ce_grad_Wk
    return pairs, steps


def summarise(pairs: pd.DataFrame, steps: pd.DataFrame) -> None:
    q = [0.1, 0.5, 0.9]
    print("\n== per step (one batch of one task, ties to all 9 other tasks) ==")
    print(f"steps {len(steps)}; relevant pairs per step: mean {steps.pairs.mean():.1f} of "
          f"mean {steps.possible_pairs.mean():.1f} possible ({(steps.pairs / steps.possible_pairs).mean():.3f})")
    print("quantiles (10/50/90%) of:")
    for col in ("cls", "ws", "alpha_ws", "alpha_ws_over_cls", "ce_grad_Wk", "ws_grad_Wk",
                "ws_grad_over_ce_grad_Wk", "ws_grad_heads"):
        print(f"  {col:26s}", " ".join(f"{v:.4g}" for v in steps[col].quantile(q)))
    print(f"model's own pair count == traced on every step: {(steps.pairs == steps.traced_pairs).all()}")
    print("\n== per (task j, task k) pair, over the steps ==")
    pairs["frac"] = pairs.n_relevant / (pairs.M * pairs.N)
    pairs["any_tie"] = pairs.n_relevant > 0
    by_rel = pairs.groupby("paper_related")[["any_tie", "frac", "n_relevant", "ws", "head_j_top_share"]].mean()
    print("by 'related in the paper (Sec. 4.4.3)':\n", by_rel.round(3).to_string())
    print(f"correlation(head_j_top_share, frac) = {pairs.head_j_top_share.corr(pairs.frac):.3f}")
    by_k = steps.groupby("dataset_k")[["pairs", "possible_pairs", "cls", "alpha_ws", "ws_grad_over_ce_grad_Wk"]].mean()
    print("\nper batch task k (means):\n", by_k.round(4).to_string())
    print_eog(pairs)
    print("\nmost frequent ties (count of steps):")
    ties = pairs.ties[pairs.ties != ""].str.split(";").explode().value_counts()
    print(ties.head(15).to_string(), f"\n... {len(ties)} distinct label pairs tied at least once")


def print_eog(pairs: pd.DataFrame) -> None:
    """EOG H and V are two channels of the same recordings with the same 12 classes: a right tie is p == q."""
    eog = pairs[pairs.dataset_j.str.startswith("EOG") & pairs.dataset_k.str.startswith("EOG")]
    if len(eog):
        n = eog.n_relevant.sum()
        print(f"\nEOG H<->V: {len(eog)} task-pair rows, {n} ties, of which on the diagonal (same class) "
              f"{eog.diagonal_ties.sum()} ({eog.diagonal_ties.sum() / max(n, 1):.3f}; chance 1/12 = 0.083)")


def main() -> None:
    args = arguments()
    torch.set_num_threads(1)
    data = load_named(list(TABLE2_DATASETS), args.root, "dataset")
    if args.epoch < 1:
        raise SystemExit(f"--epoch {args.epoch}: epochs count from 1 (1 traces from the start of training)")
    tracer, wall, cpu = train_traced(data, args.seed, args.steps, variant(args.variant).hparams, args.epoch)
    print(f"trained {len(tracer.step_rows)} steps: {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)
    pairs, steps = frames(tracer, data)
    os.makedirs(args.out, exist_ok=True)
    suffix = ("" if args.variant == "V0" else f"_{args.variant}") + ("" if args.epoch == 1 else f"_e{args.epoch}")
    pairs.to_csv(os.path.join(args.out, f"diagnosis_pairs_seed{args.seed}{suffix}.csv"), index=False)
    steps.to_csv(os.path.join(args.out, f"diagnosis_steps_seed{args.seed}{suffix}.csv"), index=False)
    summarise(pairs, steps)


if __name__ == "__main__":
    main()
