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


def resolve(table, net, layers, base_config, base_model, width, base_width, depth, base_depth):
    """The preset of ``net`` (``None`` when ``layers`` is given or no family matches) and the sizes it fills
    in for :class:`~..parametrize.Parametrization`: ``(preset, base_model, width, depth, base_depth)``.
    ``base_config`` (Hugging Face) becomes a base model on the meta device."""
    from ...errors import UserError

    preset = find(net) if layers is None else None
    if base_config is not None:
        if base_model is not None:
            raise UserError("give base_model= or base_config=, not both")
        from . import hf

        base_model, config_depth = hf.base_model_from_config(net, base_config)
        base_depth = config_depth if base_depth is None else base_depth
    if preset is not None:
        width = preset.width if width is None and base_width is not None else width
        depth = preset.depth if depth is None else depth
        bad = sorted({r.dimension for r in table.rows if r.power != 0} & set(preset.unsupported_dims))
        if bad:
            raise UserError(f"the {preset.name} preset cannot give {'/'.join(bad)} per parameter "
                            f"({table.parametrization} needs them); give layers= patterns for another model")
    return preset, base_model, width, depth, base_depth


def find(model) -> Preset | None:
    """The preset for ``model`` (already unwrapped), or ``None`` when no family matches."""
    from . import hf

    return hf.preset(model)
