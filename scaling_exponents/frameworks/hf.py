"""Hugging Face transformers: what a config can say, and the preset path of this toolkit.

* transformers PR #45848 (open; UNVERIFIED against any release -- transformers 5.24 has no ``mup`` key) adds
  ``config.mup`` and ``config.mup_base_width``: ``post_init`` swaps the output embeddings for a ``MuReadout``
  (multiplier ``1/m``), divides the attention ``scaling`` by ``sqrt(head_dim)`` (``1/d``) and the ``Trainer``
  builds microsoft/mup's groups -- TP5 Table 8 (arXiv 2203.03466) and nothing else.  Its implied rows are
  therefore Table 8's for the same optimizer.
* This toolkit's preset (:mod:`scaling_exponents.torch.presets.hf`) applies any table to GPT-2 / Llama /
  Mistral / Qwen2 models; the emitted Python lines express every row the model has.
"""

from __future__ import annotations

from ..theory.table import ExponentTable
from . import Emission, compare

ROLES = ("embedding", "hidden", "readout", "bias", "hidden_bias", "norm", "final_norm", "attention")


def implied(optimizer: str | None) -> dict:
    """PR #45848's rows: TP5 Table 8 for ``optimizer`` (derived by the registry)."""
    from ..systems.registry import derive

    t = derive("mup-table8", optimizer if optimizer in ("adam", "sgd") else "adam")
    return {r.key(): r.power for r in t.rows}


def _option_values(table: ExponentTable) -> dict:
    """The spec options a table's ``variant`` records (as ``derive`` reads them back: strings), for callers that
    do not pass the options they derived with."""
    from ..errors import UserError
    from ..systems.registry import get
    from ..theory.exponents import fmt

    try:
        names = {o.name for o in get(table.parametrization).options}
    except UserError:  # a hand-made or measured table: no registry options
        return {}
    return {k: fmt(v) if not isinstance(v, str) else v for k, v in table.variant.items() if k in names}


def parametrization_call(table: ExponentTable, sizes: dict, lr: float | None = None,
                         options: dict | None = None) -> str:
    """The ``Parametrization(...)`` line that applies ``table`` at ``sizes``: valid Python, with the alignment,
    every base size given (``base_depth``, ``sizes={...}`` for the other dimensions), the base ``lr`` and the
    options ``table`` was derived with (``options``; else those its ``variant`` records)."""
    args = [repr(table.parametrization), repr(table.optimizer)] + ([repr(table.alignment)] if table.alignment else [])
    kw = [f"base_width={sizes['width'][1]}"]
    if "depth" in sizes:
        kw.append(f"base_depth={sizes['depth'][1]}")
    other = {d: tuple(v) for d, v in sizes.items() if d not in ("width", "depth")}
    if other:
        kw.append(f"sizes={other!r}")
    if lr is not None:
        kw.append(f"lr={lr:g}")
    opts = dict(options) if options is not None else _option_values(table)
    if opts:
        kw.append(f"settings={ {'options': opts}!r}")
    return f"param = Parametrization(model, {', '.join(args + kw)})"


def emit(table: ExponentTable, sizes: dict, lr: float | None = None, options: dict | None = None) -> Emission:
    """What Hugging Face transformers can express of ``table`` at ``sizes``: the config entries of PR #45848
    (UNVERIFIED, TP5 Table 8 only) plus the toolkit's preset path (:func:`parametrization_call`, with the
    request's ``options``), with the rows reproduced and those it cannot express."""
    n, n0 = sizes["width"]
    rep, miss = compare(table, implied(table.optimizer), ROLES)
    lines = ["# transformers PR #45848 (open, UNVERIFIED): config entries",
             '"mup": true,', f'"mup_base_width": {n0},   # hidden_size {n}, width_mult {n / n0:g}',
             "# every row, on the model as built (scaling_exponents[hf] preset):",
             "from scaling_exponents.torch import Parametrization",
             parametrization_call(table, sizes, lr, options),
             "opt = torch.optim.AdamW(param.param_groups)" if (table.optimizer or "adam") != "sgd"
             else "opt = torch.optim.SGD(param.param_groups)"]
    notes = ["the rows listed as not expressible are PR #45848's limits; the Parametrization line applies them all",
             "export a plain model for stock transformers with param.fold() (scaling_exponents.torch.fold)"]
    return Emission("hf", f"Hugging Face config for {table.heading()} at width {n} / base {n0}", lines,
                    rep, miss, notes)
