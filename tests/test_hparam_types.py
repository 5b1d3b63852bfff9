"""Issue 11, fault 7: hyper-parameter types are checked against their tables, with a message
that names the hyper-parameter, the type wanted and the value given (no traceback, no silent
``"false"`` that runs as true)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from workbench.train import RunConfig, fit, run_id


@pytest.mark.parametrize("hparams, message", [
    ({"grl_schedule": "false"}, r"'grl_schedule' must be true or false"),
    ({"lr": "fast"}, r"'lr' must be a finite number"),
    ({"lr": [1, 2]}, r"'lr' must be a finite number"),
    ({"lr": float("nan")}, r"'lr' must be a finite number"),
    ({"disc_hidden": 64.5}, r"'disc_hidden' must be a whole number"),
    ({"disc_hidden": True}, r"'disc_hidden' must be a whole number"),
    ({"backbone_options": [1]}, r"'backbone_options' must be an object"),
])
def test_fault7_hparam_of_the_wrong_type_is_refused_before_training(hparams, message):
    with pytest.raises(ValueError, match=message):
        fit(RunConfig("DANN", "synthetic", "0", "1", hparams=hparams, steps=2, eval_every=1), progress=False)


def test_fault7_numbers_of_the_right_kind_are_accepted():
    import numpy as np
    config = RunConfig("DANN", "synthetic", "0", "1", hparams={"lr": 1, "disc_hidden": np.int64(32)})
    assert run_id(config, "v")   # an int for a float, a numpy integer for an int: fine


def test_fault7_pretraining_kinds_check_types_too():
    from workbench.experiment import get_experiment
    with pytest.raises(ValueError, match="'alpha' must be a finite number"):
        get_experiment("multitask").resolve_hparams("MTCS", {"alpha": "0.1"})


@pytest.mark.parametrize("hparams, message", [
    ('{"grl_schedule": "false"}', "must be true or false"),
    ("[1, 2]", "must be a JSON object"),
    ("{lr: 1}", "not valid JSON"),
])
def test_fault7_cli_names_the_bad_hparam_without_a_traceback(hparams, message):
    cmd = [sys.executable, "-m", "workbench.cli", "run", "--method", "DANN", "--dataset", "synthetic", "--source", "0",
           "--target", "1", "--list", "synthetic", "--steps", "2", "--store", "", "--hparams", hparams]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
