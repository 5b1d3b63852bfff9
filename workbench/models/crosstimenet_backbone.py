"""CrossTimeNet's tokenizer and BERT encoder as a registered backbone, ``"crosstimenet"``, so every
UDA and DG method can ask whether (cross-domain) masked-token pre-training helps adaptation.

``x: [B, C, T]`` -> one domain's VQ tokenizer -> global token ids ``[B, N]`` (``N = ceil(T /
token_len)``) -> the BERT (``models.token_bert.TokenEncoder``) -> hidden states ``[B, N, H]`` ->
pooled features ``[B, out_dim]``. ``pooling``: ``"flatten"`` (default; ``out_dim = N * H``, what
the CrossTimeNet fine-tuning head reads, so a token keeps its position in time) or ``"mean"``
(``out_dim = H``, position-free and independent of ``T``).

The tokenizer is always frozen (its ids come from a nearest-code look-up, which has no gradient;
the paper freezes it after stage 1). ``freeze_encoder=True`` freezes the BERT too (and keeps it in
eval mode, no dropout): only the method's heads train, the public code's ``--frozen``. Beware
that a method which aligns features (DANN, MMD, ...) then has nothing to move: its alignment
loss trains its discriminator only.

Where the weights come from (``pretrained``):

- absent: a randomly initialised tokenizer and encoder of the sizes in ``options`` (defaults:
  the ``vq_tokenizer`` / ``crosstimenet`` kinds' defaults). What the registry-wide tests build;
  a random tokenizer is no baseline for the paper's question — use a ``vq_tokenizer`` run.
- ``{"store": path, "run_id": id, "domain": name}``: the run ``id`` of the results store at
  ``path``, read through ``ResultsStore.get`` (its checkpoint's sha256 is verified), and the
  tokenizer of its domain ``name``. A ``crosstimenet`` run gives the tokenizer *and* the
  pre-trained encoder (sizes from the run); a ``vq_tokenizer`` run gives the tokenizer and a
  randomly initialised encoder (sizes from ``options``): "no pre-training" on the same tokens.

The run id is part of the hyper-parameters, hence of a UDA / DG run's id: another pre-training
gives another run. The store's path is not (``train.LOCATION_OPTIONS``): it says where the
pre-training run is, not what it is, so a moved store keeps the ids.
The data should be z-scored as the pre-training's (the ``crosstimenet`` kinds z-score each
domain with its own training statistics; the UDA kind's ``source_train`` is close to that).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from torch import Tensor, nn

from workbench.models import BACKBONES
from workbench.models.encoding import Backbone

__all__ = ["CrossTimeNetBackbone", "POOLINGS", "PRETRAINED_KEYS", "TOKENIZER_SIZES", "ENCODER_SIZES"]

#: pooling name -> ``(hidden [B, N, H] -> features [B, D], (N, H) -> D)``
POOLINGS: dict[str, tuple[Callable[[Tensor], Tensor], Callable[[int, int], int]]] = {
    "flatten": (lambda hidden: hidden.flatten(1), lambda n, h: n * h),
    "mean": (lambda hidden: hidden.mean(1), lambda n, h: h),
}
PRETRAINED_KEYS = ("store", "run_id", "domain")
#: the tokenizer's and the encoder's size options (defaults: the CrossTimeNet kinds' tables)
TOKENIZER_SIZES = ("token_len", "hidden_dim", "codebook_size", "blocks", "kernel_size")
ENCODER_SIZES = ("hidden_size", "num_layers", "num_heads", "intermediate_size", "max_positions", "dropout",
                 "lm_init", "token_init")


@dataclass
class _Parts:
    """What a backbone is made of: a tokenizer, where its ids sit in the vocabulary, an encoder."""

    tokenizer: nn.Module
    offset: int                     # global id = offset + local id
    vocab_size: int
    encoder: dict                   # TokenEncoder keyword arguments
    encoder_state: dict | None = field(default=None, repr=False)
    origin: str = "random"


@BACKBONES.register("crosstimenet")
class CrossTimeNetBackbone(Backbone):
    """``x [B, C, T]`` -> tokens ``[B, N]`` -> BERT ``[B, N, H]`` -> pooled ``[B, out_dim]`` (features only)."""

    def __init__(self, input_channels: int, seq_len: int, pretrained: dict | None = None,
                 freeze_encoder: bool = False, pooling: str = "flatten", **sizes):
        super().__init__()
        from workbench.models.token_bert import TokenEncoder
        if pooling not in POOLINGS:
            raise ValueError(f"crosstimenet pooling must be one of {sorted(POOLINGS)}, got {pooling!r}")
        unknown = sorted(set(sizes) - set(TOKENIZER_SIZES) - set(ENCODER_SIZES))
        if unknown:
            raise TypeError(f"crosstimenet backbone has no option {', '.join(unknown)}; options: pretrained, "
                            f"freeze_encoder, pooling, {', '.join(TOKENIZER_SIZES + ENCODER_SIZES)}")
        parts = _from_run(pretrained, input_channels, sizes) if pretrained is not None else _random(input_channels,
                                                                                                      sizes)
        self.origin, self.offset, self.freeze_encoder = parts.origin, parts.offset, freeze_encoder
        self.tokenizer = parts.tokenizer.requires_grad_(False).eval()
        self.encoder = TokenEncoder(parts.vocab_size, **parts.encoder)
        if parts.encoder_state is not None:
            self.encoder.load_state_dict(parts.encoder_state)
        self.encoder.requires_grad_(not freeze_encoder)
        self.num_tokens = self.tokenizer.num_tokens(seq_len)
        if self.num_tokens > self.encoder.max_positions:
            raise ValueError(f"a series of {seq_len} steps is {self.num_tokens} tokens of {self.tokenizer.token_len} "
                             f"steps, more than the encoder's {self.encoder.max_positions} positions; use a "
                             "tokenizer with a longer token_len or an encoder with more max_positions")
        self.pooling = pooling
        self.out_dim = POOLINGS[pooling][1](self.num_tokens, self.encoder.hidden_size)

    def train(self, mode: bool = True):
        super().train(mode)
        self.tokenizer.eval()                 # frozen: no codebook updates
        if self.freeze_encoder:
            self.encoder.eval()               # a frozen encoder has no dropout either
        return self

    def tokens(self, x: Tensor) -> Tensor:   # [B, C, T] -> [B, N] global ids
        return self.tokenizer.tokenize(x) + self.offset

    def hidden(self, x: Tensor) -> Tensor:   # [B, C, T] -> [B, N, H]
        return self.encoder(self.tokens(x))

    def forward(self, x: Tensor) -> Tensor:  # [B, C, T] -> [B, out_dim]
        return POOLINGS[self.pooling][0](self.hidden(x))


def _defaults(names: tuple[str, ...]) -> dict:
    from workbench.pretrain.crosstimenet import ENCODER_HPARAMS
    from workbench.pretrain.crosstimenet_tokenizer import TOKENIZER_HPARAMS
    table = {**TOKENIZER_HPARAMS, **ENCODER_HPARAMS}
    return {name: table[name].default for name in names}


def _tokenizer_hparams(sizes: dict) -> dict:
    from workbench.pretrain.crosstimenet_tokenizer import TOKENIZER_HPARAMS
    return {**{name: hp.default for name, hp in TOKENIZER_HPARAMS.items()}, **sizes}


def _random(input_channels: int, sizes: dict) -> _Parts:
    """A randomly initialised tokenizer (a one-domain vocabulary) and encoder."""
    from workbench.pretrain.crosstimenet_tokenizer import build_tokenizers
    tokenizer_sizes = {**_defaults(TOKENIZER_SIZES), **{k: v for k, v in sizes.items() if k in TOKENIZER_SIZES}}
    tokenizer = build_tokenizers({"series": input_channels}, _tokenizer_hparams(tokenizer_sizes))["series"]
    encoder = {**_defaults(ENCODER_SIZES), **{k: v for k, v in sizes.items() if k in ENCODER_SIZES}}
    return _Parts(tokenizer, 0, tokenizer_sizes["codebook_size"] + 1, encoder)


def _check_spec(spec) -> None:
    if not isinstance(spec, dict) or set(spec) != set(PRETRAINED_KEYS):
        got = sorted(spec) if isinstance(spec, dict) else repr(spec)
        raise ValueError(f"crosstimenet option 'pretrained' must be an object with exactly the keys "
                         f"{', '.join(PRETRAINED_KEYS)} (a results store's path, the id of a crosstimenet or "
                         f"vq_tokenizer run in it, the domain whose tokenizer reads this data), got {got}; "
                         "papers.crosstimenet_uda.backbone_options spells it")
    if not all(isinstance(spec[key], str) and spec[key] for key in PRETRAINED_KEYS):
        raise ValueError(f"crosstimenet 'pretrained' values must be non-empty strings, got {spec!r}")


def load_run(spec: dict):
    """The stored run ``spec`` names, with its verified weights, or an error saying what is missing."""
    _check_spec(spec)
    path = Path(spec["store"])
    if not path.is_file():
        raise FileNotFoundError(f"no results store at {str(path)!r} (crosstimenet 'pretrained'); fit the "
                                "pre-training runs into a store there first (papers.crosstimenet_uda.pretraining_runs)")
    from workbench.results import ResultsStore
    store = ResultsStore(path)
    run = store.get(spec["run_id"])
    if run is None:
        raise KeyError(f"run {spec['run_id']!r} is not in the results store {str(path)!r} ({len(store)} runs); "
                       "fit the pre-training run into this store, or name the store that holds it")
    if run.config.kind not in _LOADERS:
        raise ValueError(f"run {run.run_id} is a {run.config.kind!r} run ({run.config.method}); the crosstimenet "
                         f"backbone starts from a {' or '.join(repr(k) for k in _LOADERS)} run")
    if run.state_dict is None:
        why = run.state_problem or "it kept no model state (fitted with keep_state=False)"
        raise ValueError(f"run {run.run_id} in {str(path)!r} has no usable weights: {why}; fit it again "
                         "with keep_state=True")
    return run


def _from_run(spec: dict, input_channels: int, sizes: dict) -> _Parts:
    run = load_run(spec)
    return _LOADERS[run.config.kind](run, spec["domain"], input_channels, sizes)


def _domain_tokenizer(run, domain: str, input_channels: int, sizes: dict):
    """(the tokenizer of ``domain`` with the run's weights, the run's vocabulary)."""
    from workbench.pretrain.crosstimenet import tokenizer_run_of
    from workbench.pretrain.crosstimenet_tokenizer import build_tokenizers, vocabulary
    given = sorted(set(sizes) & set(TOKENIZER_SIZES))
    if given:
        raise ValueError(f"the tokenizer's sizes come from run {run.run_id}; remove {', '.join(given)} from the "
                         "crosstimenet backbone_options")
    tokenizer_config = tokenizer_run_of(run.config)
    vocab = vocabulary(tokenizer_config)
    if domain not in vocab.offsets:
        raise KeyError(f"domain {domain!r} has no tokenizer in run {run.run_id}; its domains are "
                       f"{', '.join(vocab.names)} (crosstimenet 'pretrained' 'domain')")
    prefix = f"tokenizers.{domain}."
    state = {k[len(prefix):]: v for k, v in run.state_dict.items() if k.startswith(prefix)}
    channels = int(state["decoder.out.weight"].shape[0])            # [C, hidden, 1]
    if channels != input_channels:
        raise ValueError(f"domain {domain!r}'s tokenizer (run {run.run_id}) reads {channels} channels, the data "
                         f"has {input_channels}; name the domain whose series these are, or pre-train a "
                         "tokenizer on data with this channel count")
    tokenizer = build_tokenizers({domain: channels}, tokenizer_config.resolved().hparams)[domain]
    tokenizer.load_state_dict(state)
    return tokenizer, vocab


def _pretrained_encoder(run, domain: str, input_channels: int, sizes: dict) -> _Parts:
    """A ``crosstimenet`` run: its tokenizer of ``domain`` and its pre-trained encoder."""
    from workbench.pretrain.crosstimenet import encoder_hparams
    given = sorted(set(sizes) & set(ENCODER_SIZES))
    if given:
        raise ValueError(f"the encoder's sizes come from the pre-training run {run.run_id}; remove "
                         f"{', '.join(given)} from the crosstimenet backbone_options")
    tokenizer, vocab = _domain_tokenizer(run, domain, input_channels, {})
    # the weights are loaded below, so a language model named by lm_init is not read again
    encoder = {**encoder_hparams(run.config.hparams), "lm_init": "", "token_init": "random"}
    state = {k[len("encoder."):]: v for k, v in run.state_dict.items() if k.startswith("encoder.")}
    return _Parts(tokenizer, vocab.offset(domain), vocab.size, encoder, state, origin=f"crosstimenet run {run.run_id}")


def _tokenizer_only(run, domain: str, input_channels: int, sizes: dict) -> _Parts:
    """A ``vq_tokenizer`` run: its tokenizer of ``domain``, a random encoder sized by ``sizes``."""
    tokenizer, vocab = _domain_tokenizer(run, domain, input_channels, {k: v for k, v in sizes.items()
                                                                       if k in TOKENIZER_SIZES})
    encoder = {**_defaults(ENCODER_SIZES), **sizes}
    return _Parts(tokenizer, vocab.offset(domain), vocab.size, encoder, origin=f"vq_tokenizer run {run.run_id}")


#: run kind -> how a backbone is made from it
_LOADERS: dict[str, Callable] = {"crosstimenet": _pretrained_encoder, "vq_tokenizer": _tokenizer_only}
