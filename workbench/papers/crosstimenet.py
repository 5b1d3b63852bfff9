"""CrossTimeNet (Cheng et al., WSDM 2025, arXiv 2403.12372): the experiments of its notebook.

- ``downstream``: per downstream domain and seed, a classifier fine-tuned after cross-domain
  pre-training (all domains), after in-domain pre-training (the downstream domain only) and
  without pre-training (a random encoder on the same tokens), and the supervised CNN on the raw
  series (AdaTime's 1D-CNN, same splits and selection). One tokenizer run (seed 0) serves
  every setting, so the settings differ in pre-training only. Accuracy on each domain's test
  split, the epoch chosen on its validation split (``source_val``), never on test.
- ``mask_ratio_curve``: the same with cross-domain pre-training at several mask ratios.
- ``tokenizer_table``, ``plot_reconstructions``, ``plot_codebook_usage``: the tokenizer's
  reconstruction error per domain beside predicting the mean, and its codebook usage.
- ``language_model_status``: whether language-model weights for ``lm_init`` are on this machine.

The paper's numbers are not reproduced here; the paper-scale parameter file
(``notebooks/params/crosstimenet_paper.yaml``) sets the public code's sizes.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from workbench.models.tokenizer import codebook_usage
from workbench.pretrain.crosstimenet import encoder_hparams, pretrain_config
from workbench.pretrain.crosstimenet_finetune import cnn_config, finetune_config
from workbench.pretrain.crosstimenet_tokenizer import reconstruct, tokenizer_config
from workbench.train import RunConfig, fit, load_algorithm

__all__ = ["SETTINGS", "downstream_configs", "downstream", "summarize", "mask_ratio_curve", "tokenizer_table",
           "plot_reconstructions", "plot_codebook_usage", "language_model_status", "fit_tokenizer",
           "compare_inits"]

SETTINGS = ("cross-domain", "in-domain", "none", "supervised CNN")


def fit_tokenizer(domains: list[str], steps: int, hparams: dict, store, root=None, batch_size: int = 32):
    """The one tokenizer run (seed 0) every setting starts from."""
    config = tokenizer_config(domains, steps, seed=0, batch_size=batch_size, hparams=hparams,
                              eval_every=max(1, steps // 5))
    return fit(config, root=root, store=store, progress=False)


def downstream_configs(tokenizer: RunConfig, domains: list[str], targets: list[str], seeds: list[int],
                       pretrain_steps: int, finetune_steps: int, encoder: dict, pretrain: dict | None = None,
                       finetune: dict | None = None, freeze_encoder: bool = False,
                       settings=SETTINGS, batch_size: int = 32) -> list[tuple[dict, RunConfig]]:
    """``(labels, config)`` per target, seed and setting (each CrossTimeNet chain starts at ``tokenizer``;
    the supervised CNN has no encoder to freeze, so a linear-probe list leaves it out)."""
    plans = []
    for target in targets:
        for seed in seeds:
            for setting in settings:
                if setting == "supervised CNN":
                    fraction = (finetune or {}).get("train_fraction", 1.0)
                    config = None if freeze_encoder else cnn_config(target, finetune_steps, seed, batch_size,
                                                                    {"train_fraction": fraction})
                else:
                    parent = _pretraining(setting, tokenizer, domains, target, seed, pretrain_steps,
                                          {**encoder, **(pretrain or {})}, batch_size)
                    config = finetune_config(parent, target, finetune_steps, seed=seed, batch_size=batch_size,
                                             freeze_encoder=freeze_encoder,
                                             hparams={**encoder_hparams_or(encoder, parent), **(finetune or {})})
                if config is not None:
                    plans.append(({"target": target, "setting": setting, "seed": seed}, config))
    return plans


def _pretraining(setting: str, tokenizer: RunConfig, domains: list[str], target: str, seed: int, steps: int,
                 hparams: dict, batch_size: int) -> RunConfig:
    """The run a setting fine-tunes from: a pre-training run on its domains, or the tokenizer run."""
    pretrain_domains = {"cross-domain": domains, "in-domain": [target], "none": None}
    if setting not in pretrain_domains:
        raise KeyError(f"unknown setting {setting!r}; choose from {SETTINGS}")
    if pretrain_domains[setting] is None:
        return tokenizer
    return pretrain_config(tokenizer, pretrain_domains[setting], steps, seed=seed, batch_size=batch_size,
                           hparams=hparams, eval_every=max(1, steps // 5))


def encoder_hparams_or(encoder: dict, parent: RunConfig) -> dict:
    """The encoder's hyper-parameters: the pre-training run's, or ``encoder`` for no pre-training."""
    return encoder_hparams(parent.resolved().hparams) if parent.kind == "crosstimenet" else dict(encoder)


def downstream(plans: list[tuple[dict, RunConfig]], store, root=None) -> pd.DataFrame:
    """Fit every plan (stored runs are read back); one row per fine-tuning run."""
    rows = []
    for labels, config in plans:
        run = fit(config, root=root, store=store, progress=False)
        pre_seconds = 0.0
        if config.init_from is not None and config.init_from.kind == "crosstimenet":
            pre_seconds = fit(config.init_from, root=root, store=store, progress=False).seconds
        rows.append({**labels, "linear_probe": config.hparams.get("freeze_encoder", False),
                     "test_acc": run.metrics["target_test_acc"], "test_f1": run.metrics["target_test_f1"],
                     "val_acc": run.metrics["source_val_acc"], "n_train": run.metrics["n_train"], "selected_step": run.metrics["selected_step"],
                     "selection": run.selection_label, "finetune_seconds": run.seconds,
                     "pretrain_seconds": pre_seconds, "run_id": run.run_id})
    return pd.DataFrame(rows)


def summarize(frame: pd.DataFrame, by=("target", "setting")) -> pd.DataFrame:
    """Mean and standard deviation of test accuracy over seeds, and the number of seeds."""
    grouped = frame.groupby(list(by))["test_acc"]
    return pd.DataFrame({"test_acc_mean": grouped.mean(), "test_acc_std": grouped.std(ddof=0),
                         "seeds": grouped.count()})


def mask_ratio_curve(tokenizer: RunConfig, domains: list[str], targets: list[str], ratios: list[float],
                     seeds: list[int], pretrain_steps: int, finetune_steps: int, encoder: dict, store,
                     root=None, pretrain: dict | None = None, finetune: dict | None = None) -> pd.DataFrame:
    """Downstream accuracy after cross-domain pre-training at each mask ratio."""
    frames = []
    for ratio in ratios:
        plans = downstream_configs(tokenizer, domains, targets, seeds, pretrain_steps, finetune_steps, encoder,
                                   {**(pretrain or {}), "mask_ratio": ratio}, finetune, settings=("cross-domain",))
        frames.append(downstream(plans, store, root).assign(mask_ratio=ratio))
    return pd.concat(frames, ignore_index=True)


def tokenizer_table(run) -> pd.DataFrame:
    """Per domain: test reconstruction MSE, the MSE of predicting the mean, perplexity, dead codes."""
    names = sorted({key.split("/")[0] for key in run.metrics if "/" in key})
    columns = ["recon_mse", "mean_mse", "perplexity", "dead_codes", "used_codes", "tokens_per_series", "token_len"]
    return pd.DataFrame([{"domain": n, **{c: run.metrics[f"{n}/{c}"] for c in columns}} for n in names]).set_index("domain")


def plot_reconstructions(run, data, series: int = 2, channel: int = 0):
    """The test series of each domain (one channel) with the tokenizer's reconstruction drawn over it."""
    import matplotlib.pyplot as plt
    model = load_algorithm(run, data=data)
    fig, axes = plt.subplots(len(model.names), series, figsize=(4 * series, 2.2 * len(model.names)), squeeze=False)
    for row, name in enumerate(model.names):
        x = data[name].test.x[:series]
        recon, ids = reconstruct(model.tokenizers[name], x)
        token_len = model.tokenizers[name].token_len
        for col in range(series):
            ax = axes[row, col]
            ax.plot(x[col, channel], color="0.3", lw=1.2, label="series")
            ax.plot(recon[col, channel], color="tab:red", lw=1.0, label="decode(tokenize(x))")
            for boundary in range(token_len, x.shape[2], token_len):
                ax.axvline(boundary, color="0.85", lw=0.5, zorder=0)
            ax.set_title(f"{name} test #{col}, channel {channel}: {ids.shape[1]} tokens", fontsize=8)
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_codebook_usage(run, data):
    """Per domain, how often each code is chosen on the test split (sorted), with perplexity."""
    import matplotlib.pyplot as plt
    model = load_algorithm(run, data=data)
    fig, axes = plt.subplots(1, len(model.names), figsize=(4 * len(model.names), 2.6), squeeze=False)
    for ax, name in zip(axes[0], model.names):
        _, ids = reconstruct(model.tokenizers[name], data[name].test.x)
        counts = np.sort(np.bincount(ids.flatten(), minlength=model.tokenizers[name].n_codes))[::-1]
        usage = codebook_usage(torch.as_tensor(ids), model.tokenizers[name].n_codes)
        ax.bar(np.arange(len(counts)), counts, width=1.0, color="tab:blue")
        ax.set_title(f"{name}: perplexity {usage['perplexity']:.0f}, {usage['dead_codes']:.0f} unused "
                     f"of {len(counts)}", fontsize=8)
        ax.set_xlabel("code (sorted by use)")
    axes[0, 0].set_ylabel("test tokens")
    fig.tight_layout()
    return fig


def compare_inits(lm_path: str, tokenizer: RunConfig, domains: list[str], targets: list[str], seeds: list[int],
                  pretrain_steps: int, finetune_steps: int, encoder: dict, store, root=None) -> pd.DataFrame:
    """Cross-domain pre-training from a random encoder vs from the language model at ``lm_path``
    (``encoder`` must hold that model's sizes)."""
    frames = []
    for init, extra in (("random", {"lm_init": ""}), ("language model", {"lm_init": lm_path})):
        plans = downstream_configs(tokenizer, domains, targets, seeds, pretrain_steps, finetune_steps,
                                   {**encoder, **extra}, settings=("cross-domain",))
        frames.append(downstream(plans, store, root).assign(init=init))
    return pd.concat(frames, ignore_index=True)


def language_model_status(path: str) -> str | None:
    """``None`` when ``path`` holds a loadable language model, else why it cannot be used."""
    if not path:
        return "no language-model path given (lm_path is empty)"
    from transformers import BertConfig
    try:
        BertConfig.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError) as error:
        return (f"no language model at {path!r} ({type(error).__name__}): this machine cannot download "
                "weights; save bert-base-uncased there (BertModel.save_pretrained) on a machine with access")
    return None
