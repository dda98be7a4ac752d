"""The inputs of :class:`~.parametrize.Parametrization` beyond model, table and base LR: its sizes and its settings.

**Sizes** (``**sizes`` of ``Parametrization``) say how big the model is and how big its base model was, per
dimension of the table's rows:

* ``DIM=size`` and ``base_DIM=base`` for every dimension of the size vocabulary (:func:`size_dimensions`: today
  :data:`scaling_exponents.cli.args.SIZE_FLAGS` -- width, depth, experts, granularity, tokens, batch, vocab, rank)
  and ``head_dim``: ``width=256, base_width=64, depth=8, base_depth=2, base_head_dim=16``.  ``width`` and ``depth``
  default to the model's ``width`` / ``depth`` attributes; ``DIM=(size, base)`` gives both at once;
* ``sizes={DIM: (size, base)}`` for any dimension a table uses (also outside the vocabulary, e.g. a probe's
  ``density`` or ``ffn_ratio``).

A keyword outside this vocabulary is a ``TypeError`` naming it (and the closest size name), as for any misspelled
keyword argument.

**Settings** (``settings=``, a :class:`Settings` or a dict of its fields, a bad key named with the closest field)
hold everything else, each with the default that reproduces microsoft/mup's ``MuAdam``-style use: weight decay and
its mode, eps, how to initialise, whether to install multipliers, derive's options, roles without decay, readout
zero init, strictness, a measured-alignment table and the per-matrix preconditioner block size.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass

from ..errors import UserError

WD_MODES = ("decoupled", "coupled", "independent")


def size_dimensions() -> tuple[str, ...]:
    """Dimensions with ``DIM=`` / ``base_DIM=`` keywords: the size vocabulary (read when called, so a dimension added
    to it is a keyword at once) and the attention head dimension."""
    from ..theory.dimensions import names

    return tuple(dict.fromkeys((*names(), "head_dim")))


@dataclass(frozen=True)
class Settings:
    """Options of a :class:`~.parametrize.Parametrization` (the module doc; the class doc of ``Parametrization``
    says what each does)."""

    weight_decay: float = 0.0
    weight_decay_mode: str = "decoupled"
    eps: float | None = None
    init: object = "rescale"
    multipliers: bool = True
    options: dict | None = None
    no_weight_decay: tuple = ()
    readout_zero_init: bool = False
    strict: bool = False
    table: object = None
    block_size: int | None = None

    def __post_init__(self):
        nwd = self.no_weight_decay
        object.__setattr__(self, "no_weight_decay", (nwd,) if isinstance(nwd, str) else tuple(nwd or ()))
        check_scalars(1.0, self.weight_decay, self.weight_decay_mode, self.eps)
        init = self.init
        if not (init is None or init == "rescale" or (_number(init) and init >= 0)):
            raise UserError(f"init must be 'rescale', a base std (finite float > 0) or None, got {init!r}")
        if _number(init) and init == 0:  # every weight N(0, 0) = 0: hidden features and their gradients stay 0
            raise UserError("init=0 resamples every weight with std 0 (all zeros: no gradient reaches any weight); "
                            "give a base std > 0 such as 0.02, and readout_zero_init=True for a zero readout")
        if self.block_size is not None and (not isinstance(self.block_size, int) or self.block_size < 1):
            raise UserError(f"block_size must be a positive int or None, got {self.block_size!r}")

    @classmethod
    def of(cls, value) -> "Settings":
        """``value`` as :class:`Settings`: ``None`` (the defaults), a ``Settings``, or a dict of its fields."""
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if not isinstance(value, dict):
            raise UserError(f"settings must be a Settings or a dict of {', '.join(FIELDS)}; got {value!r}")
        for key in value:
            if key not in FIELDS:
                close = difflib.get_close_matches(str(key), FIELDS, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise UserError(f"settings has no field {key!r}{hint} Fields: {', '.join(FIELDS)}")
        return cls(**value)


FIELDS = tuple(f.name for f in dataclasses.fields(Settings))


def split_keywords(kw: dict) -> tuple[dict, dict]:
    """``(other keywords, settings fields)`` of a flat keyword dict (a sweep's ``param_kw``, a restore's
    overrides), so callers that collected flat keywords build ``Parametrization(..., settings=...)``."""
    return {k: v for k, v in kw.items() if k not in FIELDS}, {k: v for k, v in kw.items() if k in FIELDS}


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def check_scalars(lr, wd, mode, eps) -> None:
    """Base values: finite numbers (a NaN or inf LR would silently train nothing) and a known decay mode."""
    if not _number(lr) or lr < 0:
        raise UserError(f"lr must be a finite number >= 0, got {lr!r}")
    if not _number(wd) or wd < 0:
        raise UserError(f"weight_decay must be a finite number >= 0, got {wd!r}")
    if mode not in WD_MODES:
        raise UserError(f"weight_decay_mode must be one of {', '.join(WD_MODES)}, got {mode!r}")
    if mode == "independent" and wd and not lr:
        raise UserError("weight_decay_mode='independent' divides by the group LR; give lr > 0")
    if eps is not None and (not _number(eps) or eps < 0):
        raise UserError(f"eps must be a finite number >= 0 or None, got {eps!r}")


@dataclass(frozen=True)
class Sizes:
    """Sizes of one model and its base: the width and depth pairs, the base head dimension and any other
    dimension's ``(size, base)``; ``None`` where not given (width/depth then default to the model's)."""

    width: float | None = None
    base_width: float | None = None
    depth: float | None = None
    base_depth: float | None = None
    base_head_dim: float | None = None
    other: dict = dataclasses.field(default_factory=dict)


def sizes_from(keywords: dict) -> Sizes:
    """Parse ``Parametrization``'s ``**sizes`` (module doc) into :class:`Sizes`; an unknown keyword is a TypeError."""
    pairs: dict[str, list] = {}
    vocabulary = size_dimensions()

    def put(dim, i, value, key):
        slot = pairs.setdefault(dim, [None, None])
        if value is None:
            return
        if slot[i] is not None and slot[i] != value:
            raise UserError(f"{key}={value!r} contradicts the {'base ' if i else ''}{dim} given elsewhere ({slot[i]!r})")
        slot[i] = value

    for key, value in keywords.items():
        if key == "sizes":
            if value is None:
                continue
            if not isinstance(value, dict):
                raise UserError(f"sizes must be a dict {{dimension: (size, base)}}, got {value!r}")
            for dim, pair in value.items():
                if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                    raise UserError(f"sizes[{dim!r}] must be a pair (size, base), got {pair!r}")
                put(dim, 0, pair[0], f"sizes[{dim!r}]")
                put(dim, 1, pair[1], f"sizes[{dim!r}]")
        elif key in vocabulary:
            if isinstance(value, (tuple, list)):
                if len(value) != 2:
                    raise UserError(f"{key}= must be a size or a pair (size, base), got {value!r}")
                put(key, 0, value[0], key)
                put(key, 1, value[1], key)
            else:
                put(key, 0, value, key)
        elif key.startswith("base_") and key[5:] in vocabulary:
            put(key[5:], 1, value, key)
        else:
            names = ["sizes"] + [n for d in vocabulary for n in (d, f"base_{d}")]
            close = difflib.get_close_matches(key, names + ["settings", "layers", "base_model", "lr"], n=1)
            hint = (f"; it is a field of settings= now: settings={{{key!r}: ...}}" if key in FIELDS
                    else f"; did you mean {close[0]!r}?" if close else "")
            raise TypeError(f"Parametrization() got an unexpected keyword argument {key!r}{hint} (sizes are "
                            f"DIM= / base_DIM= for DIM in {', '.join(vocabulary)}, or sizes={{DIM: (size, base)}})")
    width = pairs.pop("width", [None, None])
    depth = pairs.pop("depth", [None, None])
    head = pairs.pop("head_dim", [None, None])
    if head[0] is not None and head[1] is None:
        raise UserError("head_dim= alone says nothing: the head dimension is the model's; give base_head_dim=")
    for dim, (s, b) in pairs.items():
        if s is None or b is None:
            raise UserError(f"dimension {dim!r} needs both its size and its base: give {dim}=(size, base) or "
                            f"sizes={{{dim!r}: (size, base)}}")
    return Sizes(width[0], width[1], depth[0], depth[1], head[1], {d: tuple(p) for d, p in pairs.items()})
