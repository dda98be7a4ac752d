"""Role presets for model families whose layout is known, so ``Parametrization(model, ...)`` needs no globs.

A :class:`Preset` says which module plays which role (TP5 Table 3 columns: input weights, hidden weights,
output weights, arXiv 2203.03466; Everett et al. arXiv 2407.05872 §2), the model's width and depth, and how
its weights were initialised (``constant_init``: a fixed std such as Hugging Face's ``initializer_range``,
not PyTorch's ``1/sqrt(fan_in)``).  :func:`find` returns the preset for a model, or ``None``.

* :mod:`.hf` -- Hugging Face transformers: GPT-2, Llama and the Llama-shaped Mistral and Qwen2.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Preset:
    """Roles and sizes of one model family (see the module doc)."""

    name: str
    layers: dict                      # {glob pattern on module names: role or (roles...)} for roles.match
    width: int | None = None          # the model's width (d_model), default for Parametrization(width=)
    depth: int | None = None          # number of residual blocks, default for depth=
    constant_init: bool = False       # weights were drawn with a fixed std (rescale by the table factor only)
    notes: tuple = field(default_factory=tuple)
    unsupported_dims: tuple = ()      # table dimensions this family cannot give (e.g. GPT-2 Conv1D fans)


def find(model) -> Preset | None:
    """The preset for ``model`` (already unwrapped), or ``None`` when no family matches."""
    from . import hf

    return hf.preset(model)
