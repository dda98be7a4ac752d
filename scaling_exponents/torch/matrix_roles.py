"""Per-matrix tables on any model: the roles ``weight`` / ``matrix`` / ``vector`` and each matrix's own dimensions.

Tables stated *per weight matrix* (Qiu et al., arXiv 2512.05620 Tables 1-2: Muon, Shampoo, SOAP, AdaMuon,
grafting; Ishikawa & Karakida, arXiv 2312.12226: Shampoo, K-FAC; the spectral condition, arXiv 2310.17813
Condition 1) have one role, ``weight`` (a generic matrix ``fan_in -> fan_out``), with rows along

* ``fan_in`` / ``fan_out`` -- the matrix's own fans (an embedding's fan_in is its vocabulary/data dimension, a
  readout's fan_out its number of classes: fixed under a global width ratio, :meth:`.shapes.BaseShapes.fans`);
* ``depth`` -- the residual-branch count (arXiv 2512.05620 Sec. 3.3, ``delta ~ 1/(L fan_out)``);
* ``blocks`` / ``block_in`` / ``block_out`` -- the preconditioner blocks of blocked Shampoo and SOAP
  (arXiv 2512.05620 Sec. 3.1: ``b_in b_out = fan_in fan_out / n_blk``).  With a block size ``B`` (the
  optimizer's ``max_precondition_dim``/``block_size``) a matrix has ``b_in = min(fan_in, B)``,
  ``b_out = min(fan_out, B)`` and ``n_blk = ceil(fan_in/B) ceil(fan_out/B)``; without one (``None``)
  it is one block, ``b = fan``.

On a model (auto-detected or ``layers=`` roles ``embedding``/``hidden``/``readout``), every *matrix* (a parameter
with >= 2 dimensions) of such a table takes the ``weight`` rows with its own fans; *vectors* (biases, norm
gains) keep their role, and the table's lack of rows for them leaves their factors at 1 (the optimizer's own
defaults; Muon-style setups train them with Adam, :mod:`scaling_exponents.verifier.optimizers`).  A user may
also name the roles directly: ``layers={"blocks.*": "matrix", "ln*": "vector"}``.
"""

from __future__ import annotations

import math

from ..errors import UserError

#: The per-matrix role of tables stated per weight matrix.
WEIGHT = "weight"
#: Role names a user may give in ``layers=``: ``matrix`` takes the ``weight`` rows, ``vector`` keeps defaults.
ROLES = ("weight", "matrix", "vector")
#: Dimensions computed per matrix (not global ``sizes=``).
BLOCK_DIMS = ("blocks", "block_in", "block_out")
#: Roles whose matrices take ``weight`` rows.
MATRIX_SOURCE_ROLES = ("embedding", "hidden", "readout", "matrix", "weight")


def is_per_matrix(table) -> bool:
    """A table stated per weight matrix: it has ``weight`` rows and no per-role (embedding/hidden/readout) rows."""
    roles = set(table.roles)
    return WEIGHT in roles and not roles & {"embedding", "hidden", "readout"}


def table_role(table, role: str, ndim: int) -> str:
    """The table role a parameter of ``role`` with ``ndim`` dimensions takes: ``weight`` for a matrix of a per-matrix
    table, ``vector`` for a user-named vector, else ``role`` unchanged."""
    if is_per_matrix(table) and ndim >= 2 and role in MATRIX_SOURCE_ROLES:
        return WEIGHT
    if role == "matrix" and "matrix" not in table.roles:  # tables with their own matrix rows (wd-layerwise) keep them
        if ndim < 2:
            raise UserError(f"role 'matrix' is for parameters with >= 2 dimensions; got a {ndim}-d parameter "
                            "(give it role 'vector')")
        return WEIGHT
    return role


def block_sizes(fans: dict, block_size: int | None) -> dict:
    """``{"blocks"|"block_in"|"block_out": (size, base)}`` of one matrix from its ``fans`` (:meth:`BaseShapes.fans`)."""
    if block_size is not None and (not isinstance(block_size, int) or block_size < 1):
        raise UserError(f"block_size must be a positive integer or None (one block per matrix); got {block_size!r}")
    out = {}
    for k in (0, 1):  # size, base
        fi, fo = fans["fan_in"][k], fans["fan_out"][k]
        if block_size is None:
            b_in, b_out, n = fi, fo, 1
        else:
            b_in, b_out = min(fi, block_size), min(fo, block_size)
            n = math.ceil(fi / block_size) * math.ceil(fo / block_size)
        for dim, v in (("block_in", b_in), ("block_out", b_out), ("blocks", n)):
            out.setdefault(dim, [None, None])[k] = v
    return {d: tuple(v) for d, v in out.items()}


def describe(info) -> str:
    """``fan_in a/b, fan_out c/d[, blocks ...]`` for :meth:`Parametrization.explain`."""
    fans = info.fans or {}
    same = {"block_in": fans.get("fan_in"), "block_out": fans.get("fan_out"), "blocks": (1, 1)}
    parts = [f"{d} {s:g}/{b:g}" for d, (s, b) in fans.items()]
    parts += [f"{d} {s:g}/{b:g}" for d, (s, b) in (info.dims or {}).items() if tuple(same.get(d) or ()) != (s, b)]
    return ", ".join(parts)  # blocks listed only when the matrix is split (block_size smaller than a fan)


def models_with_role(role: str) -> str:
    """Which reference models (and how) provide ``role``, for a bad-input message."""
    where = {
        "weight": "every matrix of mlp, resmlp, gpt (any model through Parametrization)",
        "embedding": "mlp, resmlp, gpt",
        "hidden": "mlp, resmlp, gpt",
        "readout": "mlp, resmlp, gpt",
        "residual_branch": "resmlp, gpt",
        "attention": "gpt",
    }
    return where.get(role, "none of the reference models (mlp, resmlp, gpt)")
