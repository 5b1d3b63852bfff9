"""CrossTimeNet (issue 14): tokenizer, masked-token loss, the BERT encoder and the three kinds
(``vq_tokenizer`` -> ``crosstimenet`` -> ``crosstimenet_finetune``) through ``fit`` and the store.

Offline and CPU-fast: the domains are ``synthetic<C>x<T>`` (``crosstimenet_data.synthetic_splits``),
two of different channels and lengths; tiny sizes throughout.
"""
from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from workbench.data.domain import DataError
from workbench.losses.masked_token import apply_mask, mask_positions, masked_count, masked_token_loss
from workbench.models.token_bert import TokenEncoder, bert_config
from workbench.models.tokenizer import JointVocabulary, VectorQuantizerEMA
from workbench.pretrain.crosstimenet import pretrain_config
from workbench.pretrain.crosstimenet_data import load_domains
from workbench.pretrain.crosstimenet_finetune import finetune_config, labelled_subset
from workbench.pretrain.crosstimenet_tokenizer import reconstruct, tokenizer_config, vocabulary
from workbench.results import ResultsStore
from workbench.selection import choose
from workbench.train import fit, load_algorithm

DOMAINS = ["synthetic3x64", "synthetic2x96"]
TOKENIZER = {"token_len": 4, "hidden_dim": 32, "codebook_size": 64, "blocks": 1, "lr": 3e-3}
ENCODER = {"hidden_size": 16, "num_layers": 1, "num_heads": 2, "intermediate_size": 32}
TINY_SIZES = {**ENCODER, "max_positions": 64, "dropout": 0.1}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return ResultsStore(tmp_path_factory.mktemp("crosstimenet") / "runs.sqlite")


@pytest.fixture(scope="module")
def tokenizer_run(store):
    return fit(tokenizer_config(DOMAINS, steps=150, hparams=TOKENIZER), store=store, progress=False)


@pytest.fixture(scope="module")
def pretrain_run(store, tokenizer_run):
    config = pretrain_config(tokenizer_run.config, DOMAINS, steps=40, hparams={**ENCODER, "lr": 1e-3},
                             eval_every=20)
    return fit(config, store=store, progress=False)


def test_tokenizer_round_trip_is_well_below_predicting_the_mean(tokenizer_run):
    for name in DOMAINS:
        recon, mean = tokenizer_run.metrics[f"{name}/recon_mse"], tokenizer_run.metrics[f"{name}/mean_mse"]
        assert recon < 0.5 * mean, (name, recon, mean)
        assert 1 < tokenizer_run.metrics[f"{name}/perplexity"] <= 64
        assert 0 <= tokenizer_run.metrics[f"{name}/dead_codes"] < 64
    assert tokenizer_run.metrics["synthetic2x96/tokens_per_series"] == 96 / 4


def test_every_token_id_is_inside_the_vocabulary(tokenizer_run):
    model, data = load_algorithm(tokenizer_run), load_domains(DOMAINS)
    vocab = vocabulary(tokenizer_run.config)
    assert vocab.size == 2 * 64 + 1 and vocab.mask_id == vocab.size - 1 == vocab.n_codes
    for name in DOMAINS:
        recon, ids = reconstruct(model.tokenizers[name], data[name].test.x)
        assert recon.shape == data[name].test.x.shape
        assert ids.min() >= 0 and ids.max() < 64
        global_ids = vocab.globalize(name, torch.as_tensor(ids))
        assert global_ids.min() >= vocab.offset(name) and global_ids.max() < vocab.offset(name) + 64 < vocab.size


def test_dead_codes_are_reseeded_from_the_batch():
    quantizer = VectorQuantizerEMA(dim=4, n_codes=8, dead_after_steps=2).train()
    z = torch.randn(64, 4) + 100.0                     # data far from every initial code
    quantizer(z)                                       # all codes start dead: seeded from this batch
    distance = torch.cdist(quantizer.codebook, z).min(1).values
    assert distance.max() < 1.0
    quantizer.codebook[3] = -1000.0                    # a code no batch will choose
    for _ in range(3):
        _, ids, _ = quantizer(z)
    assert torch.cdist(quantizer.codebook[3:4], z).min() < 1.0 and (quantizer.idle_steps < 3).all()


def test_joint_vocabulary_offsets_and_unknown_domain():
    vocab = JointVocabulary({"a": 3, "b": 5})
    assert (vocab.offset("a"), vocab.offset("b"), vocab.n_codes, vocab.mask_id, vocab.size) == (0, 3, 8, 8, 9)
    with pytest.raises(KeyError, match="holds a, b"):
        vocab.offset("c")


def test_masking_hides_exactly_the_requested_fraction():
    mask = mask_positions(16, 20, 0.3, torch.Generator().manual_seed(0))
    assert mask.shape == (16, 20) and (mask.sum(1) == 6).all()
    assert masked_count(10, 0.75) == 8 and masked_count(3, 0.01) == 1
    ids = torch.randint(0, 9, (16, 20))
    masked = apply_mask(ids, mask, 9)
    assert (masked[mask] == 9).all() and (masked[~mask] == ids[~mask]).all()
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        mask_positions(2, 4, 1.0)


def test_the_loss_is_computed_on_masked_positions_only():
    generator = torch.Generator().manual_seed(1)
    logits, targets = torch.randn(4, 10, 7, generator=generator), torch.randint(0, 7, (4, 10), generator=generator)
    mask = mask_positions(4, 10, 0.4, generator)
    loss = masked_token_loss(logits, targets, mask)
    changed = logits.clone()
    changed[~mask] = 50 * torch.randn_like(changed[~mask])          # unmasked positions: anything
    assert torch.equal(masked_token_loss(changed, targets, mask), loss)
    expected = torch.nn.functional.cross_entropy(logits.reshape(-1, 7), targets.flatten(), reduction="none")
    assert loss.item() == pytest.approx(expected[mask.flatten()].mean().item(), rel=1e-6)
    changed[mask] += 1.0 * torch.randn_like(changed[mask])
    assert masked_token_loss(changed, targets, mask) != loss


def test_a_saved_tiny_bert_loads_and_its_embeddings_reach_the_encoder(tmp_path):
    from transformers import BertModel
    saved = BertModel(bert_config(vocab_size=300, **TINY_SIZES), add_pooling_layer=False).eval()
    saved.save_pretrained(tmp_path)
    encoder = TokenEncoder(vocab_size=129, **TINY_SIZES, lm_init=str(tmp_path), token_init="word_mapping").eval()
    words = saved.get_input_embeddings().weight
    rows = encoder.token_embedding.weight
    assert all((words == row).all(1).any() for row in rows)           # every token starts as a word of the LM
    assert len({tuple(r.tolist()) for r in rows}) == 129               # ... all different words
    for name, tensor in saved.state_dict().items():
        if "word_embeddings" not in name:
            assert torch.equal(encoder.bert.state_dict()[name], tensor), name
    ids = torch.randint(0, 129, (2, 12))
    with torch.no_grad():
        expected = saved(inputs_embeds=rows[ids]).last_hidden_state
        assert torch.allclose(encoder(ids), expected, atol=1e-6)


def test_language_model_errors_say_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not download"):
        TokenEncoder(vocab_size=10, **TINY_SIZES, lm_init=str(tmp_path / "absent"))
    from transformers import BertModel
    BertModel(bert_config(vocab_size=300, **TINY_SIZES), add_pooling_layer=False).save_pretrained(tmp_path)
    with pytest.raises(ValueError, match="hidden_size 32 asked, 16 in the model"):
        TokenEncoder(vocab_size=10, **{**TINY_SIZES, "hidden_size": 32}, lm_init=str(tmp_path))
    with pytest.raises(ValueError, match="name one with lm_init"):
        TokenEncoder(vocab_size=10, token_init="word_mapping")


def test_pretraining_learns_and_is_found_in_the_store(store, tokenizer_run, pretrain_run):
    first, last = pretrain_run.history[0], pretrain_run.history[-1]
    assert last["val_mlm_loss"] < first["val_mlm_loss"] and 0 <= last["val_mlm_acc"] <= 1
    assert set(pretrain_run.metrics) >= {f"{n}/val_mlm_acc" for n in DOMAINS}
    again = fit(pretrain_run.config, store=store, progress=False)
    assert again.from_store and again.run_id == pretrain_run.run_id
    assert fit(tokenizer_run.config, store=store, progress=False).from_store


def test_a_pretrained_encoder_saved_and_reloaded_gives_identical_features(tmp_path, tokenizer_run, pretrain_run):
    path = tmp_path / "runs.sqlite"
    ResultsStore(path).put(tokenizer_run)
    ResultsStore(path).put(pretrain_run)
    reloaded = load_algorithm(ResultsStore(path).get(pretrain_run.run_id))
    original = load_algorithm(pretrain_run)
    x = torch.as_tensor(load_domains(DOMAINS)["synthetic2x96"].test.x[:8])
    with torch.no_grad():
        ids = original.tokens("synthetic2x96", x)
        assert torch.equal(reloaded.tokens("synthetic2x96", x), ids)
        assert torch.equal(reloaded.encoder(ids), original.encoder(ids))


def test_finetuning_starts_from_the_pretrained_encoder_and_selects_on_validation(store, pretrain_run):
    config = finetune_config(pretrain_run.config, "synthetic3x64", steps=30, eval_every=10, hparams={"lr": 1e-3})
    run = fit(config, store=store, progress=False)
    assert run.config.selection == "source_val" and "ORACLE" not in run.selection_label
    assert run.metrics["selected_step"] == choose("source_val", run.history)["step"]
    assert "ORACLE" in run.select("oracle").selection_label
    assert 0 <= run.metrics["target_test_acc"] <= 1 and run.parent_id == pretrain_run.run_id
    probe = fit(finetune_config(pretrain_run.config, "synthetic3x64", steps=20, freeze_encoder=True,
                                hparams={"lr": 1e-3}), store=store, progress=False)
    pretrained = {k[len("encoder."):]: v for k, v in pretrain_run.state_dict.items() if k.startswith("encoder.")}
    probed = load_algorithm(probe.select("last")).encoder.state_dict()
    assert all(torch.equal(probed[k], v) for k, v in pretrained.items())  # linear probe: encoder untouched
    tuned = load_algorithm(run.select("last")).encoder.state_dict()
    assert not all(torch.equal(tuned[k], v) for k, v in pretrained.items())


def test_no_pretraining_and_wrong_chains_are_refused_or_named(store, tokenizer_run, pretrain_run):
    scratch = fit(finetune_config(tokenizer_run.config, "synthetic2x96", steps=10,
                                  hparams={**ENCODER, "train_fraction": 0.25}), store=store, progress=False)
    assert scratch.config.source == "none" and 0 <= scratch.metrics["target_test_acc"] <= 1
    assert scratch.metrics["n_train"] < 0.3 * 96
    with pytest.raises(DataError, match="has no tokenizer"):
        fit(finetune_config(tokenizer_run.config, "synthetic1x32", steps=5, hparams=ENCODER), progress=False)
    wrong = finetune_config(pretrain_run.config, "synthetic3x64", steps=5, hparams={"hidden_size": 32})
    with pytest.raises(DataError, match="encoder's hyper-parameters must be the pre-training run's"):
        fit(wrong, store=store, progress=False)
    with pytest.raises(DataError, match="among the tokenizer run's"):
        fit(pretrain_config(tokenizer_run.config, ["synthetic1x32"], steps=5), store=store, progress=False)


def test_labelled_subset_is_stratified_and_fixed_by_the_seed():
    train = load_domains(["synthetic3x64"])["synthetic3x64"].train
    subset = labelled_subset(train, 0.25, seed=0)
    counts, full = subset.class_counts(), train.class_counts()
    assert (counts >= 1).all() and abs(counts - 0.25 * full).max() <= 0.5
    assert (labelled_subset(train, 0.25, seed=0).x == subset.x).all()
    assert not (labelled_subset(train, 0.25, seed=1).x == subset.x).all()
    assert labelled_subset(train, 1.0, seed=0) is train
    with pytest.raises(DataError, match="train_fraction"):
        labelled_subset(train, 0.0, seed=0)


@pytest.mark.realdata
def test_real_domains_pool_subjects_and_carve_validation_from_ucr_train(data_root):
    from workbench.data.ucr import load_ucr
    wisdm, gunpoint = load_domains(["WISDM", "GunPoint"], data_root).values()
    assert wisdm.train.x.shape[1:] == (3, 128) and len(wisdm.val) > 0 and wisdm.train.num_classes == 6
    mean, std = wisdm.train.x.mean(axis=(0, 2)), wisdm.train.x.std(axis=(0, 2))
    assert abs(mean).max() < 1e-4 and abs(std - 1).max() < 1e-3        # z-scored with its own training statistics
    raw_train, raw_test = load_ucr("GunPoint", data_root)
    assert len(gunpoint.train) + len(gunpoint.val) == len(raw_train) and len(gunpoint.test) == len(raw_test)
    assert set(gunpoint.val.y) == set(raw_train.y)                     # stratified: every class in validation


def test_the_supervised_cnn_trains_on_the_same_splits_without_tokens(store):
    from workbench.pretrain.crosstimenet_finetune import cnn_config
    run = fit(cnn_config("synthetic3x64", steps=20, eval_every=10), store=store, progress=False)
    assert run.metrics["n_train"] == 96 and 0 <= run.metrics["target_test_acc"] <= 1 and run.config.method == "CNN"
    assert run.metrics["selected_step"] == choose("source_val", run.history)["step"]
    with pytest.raises(DataError, match="starts from nothing"):
        fit(replace(cnn_config("synthetic3x64", steps=5), source="synthetic3x64"), progress=False)
