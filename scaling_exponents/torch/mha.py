"""``nn.MultiheadAttention``: its packed ``in_proj_weight`` is three hidden matrices, not one.

``nn.MultiheadAttention`` keeps the query, key and value projections in ONE parameter ``in_proj_weight`` of
shape ``(3 E, E)`` (or ``q_proj_weight``/``k_proj_weight``/``v_proj_weight`` when ``kdim``/``vdim`` differ from
``E``) and their biases in ``in_proj_bias``; only ``out_proj`` is an ``nn.Linear``.  Each block is an
``E x E`` hidden matrix (TP5, arXiv 2203.03466, Table 3 "hidden weights"; its App. B treats Q, K, V as hidden
layers), so its fans are ``(E, E)`` -- not ``(E, 3E)`` -- and PyTorch initialises it with
``xavier_uniform_`` (std ``sqrt(2 / (E + 3E))`` ∝ ``E^-1/2``, like a Linear's ``fan_in^-1/2``), so
``init='rescale'`` multiplies it by ``sqrt(fan_in / base fan_in)`` times the table's init factor exactly as
for a Linear.  Without this the packed weight was either left at its defaults (auto roles) or rescaled
without the fan_in correction (glob roles).
"""

from __future__ import annotations

from torch import nn

#: Module types whose parameters are handled here.
MHA_TYPES = (nn.MultiheadAttention,)
#: The projection matrices of ``nn.MultiheadAttention`` (packed or separate) and its biases.
WEIGHTS = ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight")
BIASES = ("in_proj_bias", "bias_k", "bias_v")


def is_mha(module) -> bool:
    """True for ``torch.nn.MultiheadAttention`` (its packed ``in_proj_weight`` needs per-slice roles and fans)."""
    return isinstance(module, MHA_TYPES)


def role_of(attr: str, role: str) -> str:
    """The role of one of the module's own parameters when the module is given ``role`` (hidden)."""
    return "bias" if attr in BIASES else role


def fans(module, attr: str, p) -> tuple[int, int] | None:
    """``(fan_in, fan_out)`` of ONE block of a projection matrix, or None for parameters not handled here."""
    if not is_mha(module) or attr not in WEIGHTS:
        return None
    if attr == "in_proj_weight":  # (3E, E): three (E, E) blocks q, k, v
        return p.shape[1], p.shape[0] // 3
    return p.shape[1], p.shape[0]  # q_proj_weight (E, E), k_proj_weight (E, kdim), v_proj_weight (E, vdim)


def blocks(module) -> list[tuple[str, slice, tuple[int, int]]]:
    """``[(name, rows of in_proj_weight, (fan_in, fan_out))]`` for the packed q, k, v blocks."""
    if not is_mha(module) or module.in_proj_weight is None:
        return []
    e = module.embed_dim
    return [(n, slice(i * e, (i + 1) * e), (e, e)) for i, n in enumerate(("q", "k", "v"))]
