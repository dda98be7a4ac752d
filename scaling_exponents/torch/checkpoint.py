"""Save a :class:`~.parametrize.Parametrization` with a checkpoint and restore it, so a resumed run keeps its
table, roles, base shapes and per-group LRs.

:func:`state` is plain data (str, float, int, bool, list, dict), so a checkpoint loads with
``torch.load(path, weights_only=True)`` (PyTorch's safe unpickler).  :func:`restore` rebuilds the
parametrization on a freshly built model with ``init=None`` (the weights come from the checkpoint), the same
table (rows stored, not re-derived), the same role patterns and the same width ratio / depths, then checks
that every parameter gets the role and LR / weight-decay / eps / multiplier factors it had -- a mismatch
(another architecture, another base model) is an error, not a silently different run.

Typical use::

    ckpt = {"model": model.state_dict(), "optimizer": opt.state_dict(), "parametrization": state(p)}
    torch.save(ckpt, path)
    ...
    ckpt = torch.load(path, weights_only=True)
    model = build_model()
    p = restore(model, ckpt["parametrization"])
    model.load_state_dict(ckpt["model"])
    opt = torch.optim.AdamW(p.param_groups); opt.load_state_dict(ckpt["optimizer"])

(:func:`save` / :func:`load` do exactly this.)
"""

from __future__ import annotations

import math

import torch

from ..errors import UserError
from ..theory.exponents import Q
from ..theory.table import ExponentTable, Row, Source

FORMAT = 1
FACTORS = ("lr_scale", "wd_scale", "eps_scale", "multiplier")


def state(p) -> dict:
    """The parametrization as plain data (table rows, role patterns, sizes, base values, per-parameter factors, the
    measured-alignment table if any) with a digest of its table (:func:`_digest`)."""
    meta = _state(p)
    meta["digest"] = _digest(meta)
    return meta


def _state(p) -> dict:
    t = p.table
    b, s = p.plan.shapes, p.settings
    if b.base_net is not None:
        base = {"base_model": True}
    else:
        base = {"base_model": False, "ratio": b.ratio}
    base.update(depth=b.depth, base_depth=b.base_depth, base_head_dim=b.base_head_dim,
                sizes={k: [float(s), float(bb)] for k, (s, bb) in b.sizes.items()})
    return {
        "format": FORMAT,
        "table": {"parametrization": t.parametrization, "optimizer": t.optimizer, "alignment": t.alignment,
                  "title": t.title, "convention": t.convention,
                  "source": {"key": t.source.key, "arxiv": t.source.arxiv, "where": t.source.where},
                  "variant": {k: str(v) for k, v in t.variant.items()}, "notes": list(t.notes),
                  "rows": [[r.role, r.quantity, r.dimension, str(r.power), r.note] for r in t.rows]},
        "layers": None if p.layers is None else {k: (v if isinstance(v, str) else list(v)) for k, v in p.layers.items()},
        "base": base,
        "lr": p.lr, "weight_decay": s.weight_decay, "weight_decay_mode": s.weight_decay_mode, "eps": s.eps,
        "multipliers": s.multipliers, "no_weight_decay": list(s.no_weight_decay),
        "readout_zero_init": s.readout_zero_init,
        "params": {n: {"role": i.role, **{f: float(getattr(i, f)) for f in FACTORS}} for n, i in p.records.items()},
        # a measured-alignment table sets per-weight LRs: restored with it (without it the LRs differ)
        "aligned": None if getattr(p, "aligned", None) is None else p.aligned.to_dict(),
    }


def _digest(meta: dict) -> str:
    """sha256 of the stored table and alignment (canonical JSON): an edited table name or row is detected."""
    import hashlib
    import json

    blob = json.dumps({"table": meta.get("table"), "aligned": meta.get("aligned")}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def table_from(d: dict) -> ExponentTable:
    """The :class:`ExponentTable` stored by :func:`state` (exact rational powers)."""
    rows = [Row(role, q, dim, Q(power), note) for role, q, dim, power, note in d["rows"]]
    return ExponentTable(d["parametrization"], d["optimizer"], d["alignment"], Source(**d["source"]), rows,
                         title=d.get("title", ""), variant=dict(d.get("variant", {})), notes=list(d.get("notes", [])),
                         convention=d.get("convention", ""))


def restore(model, meta: dict, base_model=None, **overrides):
    """Re-apply the stored parametrization to ``model`` (``init=None``) and check it matches; see the module doc.

    ``overrides`` replace stored constructor arguments and settings (e.g. ``lr=`` for a new base LR)."""
    from .parametrize import Parametrization
    from .settings import split_keywords

    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise UserError(f"not a parametrization state (format {FORMAT}); save it with scaling_exponents.torch.checkpoint.state")
    if meta.get("digest") and meta["digest"] != _digest(meta):
        raise UserError(f"the checkpoint's table ({meta['table'].get('parametrization')!r}) was edited after saving "
                        "(its digest differs): restore from an unedited checkpoint, or apply the table you mean with "
                        "Parametrization(..., settings={'init': None}) and load the weights yourself")
    base = meta["base"]
    settings = dict(weight_decay=meta["weight_decay"], weight_decay_mode=meta["weight_decay_mode"], eps=meta["eps"],
                    multipliers=meta["multipliers"], no_weight_decay=tuple(meta["no_weight_decay"]), init=None)
    kw = dict(layers=meta["layers"], lr=meta["lr"], depth=base["depth"], base_depth=base["base_depth"],
              base_head_dim=base["base_head_dim"], sizes={k: tuple(v) for k, v in base["sizes"].items()})
    if base["base_model"]:
        if base_model is None:
            raise UserError("this checkpoint's parametrization used base_model=; pass the same base_model= to restore")
        kw["base_model"] = base_model
    elif base["ratio"] is not None:
        kw.update(width=base["ratio"], base_width=1.0)
    if meta.get("aligned"):
        settings["table"] = meta["aligned"]
    rest, more = split_keywords(overrides)
    kw.update(rest)
    settings.update(more)
    table = table_from(meta["table"])
    p = Parametrization(model, table, table.optimizer, table.alignment, settings=settings, **kw)
    saved = meta["params"]
    if set(saved) != set(p.records):
        extra, missing = sorted(set(p.records) - set(saved)), sorted(set(saved) - set(p.records))
        raise UserError(f"model parameters differ from the checkpoint's: new {extra[:3]}, missing {missing[:3]}; "
                        "build the same architecture before restoring")
    for name, rec in saved.items():
        info = p.records[name]
        if info.role != rec["role"]:
            raise UserError(f"{name!r} restored with role {info.role!r}, saved with {rec['role']!r}")
        for f in FACTORS:
            if not math.isclose(getattr(info, f), rec[f], rel_tol=1e-9):
                raise UserError(f"{name!r}: restored {f} {getattr(info, f):.6g} differs from the saved {rec[f]:.6g}: "
                                "the model's shape or the restore options differ from the saved run's (width, base "
                                "model, depth); build the same model and pass no overrides")
    return p


def save(path, p, model=None, optimizer=None, **extra) -> None:
    """``torch.save`` of ``{"parametrization": state(p), "model": ..., "optimizer": ..., **extra}``."""
    ckpt = {"parametrization": state(p), **extra}
    ckpt["model"] = (model if model is not None else p.model).state_dict()
    if optimizer is not None:
        ckpt["optimizer"] = optimizer.state_dict()
    torch.save(ckpt, path)


def load(path, model, optimizer_cls=None, base_model=None, **optimizer_kwargs):
    """Load a :func:`save` checkpoint with ``weights_only=True`` into a freshly built ``model``: returns
    ``(parametrization, optimizer or None, checkpoint)``; the optimizer is ``optimizer_cls(p.param_groups)``
    with its saved state."""
    try:
        ckpt = torch.load(path, weights_only=True)
    except FileNotFoundError:
        raise UserError(f"checkpoint {path} does not exist") from None
    except Exception as e:  # a truncated or foreign file: torch raises RuntimeError/UnpicklingError/EOFError/...
        first = (str(e).splitlines() or [type(e).__name__])[0][:160]
        raise UserError(f"{path} is not a readable checkpoint ({type(e).__name__}: {first}); was the save "
                        "interrupted? use an earlier checkpoint") from None
    if not isinstance(ckpt, dict) or "parametrization" not in ckpt:
        raise UserError(f"{path} has no 'parametrization' entry; save it with scaling_exponents.torch.checkpoint.save")
    p = restore(model, ckpt["parametrization"], base_model=base_model)
    _load_weights(model, ckpt["model"], path)
    opt = None
    if optimizer_cls is not None:
        opt = optimizer_cls(p.param_groups, **optimizer_kwargs)
        if "optimizer" in ckpt:
            opt.load_state_dict(ckpt["optimizer"])
    return p, opt, ckpt


def _load_weights(model, weights: dict, path) -> None:
    """``model.load_state_dict`` with a one-line error naming the first parameter whose shape differs (a model of
    another width) instead of torch's multi-line RuntimeError."""
    own = model.state_dict()
    for name, t in weights.items():
        if name in own and tuple(own[name].shape) != tuple(t.shape):
            raise UserError(f"{path}: {name} was saved with shape {tuple(t.shape)}, this model has "
                            f"{tuple(own[name].shape)}: build the model at the width/depth it was saved at")
    try:
        model.load_state_dict(weights)
    except RuntimeError as e:
        raise UserError(f"{path}: the weights do not fit this model ({str(e).splitlines()[0][:160]})") from None
