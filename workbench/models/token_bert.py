"""CrossTimeNet's encoder (Cheng et al., WSDM 2025): a BERT (Devlin et al. 2019) over time-series
token ids, built with Hugging Face ``transformers`` (imported when an encoder is built, so
importing ``workbench`` stays cheap).

BERT's word embedding is replaced by one row per token of the joint vocabulary
(``workbench.models.tokenizer.JointVocabulary``); position and token-type embeddings, the
embedding LayerNorm and the layers are BERT's. ``lm_init`` names a local directory or a model id
already in the Hugging Face cache whose weights initialise the layers (the paper's language-model
initialisation; nothing is downloaded). ``token_init``: ``random`` (the public code's
``--embeding random``) or ``word_mapping`` (its default: each token starts as a word embedding
of the language model, the words drawn at random without replacement).
"""
from __future__ import annotations

from torch import Tensor, nn

__all__ = ["TokenEncoder", "bert_config", "load_language_model", "TOKEN_INITS"]

TOKEN_INITS = ("random", "word_mapping")
#: encoder size name -> the BertConfig field it sets
_SIZES = {"hidden_size": "hidden_size", "num_layers": "num_hidden_layers", "num_heads": "num_attention_heads",
          "intermediate_size": "intermediate_size", "max_positions": "max_position_embeddings",
          "dropout": "hidden_dropout_prob"}


def bert_config(vocab_size: int, hidden_size: int = 64, num_layers: int = 2, num_heads: int = 4,
                intermediate_size: int = 256, max_positions: int = 512, dropout: float = 0.1):
    """A ``transformers.BertConfig`` of the given sizes (attention dropout = ``dropout``)."""
    from transformers import BertConfig
    return BertConfig(vocab_size=vocab_size, hidden_size=hidden_size, num_hidden_layers=num_layers,
                      num_attention_heads=num_heads, intermediate_size=intermediate_size,
                      max_position_embeddings=max_positions, hidden_dropout_prob=dropout,
                      attention_probs_dropout_prob=dropout)


def load_language_model(path: str):
    """``BertModel.from_pretrained(path)`` from local files only; a clear error when absent."""
    from transformers import BertModel
    try:
        return BertModel.from_pretrained(path, local_files_only=True, add_pooling_layer=False)
    except (OSError, ValueError) as error:
        raise FileNotFoundError(
            f"language-model weights {path!r} are not on this machine ({type(error).__name__}: "
            f"{str(error).splitlines()[0]}). This workbench does not download them: save a BERT there "
            "(config.json + model.safetensors, e.g. BertModel.save_pretrained on a machine with access) "
            "or set lm_init='' for a randomly initialised encoder") from error


class TokenEncoder(nn.Module):
    """``ids: [B, N]`` (global token ids) -> hidden states ``[B, N, hidden_size]``."""

    def __init__(self, vocab_size: int, hidden_size: int = 64, num_layers: int = 2, num_heads: int = 4,
                 intermediate_size: int = 256, max_positions: int = 512, dropout: float = 0.1,
                 lm_init: str = "", token_init: str = "random", seed: int = 0):
        super().__init__()
        sizes = {"hidden_size": hidden_size, "num_layers": num_layers, "num_heads": num_heads,
                 "intermediate_size": intermediate_size, "max_positions": max_positions, "dropout": dropout}
        if token_init not in TOKEN_INITS:
            raise ValueError(f"token_init must be one of {TOKEN_INITS}, got {token_init!r}")
        if token_init == "word_mapping" and not lm_init:
            raise ValueError("token_init='word_mapping' draws token embeddings from a language model's words; "
                             "name one with lm_init, or use token_init='random'")
        if lm_init:
            from transformers import BertModel
            self.bert: BertModel = load_language_model(lm_init)
            _check_sizes(self.bert.config, sizes, lm_init)
        else:
            from transformers import BertModel
            self.bert = BertModel(bert_config(vocab_size, **sizes), add_pooling_layer=False)
        self.max_positions, self.hidden_size = max_positions, hidden_size
        self.bert.set_input_embeddings(self._token_embedding(vocab_size, hidden_size, token_init, seed))

    def _token_embedding(self, vocab_size: int, hidden_size: int, token_init: str, seed: int) -> nn.Embedding:
        embedding = nn.Embedding(vocab_size, hidden_size)
        if token_init == "word_mapping":
            import torch
            words = self.bert.get_input_embeddings().weight.detach()       # [V_lm, H]
            if len(words) < vocab_size:
                raise ValueError(f"word_mapping needs {vocab_size} distinct words, the language model has {len(words)}")
            rows = torch.randperm(len(words), generator=torch.Generator().manual_seed(seed))[:vocab_size]
            embedding.weight.data.copy_(words[rows])
        else:
            embedding.weight.data.normal_(0.0, self.bert.config.initializer_range)  # BERT's own init
        return embedding

    @property
    def token_embedding(self) -> nn.Embedding:
        return self.bert.get_input_embeddings()

    def forward(self, ids: Tensor) -> Tensor:  # [B, N] -> [B, N, H]
        if ids.shape[1] > self.max_positions:
            raise ValueError(f"{ids.shape[1]} tokens per series exceed the encoder's {self.max_positions} "
                             "positions; raise the domain's token_len or max_positions")
        return self.bert(input_ids=ids).last_hidden_state


def _check_sizes(config, sizes: dict, path: str) -> None:
    """A language model's sizes must be the run's (so the config says what was trained)."""
    actual = {name: getattr(config, field) for name, field in _SIZES.items()}
    wrong = {name: (sizes[name], actual[name]) for name in sizes if actual[name] != sizes[name]}
    if wrong:
        fix = ", ".join(f"{name}={value!r}" for name, value in actual.items())
        raise ValueError(f"language model {path!r} has sizes different from the run's: "
                         + "; ".join(f"{n} {asked!r} asked, {got!r} in the model" for n, (asked, got) in wrong.items())
                         + f". Set {fix} (notebooks/params/crosstimenet_paper.yaml has bert-base-uncased's)")
