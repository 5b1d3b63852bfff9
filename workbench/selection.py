"""Model selection, read after training (DomainBed's ``model_selection``).

One training records every evaluation (``Run.history``) and keeps the checkpoint each rule
needs; ``last``, ``source_val`` and ``oracle`` are then read from that one training. A rule is
a key over an evaluation record: the record with the largest key is selected. ``fit`` applies
the same keys online to decide which checkpoints to keep, so the step a rule picks from the
history is the step whose checkpoint was kept (``choose`` is what both call).

- ``last``: the last evaluation.
- ``source_val``: the best source-validation accuracy; ties (common on HAR's ~50-sample
  validation splits, where accuracy reaches 1.0 early) go to the lower source-validation
  loss, then to the later step.
- ``oracle``: the best target-test accuracy (the first of ties). It reads target labels, so
  its label says ORACLE wherever its numbers appear.
- ``train_loss``: the lowest training loss (Fawaz et al. 2018's rule for FCN transfer; the
  first of ties). Reads no validation or target data.
- ``source_val_first``: the rule before this module existed (best source-validation accuracy,
  the *first* of ties). Kept so stores written then still serve their numbers, labelled so.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import Tensor

Record = dict[str, Any]


@dataclass(frozen=True)
class Rule:
    """A named selection rule: ``key(record)`` (larger wins; ``None``: the record is not
    eligible), whether a tie replaces the earlier choice (``later_wins``), and whether the key
    reads target-test labels (then its label starts with ORACLE)."""

    name: str
    description: str
    key: Callable[[Record], tuple | None]
    later_wins: bool = False
    reads_target_labels: bool = False

    @property
    def label(self) -> str:
        return f"ORACLE: {self.description}" if self.reads_target_labels else self.description


def _present(record: Record, *names: str) -> bool:
    return all(record.get(name) is not None for name in names)


def _source_val(record: Record) -> tuple | None:
    if not _present(record, "source_val_acc"):
        return None
    loss = record.get("source_val_loss")
    return (record["source_val_acc"], -loss if loss is not None else float("-inf"))


RULES: dict[str, Rule] = {rule.name: rule for rule in (
    Rule("last", "last step", lambda r: (0,), later_wins=True),
    Rule("source_val", "best source-validation accuracy (ties: lower validation loss, then later step)",
         _source_val, later_wins=True),
    Rule("oracle", "best target-test accuracy (peeks at target labels)",
         lambda r: (r["target_test_acc"],) if _present(r, "target_test_acc") else None,
         reads_target_labels=True),
    Rule("train_loss", "lowest training loss",
         lambda r: (-r["train_loss"],) if _present(r, "train_loss") else None),
    Rule("source_val_first", "best source-validation accuracy, first of ties (rule of stores before "
         "selection-after-training)",
         lambda r: (r["source_val_acc"],) if _present(r, "source_val_acc") else None),
)}

#: Rule name -> label, for tables and messages.
SELECTIONS: dict[str, str] = {name: rule.label for name, rule in RULES.items()}


def get_rule(name: str) -> Rule:
    if name not in RULES:
        raise ValueError(f"unknown selection {name!r}; choose one of {sorted(RULES)}")
    return RULES[name]


def improves(rule: Rule, candidate: Record, current: Record | None) -> bool:
    """Whether ``candidate`` (a later evaluation) replaces ``current`` as ``rule``'s choice."""
    key = rule.key(candidate)
    if key is None:
        return False
    if current is None:
        return True
    best = rule.key(current)
    return key > best or (rule.later_wins and key == best)


def choose(name: str, history: list[Record]) -> Record | None:
    """The evaluation record ``name`` selects from a run's ``history`` (``None``: no record qualifies)."""
    rule = get_rule(name)
    chosen = None
    for record in history:
        if improves(rule, record, chosen):
            chosen = record
    return chosen


def label(name: str) -> str:
    """How a number selected by ``name`` is labelled (``ORACLE`` for rules that read target labels)."""
    return get_rule(name).label


# -- online: what fit keeps while a run trains -----------------------------------------------

class Diverged(Exception):
    """Raised inside the step loop; ``fit`` turns it into ``RunFailed``."""

    def __init__(self, reason: str, history: list):
        super().__init__(reason)
        self.reason, self.history = reason, history


def _finite(losses: dict[str, float]) -> str | None:
    """The name of the first loss that is not finite, if any."""
    return next((name for name, value in losses.items() if not math.isfinite(value)), None)


def _nonfinite_weights(state: dict[str, Tensor]) -> str | None:
    return next((name for name, t in state.items() if t.is_floating_point() and not torch.isfinite(t).all()), None)


class Selections:
    """One run's record while it trains: its evaluations (``history``), the evaluation each
    selection rule chose (``chosen``) and the checkpoints those choices need (``states``)."""

    def __init__(self, experiment, config):   # config: a train.RunConfig
        self.experiment, self.config = experiment, config
        self.rules = [get_rule(name) for name in experiment.selections]
        self.chosen: dict[str, dict | None] = {rule.name: None for rule in self.rules}
        self.states: dict[int, dict[str, Tensor]] = {}
        self.history: list[dict[str, Any]] = []

    def evaluates(self, step: int) -> bool:
        return step % self.config.eval_every == 0 or step == self.config.steps

    def record(self, step: int, losses: dict[str, float], model, data, device) -> None:
        """After ``step``'s update: raise ``Diverged`` at a loss (or, at an evaluation, a weight)
        that is not finite; at an evaluation step evaluate ``model`` and keep a copy of it for
        every rule whose choice the evaluation improves."""
        if (bad := _finite(losses)) is not None:
            raise Diverged(f"diverged at step {step}: loss {bad!r} is {losses[bad]} (try a lower learning rate)",
                           self.history + [{"step": step, **losses}])
        if not self.evaluates(step):
            return
        if (bad := _nonfinite_weights(model.state_dict())) is not None:
            raise Diverged(f"diverged by step {step}: weight {bad!r} is not finite (try a lower learning "
                           "rate)", self.history + [{"step": step, **losses}])
        record = {"step": step, **losses, **self.experiment.evaluate(model, data, device)}
        self.history.append(record)
        improved = [rule for rule in self.rules if improves(rule, record, self.chosen[rule.name])]
        for rule in improved:
            self.chosen[rule.name] = record
        if any(rule.name != "last" for rule in improved) and step != self.config.steps:
            self.states[step] = copy.deepcopy(model.state_dict())
        wanted = {r["step"] for r in self.chosen.values() if r is not None}
        self.states = {s: v for s, v in self.states.items() if s in wanted}
