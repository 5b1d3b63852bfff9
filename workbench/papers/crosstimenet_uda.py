"""Does cross-domain pre-training help adaptation? CrossTimeNet's encoder (Cheng et al., WSDM 2025)
as the backbone of a UDA or DG method, beside the method's usual CNN.

One comparison is one sweep: for a method (e.g. DANN) on a scenario, per seed, the settings

- ``cnn``: AdaTime's 1D-CNN (the workbench's default backbone);
- ``no pre-training``: the ``crosstimenet`` backbone with a trained tokenizer (the ``vq_tokenizer``
  run) and a randomly initialised encoder of the pre-trained encoders' sizes;
- ``in-domain``: the encoder pre-trained on the downstream domain's dataset only;
- ``cross-domain``: the encoder pre-trained on every domain of the tokenizer run.

All CrossTimeNet settings share one tokenizer run, so they differ in pre-training only.
``pretraining_runs`` fits the three runs into a results store (stored runs are not trained
again); ``comparison_configs`` builds the UDA / DG configs; ``sweep`` + ``summarize`` give the
table. The pre-training domains are whole datasets (every subject pooled, training splits only,
no labels): in UDA they include the target subject's unlabeled training series, which the method
sees anyway. A DG run must never see its held-out subjects: ``comparison_configs`` refuses a DG
config whose tokenizer or encoder was trained on a domain that pools them; pre-train on the
dataset without them (``crosstimenet_data.excluding("HAR", "18+19")`` -> ``HAR~18,19``).
"""
from __future__ import annotations

from dataclasses import replace

from workbench.pretrain.crosstimenet import encoder_hparams, pretrain_config
from workbench.pretrain.crosstimenet_data import excluding, split_excluded
from workbench.pretrain.ucr_runs import dataset_names
from workbench.pretrain.crosstimenet_tokenizer import tokenizer_config
from workbench.train import RunConfig, fit

__all__ = ["SETTINGS", "PRETRAINING", "pretraining_runs", "backbone_options", "comparison_configs", "summarize",
           "check_held_out_unseen"]

SETTINGS = ("cnn", "no pre-training", "in-domain", "cross-domain")
#: CrossTimeNet setting -> the domains its encoder is pre-trained on (``None``: the tokenizer run only)
PRETRAINING = {"no pre-training": lambda domains, downstream: None,
               "in-domain": lambda domains, downstream: [downstream],
               "cross-domain": lambda domains, downstream: list(domains)}


def pretraining_runs(domains: list[str], downstream: str, store, tokenizer_steps: int, pretrain_steps: int,
                     tokenizer: dict | None = None, encoder: dict | None = None, seed: int = 0,
                     batch_size: int = 32, root=None) -> dict:
    """``{setting: Run}`` for the CrossTimeNet settings: one ``vq_tokenizer`` run on ``domains`` and the
    ``crosstimenet`` runs pre-trained on ``[downstream]`` and on ``domains`` (``encoder``: its sizes and
    pre-training hyper-parameters). ``store`` must be a ``ResultsStore``: the backbone reads it back."""
    if downstream not in domains:
        raise ValueError(f"the downstream domain {downstream!r} must be one of the tokenizer's domains {domains}")
    tokenizer_run = fit(tokenizer_config(domains, tokenizer_steps, seed, batch_size, tokenizer,
                                         eval_every=max(1, tokenizer_steps // 5)), root=root, store=store,
                        progress=False)
    runs = {}
    for setting, names in PRETRAINING.items():
        pretrain_on = names(domains, downstream)
        runs[setting] = tokenizer_run if pretrain_on is None else fit(
            pretrain_config(tokenizer_run.config, pretrain_on, pretrain_steps, seed, batch_size, encoder,
                            eval_every=max(1, pretrain_steps // 5)), root=root, store=store, progress=False)
    return runs


def backbone_options(setting: str, runs: dict, store_path, domain: str, freeze_encoder: bool = False,
                     pooling: str = "flatten") -> dict:
    """The ``backbone`` / ``backbone_options`` hyper-parameters of ``setting`` (``runs``: ``pretraining_runs``)."""
    if setting not in SETTINGS:
        raise KeyError(f"unknown setting {setting!r}; choose from {SETTINGS}")
    if setting == "cnn":
        return {"backbone": "cnn", "backbone_options": {}}
    run = runs[setting]
    options = {"pretrained": {"store": str(store_path), "run_id": run.run_id, "domain": domain},
               "freeze_encoder": freeze_encoder, "pooling": pooling}
    if run.config.kind == "vq_tokenizer":          # the same sizes as the pre-trained encoders
        pretrained = [r for r in runs.values() if r.config.kind == "crosstimenet"]
        if pretrained:
            options.update(encoder_hparams(pretrained[0].config.hparams))
    return {"backbone": "crosstimenet", "backbone_options": options}


def comparison_configs(base: RunConfig, runs: dict, store_path, domain: str, seeds=(0,), settings=SETTINGS,
                       freeze_encoder: bool = False, pooling: str = "flatten",
                       setting_hparams: dict | None = None) -> list[tuple[dict, RunConfig]]:
    """``(labels, config)`` per seed and setting: ``base`` (a UDA or DG config: method, scenario, steps)
    with each setting's backbone; ``setting_hparams``: setting -> extra hyper-parameters (e.g. a lower
    ``lr`` for the BERT settings, as CrossTimeNet's fine-tuning uses 1e-4)."""
    if base.kind == "dg":
        check_held_out_unseen(base, {s: runs[s] for s in settings if s != "cnn"})
    plans = []
    for seed in seeds:
        for setting in settings:
            hparams = {**base.hparams, **backbone_options(setting, runs, store_path, domain, freeze_encoder, pooling),
                       **(setting_hparams or {}).get(setting, {})}
            plans.append(({"setting": setting, "seed": seed}, replace(base, hparams=hparams, seed=seed)))
    return plans


def check_held_out_unseen(config: RunConfig, runs: dict) -> None:
    """A DG ``config``'s held-out subjects (its ``target``) must be in no domain that trained the
    tokenizer or encoder of ``runs`` (``{setting: Run}``); the error names the clean domain."""
    held_out = set(config.target.split("+"))
    for setting, run in runs.items():
        chain = [run.config] + ([run.config.init_from] if run.config.init_from is not None else [])
        for trained in chain:
            for name in dataset_names(trained.source):
                dataset, excluded = split_excluded(name)
                seen = held_out - set(excluded)
                if dataset == config.dataset and seen:
                    raise ValueError(
                        f"DG run {config.method} on {config.dataset} holds out subject(s) {config.target}, but the "
                        f"{setting!r} {trained.kind} run was trained on domain {name!r}, which pools subject(s) "
                        f"{'+'.join(sorted(seen))}; pre-train on {excluding(config.dataset, config.target)!r} "
                        "instead (pretraining_runs(domains=[...]))")


def summarize(plans: list[tuple[dict, RunConfig]], ids: list[str], store, metric: str = "target_test_acc"):
    """Mean, std and count of ``metric`` per setting (rows in ``SETTINGS`` order), read by each config's rule."""
    from workbench.sweep import runs_frame
    frame = runs_frame([config for _, config in plans], ids, store)
    frame["setting"] = [labels["setting"] for labels, _ in plans]
    table = frame.groupby("setting")[metric].agg(["mean", "std", "count"])
    return table.reindex([s for s in SETTINGS if s in table.index])
