"""A DG run's held-out subjects never reach its pre-training: ``HAR~18,19`` pools HAR without them,
and the comparison refuses a DG config whose tokenizer or encoder saw them."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from workbench.data.datasets import get_dataset
from workbench.data.domain import DataError
from workbench.papers.crosstimenet_uda import check_held_out_unseen, comparison_configs
from workbench.pretrain.crosstimenet_data import excluding, load_domains, split_excluded
from workbench.train import RunConfig


def test_the_excluding_name_round_trips():
    assert excluding("HAR", "18+19") == "HAR~18,19" == excluding("HAR", [18, 19])
    assert split_excluded("HAR~18,19") == ("HAR", ("18", "19"))
    assert split_excluded("WISDM") == ("WISDM", ())


def pretraining(source: str, tokenizer_source: str | None = None):
    tokenizer = RunConfig("VQ", "crosstimenet", tokenizer_source or source, tokenizer_source or source,
                          kind="vq_tokenizer")
    return SimpleNamespace(run_id="0123456789abcdef", config=RunConfig("CrossTimeNet", "crosstimenet", source, source, kind="crosstimenet",
                                            init_from=tokenizer))


DG = RunConfig("ERM", "HAR", "2+4|6+7", "18+19", kind="dg")


def test_a_dg_comparison_refuses_pretraining_that_pooled_the_held_out_subjects():
    with pytest.raises(ValueError, match=r"pools subject\(s\) 18\+19.*pre-train on 'HAR~18,19'"):
        check_held_out_unseen(DG, {"cross-domain": pretraining("HAR+WISDM")})
    with pytest.raises(ValueError, match=r"vq_tokenizer run was trained on domain 'HAR~18'.*pools subject\(s\) 19"):
        check_held_out_unseen(DG, {"in-domain": pretraining("HAR~18,19", tokenizer_source="HAR~18+WISDM")})
    check_held_out_unseen(DG, {"cross-domain": pretraining("HAR~18,19+WISDM")})      # clean: no error
    check_held_out_unseen(DG, {"cross-domain": pretraining("HHAR+WISDM")})           # other datasets only
    with pytest.raises(ValueError, match="holds out"):
        comparison_configs(DG, {"in-domain": pretraining("HAR")}, "runs/r.sqlite", "HAR", settings=("in-domain",))
    uda = RunConfig("ERM", "HAR", "2", "11")                     # UDA sees unlabeled target data anyway
    assert len(comparison_configs(uda, {"in-domain": pretraining("HAR")}, "runs/r.sqlite", "HAR",
                                  settings=("in-domain",))) == 1


@pytest.mark.realdata
def test_har_without_two_subjects_has_none_of_their_samples(data_root):
    har = get_dataset("HAR")
    subjects = har.domains(data_root)
    held_out = subjects[:2]
    pooled = load_domains(["HAR"], data_root)["HAR"]
    name = excluding("HAR", held_out)
    without = load_domains([name], data_root)[name]
    removed = sum(len(har.splits(s, data_root, "cluda").train) for s in held_out)
    assert len(without.train) == len(pooled.train) - removed
    assert without.train.meta["domain"] == f"all subjects but {', '.join(held_out)}"
    kept = [s for s in subjects if s not in held_out]
    labels = np.concatenate([har.splits(s, data_root, "cluda").train.y for s in kept])
    assert np.array_equal(without.train.y, labels)               # exactly the kept subjects, in order
    with pytest.raises(DataError, match="has no subject 999 to exclude"):
        load_domains(["HAR~999"], data_root)
