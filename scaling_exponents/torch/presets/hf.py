"""Hugging Face transformers presets: GPT-2 and the Llama family (Llama, Mistral, Qwen2).

``Parametrization(AutoModelForCausalLM.from_config(cfg), "mup-table8", base_model=small_cfg)`` gives every
parameter a role from the module layout below, with no globs from the user (the optional extra ``[hf]``):

=====================  =============================================  ==============================================
role (TP5 Table 3)     GPT-2 (``GPT2LMHeadModel``)                    Llama / Mistral / Qwen2 (``*ForCausalLM``)
=====================  =============================================  ==============================================
embedding              ``transformer.wte``, ``transformer.wpe``       ``model.embed_tokens``
hidden                 ``attn.c_attn``, ``attn.c_proj``, ``mlp.c_fc``, ``self_attn.{q,k,v,o}_proj``,
                       ``mlp.c_proj`` (``Conv1D``)                    ``mlp.{gate,up,down}_proj``
bias / hidden_bias     the biases of those layers                     Qwen2's q/k/v biases
norm                   ``ln_1``, ``ln_2``                             ``input_layernorm``, ``post_attention_layernorm``
final_norm             ``transformer.ln_f``                           ``model.norm``
readout                ``lm_head`` (tied to ``wte`` by default)       ``lm_head`` (tied when ``tie_word_embeddings``)
residual_branch        ``h.*.attn``, ``h.*.mlp``                      ``layers.*.self_attn``, ``layers.*.mlp``
attention              ``h.*.attn``                                   ``layers.*.self_attn``
=====================  =============================================  ==============================================

**Init.**  These models draw every matrix from ``N(0, initializer_range^2)`` whatever its fan-in (GPT-2's
residual projections ``/sqrt(2 n_layer)``), so ``init="rescale"`` multiplies by the table's ``init_std``
factor alone (``Preset.constant_init``), not by PyTorch's ``sqrt(fan_in/base_fan_in)``.  ``init=0.02``
re-draws instead.

**Attention scale.**  None of these configs has an attention-scale entry (GPT-2's ``scale_attn_weights`` is
on/off only), so the table's ``("attention", "logit_scale", "head_dim")`` row is applied through the
attribute each attention module passes to its attention kernel, ``module.scaling`` (``head_dim**-0.5``; GPT-2
also ``/(layer_idx+1)`` when ``scale_attn_by_inverse_layer_idx``).  The base value is the model's own rule at
the base head_dim: ``scaling * sqrt(d) / sqrt(d0)``, times ``(d/d0)^power`` (TP5 Def. 4.1: ``1/d``).  With
``scale_attn_weights=False`` GPT-2 does not follow ``d^-1/2``: the preset then gives no attention role and
``explain()`` lists the attention row as not applied.

**Limits.**  GPT-2's ``Conv1D`` stores weights as (in, out): its fans are right for width ratios but not as
separate fan_in/fan_out dimensions, so tables with fan rows (u-muP) are refused for GPT-2.
"""

from __future__ import annotations

import copy
import math
import sys

from ...errors import UserError
from . import Preset

#: model_type -> module prefix of the decoder stack (``*ForCausalLM`` models).
LLAMA_LIKE = ("llama", "mistral", "qwen2")
FAMILIES = ("gpt2",) + LLAMA_LIKE


def import_transformers():
    """``import transformers``; a torchvision whose compiled ops do not match torch (``operator
    torchvision::nms does not exist``) is hidden first, since transformers imports it for image utilities
    that language models never use."""
    if "transformers" not in sys.modules and "torchvision" not in sys.modules:
        try:
            import torchvision  # noqa: F401
        except Exception:  # noqa: BLE001 -- any failure means "unusable"; transformers then skips it
            sys.modules["torchvision"] = None
    try:
        import transformers
    except ImportError:  # pragma: no cover - depends on the environment
        raise UserError("Hugging Face models need transformers: pip install 'scaling-exponents[hf]'") from None
    return transformers


def _model_type(model) -> str | None:
    cfg = getattr(model, "config", None)
    return getattr(cfg, "model_type", None) if cfg is not None else None


def preset(model) -> Preset | None:
    """The preset of a GPT-2 / Llama / Mistral / Qwen2 causal LM, or ``None``."""
    kind = _model_type(model)
    if kind not in FAMILIES:
        return None
    cfg = model.config
    names = {n for n, _ in model.named_modules()}
    if kind == "gpt2":
        if "transformer.wte" not in names:
            return None
        blk = "transformer.h.*"
        layers = {"transformer.wte": "embedding", "transformer.wpe": "embedding",
                  f"{blk}.attn.c_attn": "hidden", f"{blk}.attn.c_proj": "hidden",
                  f"{blk}.mlp.c_fc": "hidden", f"{blk}.mlp.c_proj": "hidden",
                  f"{blk}.ln_1": "norm", f"{blk}.ln_2": "norm", "transformer.ln_f": "final_norm"}
        attn, mlp = f"{blk}.attn", f"{blk}.mlp"
        scaled = bool(getattr(cfg, "scale_attn_weights", True))
        notes = () if scaled else ("scale_attn_weights=False: logits are not scaled by head_dim^-1/2, "
                                   "so no module gets role 'attention'",)
        layers[attn] = ("residual_branch", "attention") if scaled else "residual_branch"
        layers[mlp] = "residual_branch"
        unsupported = ("fan_in", "fan_out")
    else:
        if "model.embed_tokens" not in names:
            return None
        blk = "model.layers.*"
        layers = {"model.embed_tokens": "embedding",
                  **{f"{blk}.self_attn.{p}_proj": "hidden" for p in "qkvo"},
                  **{f"{blk}.mlp.{p}_proj": "hidden" for p in ("gate", "up", "down")},
                  f"{blk}.input_layernorm": "norm", f"{blk}.post_attention_layernorm": "norm",
                  "model.norm": "final_norm",
                  f"{blk}.self_attn": ("residual_branch", "attention"), f"{blk}.mlp": "residual_branch"}
        notes, unsupported = (), ()
    if "lm_head" in names:
        layers["lm_head"] = "readout"
    return Preset(f"hf-{kind}", layers, width=int(cfg.hidden_size), depth=int(cfg.num_hidden_layers),
                  constant_init=True, notes=notes, unsupported_dims=unsupported)


def base_model_from_config(model, base_config):
    """A base instance of ``model``'s class built from ``base_config`` on the meta device (no memory), with
    the model's own number of layers so every parameter has a base twin (depth is a separate ratio:
    ``base_depth`` defaults to ``base_config.num_hidden_layers``)."""
    import torch

    kind = _model_type(model)
    if kind is None:
        raise UserError("a config as base_model= needs a Hugging Face model (one with a `config`); pass a smaller "
                        "instance of the model as base_model= otherwise")
    if getattr(base_config, "model_type", None) != kind:
        raise UserError(f"base_model is a {getattr(base_config, 'model_type', type(base_config).__name__)!r} "
                        f"config (or not a config) but the model is {kind!r}; give a smaller instance of the model or "
                        "a config of the same family")
    cfg = copy.deepcopy(base_config)
    cfg.num_hidden_layers = model.config.num_hidden_layers
    with torch.device("meta"):
        base = type(model)(cfg)
    return base, int(base_config.num_hidden_layers)


class BufferAttention:
    """The attention-scale handle of a module with a ``logit_scale`` buffer and ``head_dim`` (the reference
    GPT's ``Attention``); its rule is ``module.logit_scale_for`` or ``1/sqrt(d)``."""

    def __init__(self, module):
        self.module, self.head_dim = module, module.head_dim

    def current(self) -> float:
        """The attention logit scale the module applies now (its ``logit_scale`` buffer)."""
        return float(self.module.logit_scale)

    def rule(self, d0) -> float:
        """The module's own logit-scale law at head_dim ``d0`` (``logit_scale_for``, or ``1/sqrt(d0)``)."""
        return getattr(self.module, "logit_scale_for", lambda d: 1.0 / math.sqrt(d))(d0)

    def set(self, value: float) -> None:
        """Write ``value`` into the ``logit_scale`` buffer (in place, so it is saved with the model)."""
        self.module.logit_scale.fill_(value)


def attention_handle(module):
    """How to read and set ``module``'s attention logit scale, or ``None`` when it has no known one."""
    if Attention.supports(module):
        return Attention(module)
    if hasattr(module, "logit_scale") and hasattr(module, "head_dim"):
        return BufferAttention(module)
    return None


class Attention:
    """The attention-scale handle of an HF attention module: its ``scaling`` attribute and ``head_dim``."""

    def __init__(self, module):
        self.module = module
        if not hasattr(module, "_se_scaling0"):  # the model's own value, kept for re-application
            module._se_scaling0 = float(module.scaling)
        self.head_dim = int(module.head_dim)

    @staticmethod
    def supports(module) -> bool:
        """True for an HF attention module with a float ``scaling`` and a ``head_dim`` (GPT-2, Llama family)."""
        return isinstance(getattr(module, "scaling", None), float) and hasattr(module, "head_dim")

    def current(self) -> float:
        """The attention logit scale the module applies now (its ``scaling``)."""
        return float(self.module.scaling)

    def rule(self, d0) -> float:
        """The model's own ``c / sqrt(d)`` law evaluated at head_dim ``d0``."""
        return self.module._se_scaling0 * math.sqrt(self.head_dim) / math.sqrt(d0)

    def set(self, value: float) -> None:
        """Set the module's ``scaling`` to ``value``."""
        self.module.scaling = float(value)


def tiny_config(family: str, width: int, depth: int = 2, vocab: int = 256, heads: int = 4, tie: bool | None = None,
                block: int = 64):
    """A tiny random-init config of ``family`` (tests, docs, width sweeps; nothing is downloaded).

    ``heads`` is fixed, so head_dim = width / heads grows with width (muP's usual setting, TP5 App. E.2);
    the MLP is 2x wide for the Llama family; dropout is off.  ``tie=None`` keeps the family's default
    (GPT-2 ties its embeddings, the Llama family does not)."""
    T = import_transformers()
    if family not in FAMILIES:
        raise UserError(f"unknown family {family!r}; presets exist for {', '.join(FAMILIES)}")
    if width % heads:
        raise UserError(f"width {width} is not a multiple of heads {heads}")
    if family == "gpt2":
        kw = {} if tie is None else {"tie_word_embeddings": tie}
        return T.GPT2Config(n_embd=width, n_layer=depth, n_head=heads, vocab_size=vocab, n_positions=block,
                            bos_token_id=0, eos_token_id=0, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, **kw)
    cls = {"llama": T.LlamaConfig, "mistral": T.MistralConfig, "qwen2": T.Qwen2Config}[family]
    return cls(hidden_size=width, intermediate_size=2 * width, num_hidden_layers=depth, num_attention_heads=heads,
               num_key_value_heads=max(1, heads // 2), vocab_size=vocab, max_position_embeddings=block,
               tie_word_embeddings=bool(tie), bos_token_id=0, eos_token_id=0)
