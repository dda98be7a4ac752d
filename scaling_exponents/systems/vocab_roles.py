"""Vocabulary V as a scaling dimension of the per-matrix (fan-stated) tables: embedding, hidden, readout of an LM.

A per-matrix table (spectral arXiv 2310.17813 Condition 1; Qiu et al. arXiv 2512.05620 Table 1; the Muon codes of
:mod:`.muon_conventions`) states each quantity as ``fan_in^p fan_out^q`` of ONE generic matrix (role ``weight``).
In a language model of width n and vocabulary V the three kinds of matrix have

    embedding  fan_in = V, fan_out = n        hidden  fan_in = fan_out = n        readout  fan_in = n, fan_out = V

so the per-role table along (width, vocab) is a change of variables, exact, with one subtlety: rules with a
``max`` (Keller/torch ``sqrt(max(1, A/B))``, Moonlight ``0.2 sqrt(max(A, B))``, the spectral init) are one power
law only on one side of fan_out = fan_in, which the per-matrix tables pick with ``--regime``.  For the embedding
and the readout that side is the ORDER of V and n (option ``order``; ``V>=n`` is every current LLM), so each role
is derived in its own regime: readout ``fan_out>=fan_in`` and embedding ``fan_out<fan_in`` when V >= n.  The
square hidden matrix sits on the boundary, where both branches agree (checked).

**Code versus derivation.**  The Muon rows ``lr_adjustment`` / ``update_rms`` are what the code does; for the
embedding the code reads ``A, B = param.shape[:2]``, which for an ``nn.Embedding`` weight (V, n) is (V, n): the
code applies the readout's adjustment ``sqrt(max(1, V/n))`` to the embedding (the transposed rule,
muon_conventions note 6), while Condition 1 asks ``sqrt(fan_out/fan_in) = sqrt(n/V)``.  So the base LR that
torch/Keller Muon leaves to the user on an nn.Embedding falls as n/V: V^-1 (derived, asserted in
tests/systems/test_vocab.py).  ``effective_lr`` / ``lr`` apply Condition 1 with fan_in = V LITERALLY; its
derivation assumes inputs with Theta(1) entries (``||x||_2 = sqrt(fan_in)``), false for one-hot tokens
(``||x||_2 = 1``).  For one-hot inputs the requirement is a Theta(sqrt(n)) change of each seen token's vector;
under Adam (sign updates, entries +-eta) that is eta = Theta(1), independent of V -- TP5 Table 3's input-weight
Adam LR (arXiv 2203.03466), encoded in ``embedding-lr-vocab --regime mup`` -- whereas the literal Condition 1
gives V^-1.  The embedding rows here are the literal reading, and the measurement sides with the one-hot count:
``verify -p vocab-roles:adam --model gpt --vocabs 64,256,1024,4096`` (catalog/verification/vocab) finds the
embedding's output change falling as V^-0.98 under the literal V^-1 LR (FAIL against the predicted V^0).

Role tables that already have per-role fan rows (``umup``, ``umup-ops``) are restated the same way: the
embedding's fan_in and the readout's fan_out become ``vocab`` rows, every other fan becomes ``width``.
"""

from __future__ import annotations

from ..errors import UserError
from ..theory.exponents import Q
from ..theory.table import ExponentTable, Row, Source
from ..theory.values import FAN_DIMS, FIXED_FANS, VOCAB
from .base import Option, ParamSpec
from .spectral import REGIMES

ORDERS = ("V>=n", "V<n")
#: role -> (dimension of fan_in, dimension of fan_out) in a language model
LM_FANS = {"embedding": (VOCAB, "width"), "hidden": ("width", "width"), "readout": ("width", VOCAB)}
#: quantities that are the code's own (Muon conventions): computed at the shape the code sees
CODE_QUANTITIES = ("lr_adjustment", "update_rms")
#: default per-matrix table by optimizer (the catalog's pages of ``vocab-roles``)
DEFAULT_TABLE = {"muon": "torch-muon-original", "adam": "spectral", "sgd": "spectral"}


def is_matrix_table(table) -> bool:
    """A per-matrix table: every row is role ``weight`` and some row is along a fan."""
    return {r.role for r in table.rows} == {"weight"} and any(r.dimension in FAN_DIMS for r in table.rows)


def has_role_fans(table) -> bool:
    """True when ``table`` is per-matrix (rows along fan_in/fan_out) but not a matrix-optimizer table, so it must be
    restated per role (embedding, hidden, readout) along width and vocab."""
    return any(r.dimension in FAN_DIMS for r in table.rows) and not is_matrix_table(table)


def order_for(sizes: dict | None, default: str = ORDERS[0]) -> str:
    """``V>=n`` or ``V<n`` from concrete sizes; base and target on different sides is an error (no one power law)."""
    if not sizes or VOCAB not in sizes or "width" not in sizes:
        return default
    (v, v0), (n, n0) = sizes[VOCAB], sizes["width"]
    if (v >= n) != (v0 >= n0):
        raise UserError(f"vocab and width are ordered differently at the target (V={v:g}, n={n:g}) and the base "
                        f"(V={v0:g}, n={n0:g}): a max(V, n) rule is not one power law across them; choose base and "
                        "target sizes on the same side of V = n")
    return ORDERS[0] if v >= n else ORDERS[1]


def _regime(role: str, order: str) -> str:
    """The per-matrix regime (which fan is larger) of ``role`` in a language model ordered ``order``."""
    fi, fo = LM_FANS[role]
    if fi == fo:
        return REGIMES[0]
    big = VOCAB if order == ORDERS[0] else "width"
    return REGIMES[0] if fo == big else REGIMES[1]


def _derive(name, optimizer, alignment, options, regime):
    from .registry import derive, get

    spec = get(name)
    names = {o.name for o in spec.options}
    opts = {k: v for k, v in options.items() if k in names and k not in ("mode", "regime")}
    if "regime" in names:
        opts["regime"] = regime
    return derive(name, optimizer, alignment, **opts)


def _powers(table, role="weight"):
    """``{(quantity, dimension): power}`` of one role."""
    return {(r.quantity, r.dimension): r.power for r in table.rows if r.role == role}


def _matrix_rows(name, optimizer, alignment, options, order):
    from .muon_conventions import CONVENTIONS

    rows, notes = [], []
    per = {role: _powers(_derive(name, optimizer, alignment, options, _regime(role, order))) for role in LM_FANS}
    alt = _powers(_derive(name, optimizer, alignment, options, REGIMES[1]))
    for q in {q for q, _ in per["hidden"]}:  # the square matrix is on the boundary: both branches must agree
        if sum(per["hidden"].get((q, d), 0) - alt.get((q, d), 0) for d in FAN_DIMS) != 0:
            raise AssertionError(f"{name}: {q} of a square matrix differs between the two regimes")
    code = name in CONVENTIONS
    for role, (din, dout) in LM_FANS.items():
        powers = dict(per[role])
        if code and role == "embedding":  # nn.Embedding (V, n): the code sees the readout's shape (A, B) = (V, n)
            read = per["readout"]
            for q in CODE_QUANTITIES:
                for d in FAN_DIMS:
                    powers[(q, d + "@code")] = read.get((q, d), 0)
        out: dict = {}
        for (q, d), p in powers.items():
            if q in CODE_QUANTITIES and code and role == "embedding" and not d.endswith("@code"):
                continue
            fan = d.removesuffix("@code")
            if fan in FAN_DIMS:
                target = (LM_FANS["readout"] if d.endswith("@code") else (din, dout))[FAN_DIMS.index(fan)]
            else:
                target = d
            out[(q, target)] = out.get((q, target), 0) + p
        if code and role == "embedding":  # the base LR left to the user = effective (Condition 1) - code's factor
            for dim in ("width", VOCAB):
                out[("lr", dim)] = out.get(("effective_lr", dim), 0) - out.get(("lr_adjustment", dim), 0)
        for (q, d), p in out.items():
            rows.append(Row(role, q, d, Q(p)))
        for q in {q for q, _ in out}:
            for d in ("width", VOCAB):
                if (q, d) not in out:
                    rows.append(Row(role, q, d, Q(0)))
    if code:
        notes.append("embedding: lr_adjustment/update_rms are what the code applies to an nn.Embedding weight "
                     "(V, n), i.e. the readout's rule sqrt(max(1, V/n)) (transposed; muon_conventions note 6)")
    return rows, notes


def _role_rows(table):
    """Fan rows relabelled; every (role, quantity) stated along a fan gets explicit width AND vocab rows (a rule
    written in fan_in/fan_out names every fan it depends on, so the missing one is a stated power 0)."""
    out: dict = {}
    for r in table.rows:
        d = r.dimension
        if d in FAN_DIMS:
            d = VOCAB if (r.role, r.dimension) in FIXED_FANS else "width"
            for dim in ("width", VOCAB):
                out.setdefault((r.role, r.quantity, dim), 0)
        out[(r.role, r.quantity, d)] = out.get((r.role, r.quantity, d), 0) + r.power
    return [Row(role, q, d, Q(p)) for (role, q, d), p in out.items()]


def lm_view(table, sizes: dict | None = None, order: str | None = None, name: str | None = None) -> ExponentTable:
    """``table`` restated per role of a language model along ``width`` and ``vocab`` (see the module doc).

    A per-matrix table is re-derived in each role's regime (``order``: ``V>=n`` or ``V<n``, else read from
    ``sizes``, else ``V>=n``); a table with per-role fan rows is relabelled.  Anything else is returned as is.
    ``name``: the registered name the table was derived under (``adam-qiu``'s table calls itself ``adam``)."""
    if order is not None and order not in ORDERS:
        raise UserError(f"--order is one of {', '.join(ORDERS)} (vocabulary vs width); got {order!r}")
    order = order or order_for(sizes)
    if is_matrix_table(table):
        opts = {k: v for k, v in table.variant.items()}
        rows, notes = _matrix_rows(name or table.parametrization, table.optimizer, table.alignment, opts, order)
        variant = {k: v for k, v in table.variant.items() if k not in ("mode", "regime")}
        variant["order"] = order
        notes = [f"per role of a language model: embedding (fan_in V, fan_out n), hidden (n, n), readout (n, V); "
                 f"derived from {table.parametrization}'s per-matrix table in each role's regime ({order})"] + notes
    elif has_role_fans(table):
        rows = _role_rows(table)
        variant = dict(table.variant)
        notes = ["fan rows restated: embedding fan_in and readout fan_out -> vocab, every other fan -> width"]
    else:
        return table
    if any(r.role == "embedding" and r.dimension == VOCAB for r in rows):
        notes.append("embedding rows read Condition 1 with fan_in = V literally (inputs with Theta(1) entries); one-hot "
                     "tokens have ||x||_2 = 1: under Adam the embedding LR is V-independent (TP5 Table 3, see "
                     "embedding-lr-vocab --regime mup), not V^-1 as literally here; measured: under V^-1 the embedding output "
                     "change falls as V^-0.98 (catalog/verification/vocab, FAIL)")
    return ExponentTable(table.parametrization, table.optimizer, table.alignment, table.source, rows,
                         title=f"{table.title or table.parametrization}, per LM role (width n, vocabulary V)",
                         variant=variant, derived=dict(table.derived), notes=list(table.notes) + notes,
                         convention=(table.convention + "; " if table.convention else "")
                         + "V = vocabulary: embedding fan_in and readout fan_out", solution=table.solution,
                         system=table.system)


def for_sizes(table, sizes: dict, name: str | None = None):
    """``derive``'s hook: with a ``vocab`` size, a per-matrix or role-fan table is shown per LM role."""
    if sizes and VOCAB in sizes and (is_matrix_table(table) or has_role_fans(table)):
        return lm_view(table, sizes, name=name)
    return table


def _build(optimizer, alignment, table="", order=ORDERS[0]):
    from .registry import derive, get

    name = table or DEFAULT_TABLE.get(optimizer, "")
    if not name:
        raise UserError(f"vocab-roles needs --table NAME (a per-matrix table) for optimizer {optimizer!r}")
    spec = get(name)
    t = derive(spec.name, optimizer if optimizer in spec.optimizers else None, alignment)
    if not (is_matrix_table(t) or has_role_fans(t)):
        raise UserError(f"--table {name} has no fan_in/fan_out rows to restate per role; pick a per-matrix table "
                        "(spectral, muon, adam-qiu, torch-muon-original, ...) or umup / umup-ops")
    view = lm_view(t, order=order, name=spec.name)
    view.parametrization = "vocab-roles"
    view.variant = {"table": spec.name, **view.variant}
    return view


SPECS = [
    ParamSpec("vocab-roles", "Per-matrix rules per LM role, with vocabulary V as a dimension",
              Source("yang2023spectral", "2310.17813", "Condition 1, per role with fan_in/fan_out = V or n"), _build,
              optimizers=("muon", "adam", "sgd"), family="vocabulary", aliases=("lm-roles",),
              options=(Option("table", "a per-matrix table to restate (default: torch-muon-original for muon, "
                                       "spectral for adam/sgd)", "", str),
                       Option("order", "'V>=n' (every current LLM) or 'V<n': picks each role's branch of a max",
                              ORDERS[0], str)),
              summary="embedding (V -> n), hidden (n -> n), readout (n -> V): each per-matrix rule with its V power"),
]
