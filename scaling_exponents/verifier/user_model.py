"""A user's own model in a sweep: load and check its factory, its batches, its loss, and one parametrized run.

**Factory contract.**  ``--model package.module:factory`` (or ``path/to/file.py:factory``) names a callable that
takes the swept sizes as keywords -- ``width=`` (and ``depth=`` when a depth is given) -- and returns a fresh
``torch.nn.Module``; it is called once per (size, seed) after ``torch.manual_seed(seed)``.  Before any run,
:func:`check_factory` builds the model at two sizes and refuses a factory that does not import, is not callable,
does not take ``width=``, returns something else than an ``nn.Module``, or ignores the size (identical parameter
shapes: a sweep of a constant model), each with one :class:`~scaling_exponents.errors.UserError` line.

**Batch contract.**  ``batch_fn(batch_size, seed) -> (inputs, targets)`` (``--batch-fn package.module:fn``);
``inputs`` a tensor (or a tuple of tensors, passed as ``model(*inputs)``).  Default: the built-in byte-level LM
data (:func:`.data.byte_batches`: tokens ``(B, T)``, ``T = block``, vocabulary 256), so the model must return
logits ``(B, T, 256)`` (or ``(B, 256)`` against the last target).  Loss (:func:`loss`): cross-entropy for integer
targets (logits ``(..., C)`` against targets ``(...)``), MSE for float targets of the output's shape.  A model output
that is a tuple counts by its first element, one with ``.logits`` (Hugging Face) by that.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from pathlib import Path

import torch
from torch import nn

from ..errors import UserError

FORM = "package.module:factory or path/to/file.py:factory"


def load_callable(spec: str, what: str = "--model"):
    """The attribute named by ``module:attr`` / ``file.py:attr``; a one-line UserError for each way it can fail."""
    if callable(spec):
        return spec
    mod_name, sep, attr = str(spec).rpartition(":")
    if not sep or not mod_name or not attr:
        raise UserError(f"{what} {spec!r} is not of the form {FORM}")
    if mod_name.endswith(".py") or "/" in mod_name:
        path = Path(mod_name)
        if not path.is_file():
            raise UserError(f"{what} {spec!r}: file {mod_name} not found; give an existing .py file or {FORM}")
        import hashlib

        name = f"_user_{path.stem}_{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]}"
        try:
            s = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(s)
            sys.modules[name] = module
            s.loader.exec_module(module)
        except Exception as e:  # noqa: BLE001 - any error while importing the user's file is reported in one line
            sys.modules.pop(name, None)
            raise UserError(f"{what} {spec!r}: {mod_name} does not import ({type(e).__name__}: "
                            f"{str(e).splitlines()[0] if str(e) else ''}); fix that file") from None
    else:
        try:
            module = importlib.import_module(mod_name)
        except Exception as e:  # noqa: BLE001
            raise UserError(f"{what} {spec!r}: module {mod_name} does not import ({type(e).__name__}: "
                            f"{str(e).splitlines()[0] if str(e) else ''}); check the name and that it is on "
                            "PYTHONPATH (run from its folder)") from None
    if not hasattr(module, attr):
        public = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_"))[:8]
        raise UserError(f"{what} {spec!r}: module {mod_name} has no attribute {attr!r} (callables there: "
                        f"{', '.join(public) or 'none'})")
    obj = getattr(module, attr)
    if not callable(obj):
        raise UserError(f"{what} {spec!r}: {attr} is a {type(obj).__name__}, not callable; name a function or class "
                        "that builds the model")
    return obj


def name_of(fn) -> str:
    """A stable text name of a factory or batch function (the results store keys runs by it)."""
    if isinstance(fn, str):
        return fn
    return f"{getattr(fn, '__module__', '?')}:{getattr(fn, '__qualname__', repr(fn))}"


def _accepts(fn, keyword: str) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True  # a builtin without a signature: let the call decide
    return any(p.name == keyword and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) or p.kind == p.VAR_KEYWORD
               for p in params)


def build(factory, width: int, depth: int | None = None, what: str = "--model") -> nn.Module:
    """``factory(width=width[, depth=depth])``, checked to be an ``nn.Module``."""
    kw = {"width": int(width)} | ({"depth": int(depth)} if depth is not None else {})
    model = factory(**kw)
    if not isinstance(model, nn.Module):
        raise UserError(f"{what} {name_of(factory)}(width={width}) returned a {type(model).__name__}, not a "
                        "torch.nn.Module; return the model")
    return model


def check_factory(factory, widths, depth: int | None = None, what: str = "--model") -> None:
    """Refuse a factory that does not take ``width=`` (or ``depth=``), or builds the same shapes at two widths."""
    for key, needed in (("width", True), ("depth", depth is not None)):
        if needed and not _accepts(factory, key):
            raise UserError(f"{what} {name_of(factory)} does not accept {key}=; the factory must take the swept "
                            f"sizes as keywords, e.g. def factory(width, depth=2): return MyModel(width, depth)")
    w0, w1 = sorted(set(widths))[:2]
    shapes = [{n: tuple(p.shape) for n, p in build(factory, w, depth, what).named_parameters()} for w in (w0, w1)]
    if shapes[0] == shapes[1]:
        raise UserError(f"{what} {name_of(factory)} ignores width=: its parameter shapes are identical at widths {w0} "
                        f"and {w1} (a sweep of a constant model); use the width argument for the hidden size")


def sweep_widths(factory, widths, purpose: str):
    """``(name, factory callable, sorted widths)`` of a sweep of ``factory`` over ``widths``; ``purpose`` ends the
    error when fewer than two positive widths are given (``"fit a slope"``, ``"measure a drift"``).  ``name`` is the
    spec text when given as text, so the store key survives a new process."""
    name = name_of(factory)
    factory = load_callable(factory)
    widths = sorted({int(w) for w in widths})
    if len(widths) < 2 or widths[0] < 1:
        raise UserError(f"widths needs at least two different positive widths to {purpose}; got {widths}")
    return name, factory, widths


def base_model(factory, widths, depth: int | None, base_width: int | None):
    """After :func:`check_factory`: ``(base_width, base model)`` built at ``base_width`` (default the smallest width)
    with torch's seed 0 -- the base shapes every width's Parametrization is taken relative to."""
    import torch

    check_factory(factory, widths, depth)
    base_width = base_width or widths[0]
    torch.manual_seed(0)
    return base_width, build(factory, base_width, depth)


def batch_name(batch_fn, block: int) -> str:
    """What the batches are, for the settings and the store key: the function's name or the built-in byte data."""
    return name_of(batch_fn) if batch_fn is not None else f"byte data (block {block})"


def batches(batch_fn, batch: int, block: int):
    """``get(seed) -> (inputs, targets)``: the user's ``batch_fn(batch, seed)`` or the built-in byte data."""
    if batch_fn is None:
        from .data import byte_batches

        return lambda seed: next(byte_batches(block, batch, seed=seed))
    fn = load_callable(batch_fn, "--batch-fn")

    def get(seed):
        out = fn(batch, seed)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise UserError(f"--batch-fn {name_of(batch_fn)}(batch_size, seed) must return (inputs, targets); got "
                            f"{type(out).__name__}")
        return out
    return get


def forward(model, inputs):
    """The model's output tensor on ``inputs`` (a tuple is unpacked into arguments)."""
    out = model(*inputs) if isinstance(inputs, (tuple, list)) else model(inputs)
    if hasattr(out, "logits"):
        out = out.logits
    if isinstance(out, (tuple, list)):
        out = out[0]
    if not torch.is_tensor(out):
        raise UserError(f"the model returned {type(out).__name__}; it must return a tensor (logits or predictions)")
    return out


def loss(out, targets):
    """Cross-entropy (integer targets) or MSE (float targets); a one-line UserError on mismatched shapes."""
    import torch.nn.functional as F

    if targets.dtype.is_floating_point:
        if out.shape != targets.shape:
            raise UserError(f"float targets {tuple(targets.shape)} need a model output of the same shape (MSE); got "
                            f"{tuple(out.shape)}")
        return F.mse_loss(out.float(), targets.float())
    if out.shape[:-1] != targets.shape:
        if out.dim() == 2 and targets.dim() == 2 and out.shape[0] == targets.shape[0]:
            targets = targets[:, -1]  # (B, C) logits against the last token of (B, T) targets
        else:
            raise UserError(f"integer targets {tuple(targets.shape)} need logits {tuple(targets.shape)} + (classes,) "
                            f"(cross-entropy); the model returned {tuple(out.shape)} (built-in byte data: return "
                            "(B, T, 256) logits)")
    return F.cross_entropy(out.reshape(-1, out.shape[-1]).float(), targets.reshape(-1))


def to_device(x, device):
    """``x`` (a tensor or a tuple of tensors) on ``device``."""
    return tuple(t.to(device) for t in x) if isinstance(x, (tuple, list)) else x.to(device)


#: Optimizers a user-model sweep builds from the Parametrization's param groups (:func:`.optimizers.build_optimizer`).
OPTIMIZERS = ("adam", "adamw", "sgd", "muon")


def resolve_table(table, optimizer: str | None = None):
    """``(ExponentTable, optimizer, label)`` from a registry name, ``NAME:OPTIMIZER`` or an ``ExponentTable``."""
    from ..theory.table import ExponentTable
    from ..torch.tables import derive_cached

    if isinstance(table, ExponentTable):
        opt, label = optimizer or table.optimizer or "adam", table.parametrization
    else:
        from ..systems.registry import get

        name, _, given = str(table).partition(":")
        spec = get(name)  # a one-line UserError with suggestions for an unknown name
        stated = [o for o in spec.optimizers if o]
        opt = given or optimizer or (stated[0] if stated else "adam")
        ok = not stated or opt in stated or (opt in ("adam", "adamw") and {"adam", "adamw"} & set(stated))
        if not ok:
            raise UserError(f"{spec.name} supports optimizers {', '.join(stated)}; got {opt!r}")
        table = derive_cached(spec.name, opt if stated else None, None, ())
        label = f"{spec.name}:{opt}" if given else spec.name
    if opt not in OPTIMIZERS:
        raise UserError(f"optimizer {opt!r}: a sweep of your own model trains with {', '.join(OPTIMIZERS)} "
                        "(torch.optim, from the Parametrization's param groups)")
    return table, opt, label


def setup(factory, table, opt: str, width: int, base_model, lr: float, seed: int, depth=None, device="cpu",
          param_kw=None):
    """``(model, parametrization, optimizer)`` of one run: the factory's model at ``width`` (seeded), the table applied
    by :class:`~scaling_exponents.torch.Parametrization` against ``base_model`` (mup's base shapes), and a torch
    optimizer over its ``param_groups``.  A table with depth rows is applied at ``depth`` = its base depth (``depth``,
    else ``model.depth``, else 1): every depth factor is 1.
    ``param_kw``: more keywords for the Parametrization (``layers=``, sizes, ``settings=``; the fields of
    :class:`~scaling_exponents.torch.settings.Settings` may also be given flat: ``init=``, ``readout_zero_init=``, ...)."""
    from ..torch import Parametrization
    from ..torch.settings import split_keywords
    from .optimizers import build_optimizer

    torch.manual_seed(seed)
    model = build(factory, width, depth).to(device)
    kw = {}
    if any(r.dimension == "depth" and r.power != 0 for r in table.rows):
        d = depth if depth is not None else getattr(model, "depth", 1)
        kw = {"depth": d, "base_depth": d}  # depth = base depth: every depth factor is 1 in a width sweep
    reserved = {"base_model", "lr", "width", "base_width", "param", "optimizer"} & set(param_kw or {})
    if reserved:
        raise UserError(f"param_kw may not set {', '.join(sorted(reserved))}: the sweep sets them (give lr=, widths=)")
    rest, settings = split_keywords(param_kw or {})  # flat init=, readout_zero_init=, ... go to settings=
    settings = {**settings, **rest.pop("settings", {})}
    pz = Parametrization(model, table, opt, base_model=base_model, lr=lr, settings=settings, **{**kw, **rest})
    return model, pz, build_optimizer(opt, pz.param_groups, pz)
