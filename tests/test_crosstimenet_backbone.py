"""The ``crosstimenet`` backbone (issue 14, item 4): CrossTimeNet's tokenizer + pre-trained BERT as the
featurizer of UDA and DG methods, loaded from a stored run. Offline and CPU-fast: tiny tokenizer and
pre-training runs on ``synthetic3x128`` (the channels and length of the ``synthetic`` UDA benchmark)
and ``synthetic2x96``, fitted into a temporary ``ResultsStore``."""
from __future__ import annotations

import pytest
import torch

from workbench.models import BACKBONES
from workbench.papers.crosstimenet_uda import backbone_options, comparison_configs, pretraining_runs, summarize
from workbench.pretrain.crosstimenet_data import load_domains
from workbench.results import ResultsStore
from workbench.sweep import sweep
from workbench.train import RunConfig, fit, load_algorithm, run_id

DOMAINS = ["synthetic3x128", "synthetic2x96"]
TOKENIZER = {"token_len": 8, "hidden_dim": 16, "codebook_size": 32, "blocks": 1, "lr": 3e-3}
ENCODER = {"hidden_size": 16, "num_layers": 1, "num_heads": 2, "intermediate_size": 32, "max_positions": 32,
           "lr": 1e-3}
FAST = {"steps": 4, "batch_size": 16, "eval_every": 2}


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    return tmp_path_factory.mktemp("crosstimenet_backbone") / "runs.sqlite"


@pytest.fixture(scope="module")
def store(store_path):
    return ResultsStore(store_path)


@pytest.fixture(scope="module")
def runs(store):
    return pretraining_runs(DOMAINS, DOMAINS[0], store, tokenizer_steps=20, pretrain_steps=6,
                            tokenizer=TOKENIZER, encoder=ENCODER)


def options(runs, store_path, setting="cross-domain", **extra):
    return {**backbone_options(setting, runs, store_path, DOMAINS[0])["backbone_options"], **extra}


def test_built_from_defaults_is_random_and_shaped():
    torch.manual_seed(0)
    model = BACKBONES.create("crosstimenet", input_channels=3, seq_len=60).eval()
    assert model.origin == "random" and model.num_tokens == 8 and model.out_dim == 8 * 64
    assert not any(p.requires_grad for p in model.tokenizer.parameters())
    assert all(p.requires_grad for p in model.encoder.parameters())
    mean = BACKBONES.create("crosstimenet", input_channels=3, seq_len=60, pooling="mean").eval()
    assert mean(torch.randn(2, 3, 60)).shape == (2, 64)


def test_pretrained_backbone_gives_the_pretrained_encoders_features(runs, store_path):
    pretraining = load_algorithm(runs["cross-domain"]).eval()
    x = torch.as_tensor(load_domains(DOMAINS[:1])[DOMAINS[0]].test.x[:5])          # [5, 3, 128]
    model = BACKBONES.create("crosstimenet", input_channels=3, seq_len=128, **options(runs, store_path)).eval()
    assert model.origin == f"crosstimenet run {runs['cross-domain'].run_id}"
    with torch.no_grad():
        expected = pretraining.encoder(pretraining.tokens(DOMAINS[0], x))            # [5, N, H]
        assert torch.equal(model.tokens(x), pretraining.tokens(DOMAINS[0], x))
        torch.testing.assert_close(model(x), expected.flatten(1), rtol=0, atol=0)
    assert model.out_dim == 16 * 16


def test_no_pretraining_setting_has_the_trained_tokenizer_and_a_random_encoder(runs, store_path):
    torch.manual_seed(0)
    model = BACKBONES.create("crosstimenet", input_channels=3, seq_len=128,
                             **options(runs, store_path, "no pre-training")).eval()
    pretrained = BACKBONES.create("crosstimenet", input_channels=3, seq_len=128, **options(runs, store_path))
    x = torch.randn(4, 3, 128)
    assert torch.equal(model.tokens(x), pretrained.tokens(x))
    assert model.encoder.hidden_size == 16 and model.origin.startswith("vq_tokenizer run")
    assert not torch.equal(model.encoder.token_embedding.weight, pretrained.encoder.token_embedding.weight)


def test_frozen_encoder_stays_in_eval_mode_without_gradients(runs, store_path):
    model = BACKBONES.create("crosstimenet", input_channels=3, seq_len=128,
                             **options(runs, store_path, freeze_encoder=True)).train()
    assert not model.encoder.training and not model.tokenizer.training
    assert not any(p.requires_grad for p in model.parameters())


def uda_config(runs, store_path, setting="cross-domain", method="ERM", **extra) -> RunConfig:
    return RunConfig(method, "synthetic", "0", "1", hparams=backbone_options(setting, runs, store_path, DOMAINS[0]),
                     **{**FAST, **extra})


def test_a_uda_run_with_the_pretrained_backbone_trains_is_stored_and_moves_the_encoder(runs, store, store_path):
    run = fit(uda_config(runs, store_path, method="DANN"), store=store, progress=False)
    assert 0.0 <= run.metrics["target_test_acc"] <= 1.0 and store.has(run.run_id)
    start = load_algorithm(runs["cross-domain"]).encoder.state_dict()
    moved = {k: v for k, v in run.state_dict.items() if k.startswith("featurizer.encoder.")}
    assert any(not torch.equal(v, start[k[len("featurizer.encoder."):]]) for k, v in moved.items())
    again = load_algorithm(store.get(run.run_id))            # rebuilt from the config, the run's weights
    assert torch.equal(again.featurizer.encoder.token_embedding.weight,
                       run.state_dict["featurizer.encoder.bert.embeddings.word_embeddings.weight"])


def test_a_dg_run_with_the_pretrained_backbone_trains(runs, store_path):
    config = RunConfig("ERM", "synthetic", "0|1", "2", kind="dg",
                       hparams=backbone_options("in-domain", runs, store_path, DOMAINS[0]), **FAST)
    run = fit(config, progress=False, keep_state=False)
    assert 0.0 <= run.metrics["target_test_acc"] <= 1.0


def test_the_pretraining_run_enters_the_uda_run_id(runs, store_path):
    ids = {setting: run_id(uda_config(runs, store_path, setting), "data") for setting in
           ("cross-domain", "in-domain", "no pre-training", "cnn")}
    assert len(set(ids.values())) == 4
    cross, within = (uda_config(runs, store_path, s).hparams["backbone_options"] for s in ("cross-domain", "in-domain"))
    assert {**cross, "pretrained": None} == {**within, "pretrained": None}       # only the pre-training run differs
    assert run_id(uda_config(runs, store_path), "data") == ids["cross-domain"]   # and the id is stable


def test_a_moved_store_keeps_the_run_ids_of_runs_that_use_it(runs, store_path, tmp_path):
    moved = tmp_path / "elsewhere" / "moved.sqlite"
    before = uda_config(runs, store_path, "cross-domain")
    after = uda_config(runs, str(moved), "cross-domain")
    assert before.hparams["backbone_options"]["pretrained"]["store"] != after.hparams["backbone_options"]["pretrained"]["store"]
    assert run_id(before, "data") == run_id(after, "data")
    other = uda_config(runs, str(moved), "in-domain")                 # another pre-training run: another id
    assert run_id(other, "data") != run_id(after, "data")


def test_comparison_is_one_sweep(runs, store, store_path):
    base = RunConfig("ERM", "synthetic", "0", "1", hparams={"lr": 1e-3}, **FAST)
    plans = comparison_configs(base, runs, store_path, DOMAINS[0], seeds=(0,), settings=("cnn", "cross-domain"),
                               setting_hparams={"cross-domain": {"lr": 1e-4}})
    assert [labels["setting"] for labels, _ in plans] == ["cnn", "cross-domain"]
    assert plans[1][1].hparams["lr"] == 1e-4 and plans[1][1].hparams["backbone"] == "crosstimenet"
    ids = sweep([config for _, config in plans], store=store, progress=False)
    table = summarize(plans, ids, store)
    assert list(table.index) == ["cnn", "cross-domain"] and (table["count"] == 1).all()


def make(runs, store_path, channels=3, seq_len=128, **pretrained):
    spec = {**options(runs, store_path)["pretrained"], **pretrained}
    return BACKBONES.create("crosstimenet", input_channels=channels, seq_len=seq_len, pretrained=spec)


@pytest.mark.parametrize("change,error,words", [
    ({"store": "/nonexistent/runs.sqlite"}, FileNotFoundError, ["no results store", "/nonexistent/runs.sqlite"]),
    ({"run_id": "0123456789abcdef"}, KeyError, ["0123456789abcdef", "not in the results store"]),
    ({"domain": "HAR"}, KeyError, ["'HAR'", "synthetic3x128, synthetic2x96"]),
    ({"domain": "synthetic2x96"}, ValueError, ["reads 2 channels", "has 3"]),
])
def test_clear_errors_for_a_wrong_pretrained_spec(runs, store_path, change, error, words):
    with pytest.raises(error) as caught:
        make(runs, store_path, **change)
    for word in words:
        assert word in str(caught.value), (word, str(caught.value))


def test_clear_errors_for_kind_length_keys_and_sizes(runs, store, store_path):
    uda = fit(uda_config(runs, store_path, "cnn"), store=store, progress=False)
    with pytest.raises(ValueError, match=r"is a 'uda' run .*'crosstimenet' or 'vq_tokenizer'"):
        make(runs, store_path, run_id=uda.run_id)
    with pytest.raises(ValueError, match="more than the encoder's 32 positions"):
        make(runs, store_path, seq_len=8 * 33)
    with pytest.raises(ValueError, match="exactly the keys store, run_id, domain"):
        BACKBONES.create("crosstimenet", input_channels=3, seq_len=128, pretrained={"run_id": "x"})
    with pytest.raises(ValueError, match="sizes come from the pre-training run.*hidden_size"):
        BACKBONES.create("crosstimenet", input_channels=3, seq_len=128, **options(runs, store_path, hidden_size=8))
    with pytest.raises(TypeError, match="no option widht"):
        BACKBONES.create("crosstimenet", input_channels=3, seq_len=128, widht=3)
    with pytest.raises(ValueError, match="pooling must be one of"):
        BACKBONES.create("crosstimenet", input_channels=3, seq_len=128, pooling="max")

