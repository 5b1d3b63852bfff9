"""The hyper-parameter protocol of LogoRA's Table II: a learning-rate grid per method, chosen on
SOURCE validation accuracy, with the same search budget for every method.

"The hyperparameters of Adam were selected after conducting a grid search on source validation
datasets, exploring a range of learning rates" (LogoRA, Sec. IV-A). For each method:

- the grid is the common ``lr`` space of ``workbench.algorithms.base.COMMON_HPARAMS`` (one grid
  for all methods, so no method gets a larger search);
- every grid point is trained on the same scenarios, for the same steps and seeds (``Budget``);
- a run's score is the source-validation accuracy of the model that ``source_val`` selection
  keeps; the grid point with the best mean score wins (ties: the first in the grid).
  Target labels are never read by the choice: ``fit`` records target-test accuracy in its own
  history, but only ``source_val_acc`` enters the score (a test permutes target labels and
  checks the choice does not move).

The winner goes into a chosen-hyper-parameter table (``algorithms/chosen_hparams.json``,
written atomically) with the date, dataset, scenarios, budget, data version and all scores;
``tuned_hparams(method, dataset)`` reads it back for ``RunConfig.hparams`` (or says that the
defaults apply).
"""
from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from workbench.algorithms.base import ALGORITHMS, COMMON_HPARAMS, hparam_table
from workbench.data.domain import PairData, Scenario
from workbench.io import atomic_write_text

#: Where chosen values are kept (beside the methods' hyper-parameter tables).
CHOSEN_PATH = Path(__file__).resolve().parent / "algorithms" / "chosen_hparams.json"


@dataclass(frozen=True)
class Budget:
    """The search budget, identical for every method: grid x scenarios x seeds runs of ``steps``."""

    steps: int = 500
    seeds: tuple[int, ...] = (0,)
    batch_size: int = 32
    eval_every: int = 100
    grid: tuple[float, ...] = field(default_factory=lambda: tuple(COMMON_HPARAMS["lr"].space))

    def runs(self, num_scenarios: int) -> int:
        return len(self.grid) * num_scenarios * len(self.seeds)

    def record(self) -> dict[str, Any]:
        """As ``LrChoice.budget`` keeps it (JSON lists)."""
        return {**asdict(self), "seeds": list(self.seeds), "grid": list(self.grid)}


@dataclass
class LrChoice:
    """The chosen learning rate of one method on one dataset, and how it was chosen."""

    method: str
    dataset: str
    lr: float
    scores: dict[str, float]            # str(lr) -> mean source-validation accuracy
    scenarios: list[str]
    budget: dict[str, Any]
    data_version: str
    date: str
    selection: str = "source_val"
    base_hparams: dict[str, Any] = field(default_factory=dict)


PairSource = Callable[[Scenario], PairData]


def tune_lr(method: str, scenarios: list[Scenario], budget: Budget = Budget(), *,
            pairs: PairSource | None = None, root=None, base_hparams: dict | None = None,
            path: str | os.PathLike | None = CHOSEN_PATH, store=None, device: str = "cpu") -> LrChoice:
    """Grid-search ``lr`` for ``method`` on source validation; record and return the choice.

    ``pairs``: a function ``Scenario -> PairData`` (default: ``load_pair`` from ``root`` with
    the ``cluda`` splits, which have a source validation split). ``path=None``: do not record.
    """
    from workbench.results import MemoryStore
    from workbench.sweep import sweep
    from workbench.train import RunConfig

    if not scenarios:
        raise ValueError("tune_lr needs at least one scenario (source -> target pair)")
    datasets = {s.dataset for s in scenarios}
    if len(datasets) != 1:
        raise ValueError(f"tune on one dataset at a time, got scenarios of {sorted(datasets)}")
    ALGORITHMS.get(method)  # a clear KeyError for an unknown method
    base = dict(base_hparams or {})
    if "lr" in base:
        raise ValueError("base_hparams must not fix 'lr': it is the searched hyper-parameter")
    loaded = {s: _load(s, pairs, root) for s in scenarios}
    configs = [RunConfig(method, scenario.dataset, scenario.source, scenario.target, scenario.scenario_list,
                         {**base, "lr": lr}, seed, budget.steps, budget.batch_size, budget.eval_every, "source_val")
               for lr in budget.grid for scenario in loaded for seed in budget.seeds]
    results = store if store is not None else MemoryStore()
    ids = sweep(configs, store=results, root=root, device=device, progress=False, keep_state=False,
                data=lambda config: loaded[config.scenario])
    runs = [results.get(rid, with_state=False) for rid in ids]
    choice = choose_lr(method, runs, budget, base_hparams=base)
    if path is not None:
        record_choice(choice, path)
    return choice


def choose_lr(method: str, runs: list, budget: Budget, *, base_hparams: dict[str, Any] | None = None) -> LrChoice:
    """The point of ``budget.grid`` whose finished ``runs`` (``method``'s, one dataset, every grid point
    trained on the same pairs and seeds) have the best mean source-validation score; ties: the first
    in the grid. Only ``source_val_score`` reads the runs: target labels never enter the choice."""
    rates = [float(run.config.resolved().hparams["lr"]) for run in runs]
    scores: dict[str, float] = {}
    for lr in budget.grid:
        per_run = [source_val_score(run.history) for run, rate in zip(runs, rates) if rate == lr]
        if not per_run:
            raise ValueError(f"no run of {method} at lr={lr}: train every point of the grid {list(budget.grid)} "
                             "before choosing (an unequal search would favour some methods)")
        scores[repr(float(lr))] = float(np.mean(per_run))
    best = max(budget.grid, key=lambda lr: scores[repr(float(lr))])  # first of equals wins
    pairs = list(dict.fromkeys(f"{run.config.source}->{run.config.target}" for run in runs))
    return LrChoice(method, runs[0].config.dataset, float(best), scores, pairs, budget.record(), runs[-1].data_version,
                    _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                    base_hparams=dict(base_hparams or {}))


def source_val_score(history: list[dict[str, Any]]) -> float:
    """The source-validation accuracy of the model ``source_val`` selection keeps (the best one)."""
    values = [h["source_val_acc"] for h in history if "source_val_acc" in h]
    if not values:
        raise ValueError("no source-validation accuracy in the run's history; tuning needs a "
                         "split protocol with a source validation split (split_protocol='cluda')")
    return max(values)


def _load(scenario: Scenario, pairs: PairSource | None, root) -> PairData:
    if pairs is not None:
        return pairs(scenario)
    from workbench.data.datasets import load_pair
    return load_pair(scenario, root, "cluda", "source_train")


# -- the chosen table --------------------------------------------------------------------

def read_chosen(path: str | os.PathLike = CHOSEN_PATH) -> dict[str, dict[str, Any]]:
    """``{method: {dataset: choice dict}}``; empty when no choice was recorded yet."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON ({err}); delete it and re-run tune_lr") from err


def record_choice(choice: LrChoice, path: str | os.PathLike = CHOSEN_PATH) -> None:
    """Add or replace ``choice`` in the table at ``path`` (temp file, then rename)."""
    path = Path(path)
    table = read_chosen(path)
    table.setdefault(choice.method, {})[choice.dataset] = asdict(choice)
    atomic_write_text(path, json.dumps(table, indent=1, sort_keys=True) + "\n")


@dataclass(frozen=True)
class Tuned:
    """Hyper-parameters to pass as ``RunConfig.hparams``, and where they came from."""

    hparams: dict[str, Any]
    tuned: bool
    note: str


def tuned_hparams(method: str, dataset: str, path: str | os.PathLike = CHOSEN_PATH) -> Tuned:
    """The chosen ``lr`` of ``method`` on ``dataset``, or the defaults (``hparams={}``), saying which."""
    entry = read_chosen(path).get(method, {}).get(dataset)
    if entry is None:
        default = hparam_table(ALGORITHMS.get(method))["lr"].default
        return Tuned({}, False, f"{method} on {dataset}: no tuned lr recorded in {Path(path).name}; "
                                f"defaults apply (lr={default})")
    budget = entry["budget"]
    note = (f"{method} on {dataset}: lr={entry['lr']} chosen on source validation of "
            f"{', '.join(entry['scenarios'])} on {entry['date']} (grid {budget['grid']}, "
            f"{budget['steps']} steps, seeds {budget['seeds']}, data {entry['data_version']}, "
            f"other hparams {entry.get('base_hparams') or 'defaults'})")
    # Only the searched value: the preset in use decides the rest (e.g. the backbone).
    return Tuned({"lr": entry["lr"]}, True, note)
