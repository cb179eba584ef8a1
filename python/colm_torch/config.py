"""ColmConfig: FORMAT.md 1.1's config.json as a dataclass, every rule checked.

Reads both transformers dialects (``rope_theta`` + ``rope_scaling``, or ``rope_parameters``) and
refuses, naming it, any key that could change the math and is not understood, exactly as the
engine's loader (app/checkpoint/config*.ts) does: a model this package trains or imports must load
in the engine and mean the same thing there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


class ConfigError(ValueError):
    """A config.json that breaks FORMAT.md. The message names the key and the rule."""

    def __init__(self, where: str, key: str, rule: str):
        super().__init__(f"{where}: key \"{key}\": {rule}")
        self.key = key
        self.rule = rule


MODEL_TYPES = ("colm", "llama", "mistral", "qwen2", "qwen3")

# PretrainedConfig's generic keys and hub metadata: never part of the forward pass (config-keys.ts).
GENERIC_KEYS = frozenset("""
architectures auto_map transformers_version _name_or_path _commit_hash _from_model_config
_attn_implementation _attn_implementation_autoset _attn_implementation_internal torch_dtype dtype
use_bfloat16 use_cache return_dict use_return_dict output_hidden_states output_attentions
output_scores return_dict_in_generate torchscript tf_legacy_loss chunk_size_feed_forward
is_decoder cross_attention_hidden_size tie_encoder_decoder finetuning_task id2label label2id
num_labels problem_type tokenizer_class prefix task_specific_params pad_token_id sep_token_id
decoder_start_token_id initializer_range attention_dropout max_length min_length do_sample
early_stopping num_beams num_beam_groups diversity_penalty temperature top_k top_p
typical_p repetition_penalty length_penalty no_repeat_ngram_size encoder_no_repeat_ngram_size
bad_words_ids num_return_sequences forced_bos_token_id forced_eos_token_id remove_invalid_values
exponential_decay_length_penalty suppress_tokens begin_suppress_tokens custom_pipelines
is_llama_config transformers.js_config unsloth_version unsloth_fixed pretraining_tp
""".split())

READ_KEYS = frozenset("""
model_type hidden_size intermediate_size num_hidden_layers vocab_size num_attention_heads
num_key_value_heads head_dim rms_norm_eps rope_theta rope_scaling rope_parameters
tie_word_embeddings max_position_embeddings bos_token_id eos_token_id hidden_act
chains kv_sharing
""".split())

FAMILY_KEYS = {
    "llama": {"attention_bias", "mlp_bias"},
    "mistral": {"sliding_window"},
    "qwen2": {"use_sliding_window", "sliding_window", "max_window_layers", "layer_types"},
    "qwen3": {"attention_bias", "use_sliding_window", "sliding_window", "max_window_layers", "layer_types"},
    "colm": {"attention_bias", "mlp_bias", "use_sliding_window", "sliding_window", "max_window_layers", "layer_types"},
}

# Keys harmless at one value only (the value that leaves the math alone).
HARMLESS_AT = {
    "attention_bias": (lambda v: v is False or v is None, "this family has no attention_bias; only false is read"),
    "mlp_bias": (lambda v: v is False or v is None, "this family has no mlp_bias; only false is read"),
    "partial_rotary_factor": (lambda v: v is None or (not isinstance(v, bool) and v == 1), "partial rotary embeddings are not supported"),
    "rope_interleaved": (lambda v: v is False or v is None, "interleaved RoPE pairs are not supported (FORMAT.md uses rotate-half)"),
    "pruned_heads": (lambda v: v is None or v == {}, "pruned attention heads are not supported"),
    "is_encoder_decoder": (lambda v: v is False or v is None, "encoder-decoder models are not supported"),
    "add_cross_attention": (lambda v: v is False or v is None, "cross-attention is not supported"),
    "quantization_config": (lambda v: v is None, "quantized Hugging Face checkpoints are not supported"),
}

ROPE_KEYS = {"default": [], "linear": ["factor"],
             "llama3": ["factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"]}


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


@dataclass
class ColmConfig:
    """config.json of FORMAT.md 1.1. Construct directly (checked in __post_init__) or from_dict."""

    model_type: str = "colm"
    hidden_size: int = 64                      # D
    intermediate_size: int = 128               # H
    num_hidden_layers: int = 2                 # L
    vocab_size: int = 256                      # V
    num_attention_heads: int = 4               # h
    num_key_value_heads: int | None = None     # h_kv (None: h)
    head_dim: int | None = None                # None: D / h
    chains: list[int] = field(default_factory=lambda: [1])
    kv_sharing: bool = False                   # CoLM-Air: K and V from chain 1 only
    rms_norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    rope_scaling: dict | None = None           # None, {"rope_type": "linear", "factor"}, or llama3's
    tie_word_embeddings: bool = False
    attention_bias: bool = False               # llama/qwen3/colm: q, k, v and o biases
    mlp_bias: bool = False                     # llama/colm: gate, up and down biases
    sliding_window: int | None = None
    use_sliding_window: bool | None = None     # qwen style (None: key absent)
    max_window_layers: int | None = None       # qwen style
    layer_types: list[str] | None = None       # qwen style
    max_position_embeddings: int | None = None
    bos_token_id: int | None = None
    eos_token_id: int | list[int] | None = None

    def __post_init__(self):
        self.validate()

    # ---------------------------------------------------------------------------------------
    # derived parts, as transformers 5 reads each family (config-attention.ts)
    @property
    def n_chains(self) -> int:
        return len(self.chains)

    @property
    def qkv_bias(self) -> bool:
        """q/k/v biases: Qwen2 always; llama/qwen3/colm when attention_bias."""
        return self.model_type == "qwen2" or (self.attention_bias and self.model_type in ("llama", "qwen3", "colm"))

    @property
    def o_bias(self) -> bool:
        return self.attention_bias and self.model_type in ("llama", "qwen3", "colm")

    @property
    def ffn_bias(self) -> bool:
        return self.mlp_bias and self.model_type in ("llama", "colm")

    @property
    def qk_norm(self) -> bool:
        """Qwen3's per-head RMSNorm of q and k (weights shared by all heads, owned by chain 1)."""
        return self.model_type == "qwen3"

    def _qwen_style(self) -> bool:
        return self.model_type in ("qwen2", "qwen3") or (self.model_type == "colm" and (
            self.use_sliding_window is not None or self.layer_types is not None or self.max_window_layers is not None))

    @property
    def layer_windows(self) -> list[int | None]:
        """Per layer: the window W (a query sees the last W positions) or None (full attention)."""
        L = self.num_hidden_layers
        if self._qwen_style():
            W = self.sliding_window if self.use_sliding_window else None
            if self.layer_types is not None:
                return [W if t == "sliding_attention" else None for t in self.layer_types]
            first = 28 if self.max_window_layers is None else self.max_window_layers
            return [W if (W is not None and i >= first) else None for i in range(L)]
        if self.model_type in ("mistral", "colm"):
            return [self.sliding_window] * L
        return [None] * L

    @property
    def has_window(self) -> bool:
        return any(w is not None for w in self.layer_windows)

    @property
    def kv_heads(self) -> int:
        return self.num_attention_heads if self.num_key_value_heads is None else self.num_key_value_heads

    @property
    def head_size(self) -> int:
        return self.hidden_size // self.num_attention_heads if self.head_dim is None else self.head_dim

    def _cum(self, total: int) -> list[int]:
        S = sum(self.chains)
        out = [0]
        for c in self.chains:
            out.append(out[-1] + total * c // S)
        return out

    @property
    def cum_hidden(self) -> list[int]:
        """[0, d_1, d_2, ..., D]: width of sub-model k is cum_hidden[k]."""
        return self._cum(self.hidden_size)

    @property
    def cum_heads(self) -> list[int]:
        """Query heads of sub-model k: cum_heads[k]."""
        return self._cum(self.num_attention_heads)

    @property
    def cum_kv_heads(self) -> list[int]:
        """KV heads of sub-model k: plain CoLM splits them by chain; CoLM-Air's all belong to chain 1."""
        if self.kv_sharing:
            return [0] + [self.kv_heads] * self.n_chains
        return self._cum(self.kv_heads)

    @property
    def cum_ffn(self) -> list[int]:
        return self._cum(self.intermediate_size)

    @property
    def cum_q(self) -> list[int]:
        """Query-projection widths (heads * head_dim) of sub-model k."""
        return [h * self.head_size for h in self.cum_heads]

    @property
    def cum_kv(self) -> list[int]:
        return [h * self.head_size for h in self.cum_kv_heads]

    def eos_ids(self) -> list[int]:
        e = self.eos_token_id
        return [] if e is None else (list(e) if isinstance(e, list) else [e])

    # ---------------------------------------------------------------------------------------
    def validate(self, where: str = "config") -> None:
        def bad(key, rule):
            raise ConfigError(where, key, rule)

        if self.model_type not in MODEL_TYPES:
            bad("model_type", f"must be one of {', '.join(MODEL_TYPES)}, got {self.model_type!r}")
        for key in ("hidden_size", "intermediate_size", "num_hidden_layers", "vocab_size", "num_attention_heads"):
            v = getattr(self, key)
            if not _is_int(v) or v <= 0:
                bad(key, f"must be a positive integer, got {v!r}")
        for key in ("num_key_value_heads", "head_dim", "max_position_embeddings", "sliding_window", "max_window_layers"):
            v = getattr(self, key)
            if v is not None and (not _is_int(v) or v <= 0):
                bad(key, f"must be a positive integer, got {v!r}")
        D, H, h, hkv = self.hidden_size, self.intermediate_size, self.num_attention_heads, self.kv_heads
        if hkv > h:
            bad("num_key_value_heads", f"{hkv} is more than num_attention_heads {h}")
        if self.head_dim is None and D % h:
            bad("head_dim", f"is not given and hidden_size {D} is not a multiple of num_attention_heads {h}")
        if self.head_size % 2:
            bad("head_dim", f"must be even for rotary position embeddings, got {self.head_size}")
        if (not isinstance(self.chains, list) or not self.chains
                or not all(_is_int(c) and c > 0 for c in self.chains)):
            bad("chains", f"must be a non-empty list of positive integers, got {self.chains!r}")
        if not isinstance(self.kv_sharing, bool):
            bad("kv_sharing", f"must be true or false, got {self.kv_sharing!r}")
        if not _is_num(self.rms_norm_eps) or self.rms_norm_eps <= 0:
            bad("rms_norm_eps", f"must be a positive number, got {self.rms_norm_eps!r}")
        if not _is_num(self.rope_theta) or self.rope_theta <= 0:
            bad("rope_theta", f"must be a positive number, got {self.rope_theta!r}")
        self.rope_scaling = _check_scaling(self.rope_scaling, "rope_scaling", where, allow_theta=False)
        if self.layer_types is not None:
            if (not isinstance(self.layer_types, list) or len(self.layer_types) != self.num_hidden_layers
                    or any(t not in ("full_attention", "sliding_attention") for t in self.layer_types)):
                bad("layer_types", f"must list full_attention or sliding_attention for each of the {self.num_hidden_layers} layers")
        if self._qwen_style():
            W = self.sliding_window if self.use_sliding_window else None
            if W is None and self.layer_types is not None and "sliding_attention" in self.layer_types:
                bad("layer_types", "names sliding_attention layers but there is no window")
        S = sum(self.chains)
        for i, c in enumerate(self.chains):
            for key, total, what in (("chains", D, "hidden_size"), ("chains", h, "num_attention_heads"),
                                     ("chains", H, "intermediate_size")):
                if total * c % S:
                    bad(key, f"{what}*chains[{i}]/sum(chains) = {total * c}/{S} is not a whole number")
            if len(self.chains) > 1 and D * c // S != (h * c // S) * self.head_size:
                bad("head_dim", f"chain {i} has width {D * c // S} but {h * c // S} heads * head_dim {self.head_size}")
        if self.kv_sharing:
            for i, c in enumerate(self.chains):
                if (h * c // S) % hkv:
                    bad("num_key_value_heads", f"with kv_sharing chain {i}'s {h * c // S} query heads must be a multiple of num_key_value_heads {hkv}")
        elif hkv < h:
            if h % hkv:
                bad("num_key_value_heads", f"num_attention_heads {h} is not a multiple of num_key_value_heads {hkv}")
            for i, c in enumerate(self.chains):
                if hkv * c % S:
                    bad("chains", f"num_key_value_heads*chains[{i}]/sum(chains) = {hkv * c}/{S} is not a whole number")
        for key in ("bos_token_id",):
            v = getattr(self, key)
            if v is not None and (not _is_int(v) or not 0 <= v < self.vocab_size):
                bad(key, f"must be a token id below vocab_size {self.vocab_size}, got {v!r}")
        for e in self.eos_ids():
            if not _is_int(e) or not 0 <= e < self.vocab_size:
                bad("eos_token_id", f"must be a token id below vocab_size {self.vocab_size}, got {e!r}")

    # ---------------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: dict, where: str = "config") -> "ColmConfig":
        """config.json (either transformers dialect) -> ColmConfig; refuses what it does not understand."""
        if not isinstance(d, dict):
            raise ConfigError(where, "(root)", f"config must be a JSON object, got {type(d).__name__}")

        def bad(key, rule):
            raise ConfigError(where, key, rule)

        mt = d.get("model_type")
        if mt not in MODEL_TYPES:
            bad("model_type", f"must be one of {', '.join(MODEL_TYPES)}, got {mt!r}")
        family = FAMILY_KEYS[mt]
        for key, value in d.items():
            if key in GENERIC_KEYS or key in READ_KEYS or key in family:
                continue
            if key in HARMLESS_AT:
                ok, why = HARMLESS_AT[key]
                if not ok(value):
                    bad(key, f"{why}, got {value!r}")
                continue
            bad(key, f"is not understood for model_type \"{mt}\" and could change the math; refusing rather than ignoring it")
        act = d.get("hidden_act")
        if act is not None and act not in ("silu", "swish"):
            bad("hidden_act", f"only the SwiGLU FFN (\"silu\") is supported, got {act!r}")

        def opt(key, default=None):
            v = d.get(key)
            return default if v is None else v

        theta, scaling = _read_rope(d, where)
        kw = dict(
            model_type=mt,
            hidden_size=d.get("hidden_size"), intermediate_size=d.get("intermediate_size"),
            num_hidden_layers=d.get("num_hidden_layers"), vocab_size=d.get("vocab_size"),
            num_attention_heads=d.get("num_attention_heads"),
            num_key_value_heads=d.get("num_key_value_heads"), head_dim=d.get("head_dim"),
            chains=list(opt("chains", [1])) if isinstance(opt("chains", [1]), list) else d.get("chains"),
            kv_sharing=opt("kv_sharing", False),
            rms_norm_eps=float(opt("rms_norm_eps", 1e-5)) if _is_num(opt("rms_norm_eps", 1e-5)) else d.get("rms_norm_eps"),
            rope_theta=theta, rope_scaling=scaling,
            tie_word_embeddings=bool(opt("tie_word_embeddings", False)),
            max_position_embeddings=d.get("max_position_embeddings"),
            bos_token_id=d.get("bos_token_id"), eos_token_id=d.get("eos_token_id"),
        )
        for key in ("hidden_size", "intermediate_size", "num_hidden_layers", "vocab_size", "num_attention_heads"):
            if d.get(key) is None:
                bad(key, "required")
        if "attention_bias" in family:
            kw["attention_bias"] = bool(opt("attention_bias", False))
        if "mlp_bias" in family:
            kw["mlp_bias"] = bool(opt("mlp_bias", False))
        if "sliding_window" in family:
            kw["sliding_window"] = d.get("sliding_window")
        for key in ("use_sliding_window", "max_window_layers", "layer_types"):
            if key in family and key in d:
                kw[key] = d[key] if key != "use_sliding_window" else bool(d[key])
        if mt in ("qwen2", "qwen3") and not kw.get("use_sliding_window"):
            kw["use_sliding_window"] = False
        cfg = cls.__new__(cls)
        for f in cls.__dataclass_fields__.values():
            setattr(cfg, f.name, kw[f.name] if f.name in kw else (f.default_factory() if callable(f.default_factory) else f.default))
        cfg.validate(where)
        return cfg

    def to_dict(self) -> dict:
        """config.json text for FORMAT.md 1.1 (transformers 4 dialect: rope_theta + rope_scaling)."""
        arch = {"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM", "qwen2": "Qwen2ForCausalLM",
                "qwen3": "Qwen3ForCausalLM"}.get(self.model_type, "ColmForCausalLM")
        if self.n_chains > 1:
            arch = "ColmForCausalLM"
        d: dict[str, Any] = {
            "architectures": [arch],
            "model_type": self.model_type,
            "hidden_size": self.hidden_size,
            "intermediate_size": self.intermediate_size,
            "num_hidden_layers": self.num_hidden_layers,
            "num_attention_heads": self.num_attention_heads,
            "num_key_value_heads": self.kv_heads,
            "head_dim": self.head_size,
            "vocab_size": self.vocab_size,
            "hidden_act": "silu",
            "rms_norm_eps": self.rms_norm_eps,
            "rope_theta": self.rope_theta,
            "rope_scaling": None if self.rope_scaling is None else dict(self.rope_scaling),
            "tie_word_embeddings": self.tie_word_embeddings,
            "chains": list(self.chains),
            "kv_sharing": self.kv_sharing,
        }
        family = FAMILY_KEYS[self.model_type]
        if "attention_bias" in family:
            d["attention_bias"] = self.attention_bias
        if "mlp_bias" in family:
            d["mlp_bias"] = self.mlp_bias
        if self._qwen_style():
            d["use_sliding_window"] = bool(self.use_sliding_window)
            d["sliding_window"] = self.sliding_window
            if self.max_window_layers is not None:
                d["max_window_layers"] = self.max_window_layers
            if self.layer_types is not None:
                d["layer_types"] = list(self.layer_types)
        elif "sliding_window" in family:
            d["sliding_window"] = self.sliding_window
        for key in ("max_position_embeddings", "bos_token_id", "eos_token_id"):
            v = getattr(self, key)
            if v is not None:
                d[key] = list(v) if isinstance(v, list) else v
        return d

    def replace(self, **changes) -> "ColmConfig":
        d = {f: getattr(self, f) for f in self.__dataclass_fields__}
        d.update(changes)
        return ColmConfig(**d)


def _check_scaling(value, where_key: str, where: str, allow_theta: bool):
    """None or a normalised {"rope_type": "linear"|"llama3", ...}; "default" -> None."""
    def bad(key, rule):
        raise ConfigError(where, key, rule)

    if value is None:
        return None
    if not isinstance(value, dict):
        bad(where_key, f"must be null or an object, got {value!r}")
    kind = value.get("rope_type", value.get("type"))
    if kind not in ROPE_KEYS:
        bad(where_key, f"rope_type {kind!r} is not supported (only \"default\", \"linear\" and \"llama3\" are)")
    understood = {"rope_type", "type", *ROPE_KEYS[kind], *(["rope_theta"] if allow_theta else [])}
    for key in value:
        if key not in understood:
            bad(f"{where_key}.{key}", f"is not understood for rope_type \"{kind}\" and could change the RoPE frequencies")
    for key in ROPE_KEYS[kind]:
        v = value.get(key)
        if not _is_num(v) or v <= 0:
            bad(f"{where_key}.{key}", f"must be a positive number, got {v!r}")
    if kind == "default":
        return None
    if kind == "linear":
        return {"rope_type": "linear", "factor": value["factor"]}
    if not _is_int(value["original_max_position_embeddings"]):
        bad(f"{where_key}.original_max_position_embeddings", "must be a positive integer")
    if value["high_freq_factor"] <= value["low_freq_factor"]:
        bad(f"{where_key}.high_freq_factor", "must be larger than low_freq_factor")
    return {"rope_type": "llama3", **{k: value[k] for k in ROPE_KEYS["llama3"]}}


def _read_rope(d: dict, where: str) -> tuple[float, dict | None]:
    def theta_of(v, key):
        if v is None:
            return 10000.0
        if not _is_num(v) or v <= 0:
            raise ConfigError(where, key, f"must be a positive number, got {v!r}")
        return float(v)

    old_theta = theta_of(d.get("rope_theta"), "rope_theta")
    old_scaling = _check_scaling(d.get("rope_scaling"), "rope_scaling", where, allow_theta=False)
    params = d.get("rope_parameters")
    if params is None:
        return old_theta, old_scaling
    if not isinstance(params, dict):
        raise ConfigError(where, "rope_parameters", f"must be null or an object, got {params!r}")
    theta = theta_of(params.get("rope_theta"), "rope_parameters.rope_theta")
    scaling = _check_scaling(params, "rope_parameters", where, allow_theta=True)
    if d.get("rope_theta") is not None or d.get("rope_scaling") is not None:
        clashing = d.get("rope_scaling") is not None or old_theta != theta
        if clashing and (old_theta != theta or old_scaling != scaling):
            raise ConfigError(where, "rope_parameters", "disagrees with rope_theta/rope_scaling in the same config; keep one dialect")
    return theta, scaling
