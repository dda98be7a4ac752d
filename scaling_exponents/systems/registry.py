"""The registry of named parametrizations: name -> :class:`ParamSpec`, and :func:`derive`.

Modules are imported lazily, so ``python -m scaling_exponents derive`` loads only what it needs.
"""

from __future__ import annotations

import difflib
import importlib

from ..errors import UserError
from ..theory.table import ExponentTable
from .base import ParamSpec

#: Paper modules, in the order ``list`` shows them.
MODULES = ["tp4", "tp5", "everett2024", "depth", "umup", "moe", "moe_details", "sam", "spectral", "matrix_optimizers",
           "weight_decay", "muon_conventions", "horizon", "vocab",
           "dit", "umup_ops", "ssm", "lora_plus", "lora_rank", "supar", "am_mup", "vocab_roles", "token_horizon",
           "completed_p"]

_SPECS: dict[str, ParamSpec] = {}
_ALIASES: dict[str, str] = {}


def normalize(name: str) -> str:
    """Canonical spelling: lower case, ``_``/space -> ``-``, ``μ``/``µ`` -> ``mu``."""
    return name.strip().lower().replace("μ", "mu").replace("µ", "mu").replace("_", "-").replace(" ", "-")


def _load() -> None:
    if _SPECS:
        return
    for mod in MODULES:
        m = importlib.import_module(f"{__package__}.{mod}")
        for spec in m.SPECS:
            register(spec)


def register(spec: ParamSpec) -> None:
    """Add a parametrization (third-party systems can register their own)."""
    key = normalize(spec.name)
    if key in _SPECS or key in _ALIASES:
        raise ValueError(f"parametrization {spec.name!r} registered twice")
    _SPECS[key] = spec
    for alias in spec.aliases:
        _ALIASES[normalize(alias)] = key


def all_specs() -> list[ParamSpec]:
    """Every registered :class:`ParamSpec` (all system modules loaded), in registration order: what ``list`` and the
    catalog iterate over."""
    _load()
    return list(_SPECS.values())


def get(name: str) -> ParamSpec:
    """The spec called ``name`` (or an alias); an unknown name lists the known ones and the closest match."""
    _load()
    key = normalize(name)
    key = _ALIASES.get(key, key)
    if key in _SPECS:
        return _SPECS[key]
    known = sorted(_SPECS) + sorted(_ALIASES)
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise UserError(
        f"unknown parametrization {name!r}.{hint} Known: {', '.join(sorted(_SPECS))} "
        f"(run `python -m scaling_exponents list` for their papers)."
    )


def _choose(kind: str, value, allowed: tuple[str, ...], spec: ParamSpec):
    """``value`` checked against the spec's ``allowed`` choices of ``kind`` (optimizer / alignment); the first one
    when not given; ``None`` for a spec with no such choice, which refuses an explicit value (it would be dropped)."""
    if not allowed or allowed == ("",):
        if value:
            raise UserError(f"{spec.name} ({spec.source.key}) has no {kind} choice: it is one table for "
                            f"{spec.title}; drop --{kind} {value}.")
        return None
    if value is None or value == "":
        return allowed[0]
    v = normalize(value)
    if v not in allowed:
        raise UserError(
            f"{spec.name} ({spec.source.key}) does not cover {kind} {value!r}; supported: {', '.join(allowed)}."
        )
    return v


def derive(param: str, optimizer: str | None = None, alignment: str | None = None, **options) -> ExponentTable:
    """Derive the exponent table of ``param`` from its paper's constraint system."""
    spec = get(param)
    opt = _choose("optimizer", optimizer, spec.optimizers, spec)
    al = _choose("alignment", alignment, spec.alignments, spec)
    allowed = {o.name: o for o in spec.options}
    parsed = {}
    for k, v in options.items():
        if v is None:
            continue
        if k not in allowed:
            names = ", ".join(f"--{o.name}" for o in spec.options) or "none"
            raise UserError(f"{spec.name} takes no option --{k}; its options: {names}.")
        try:
            parsed[k] = allowed[k].parse(v)
        except (ValueError, TypeError, ZeroDivisionError) as e:
            raise UserError(f"bad value {v!r} for --{k} of {spec.name}: {e}") from None
    for o in spec.options:
        parsed.setdefault(o.name, o.default)
    return spec.build(opt, al, **parsed)
