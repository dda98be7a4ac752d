"""Restate a derived table in another parametrization's convention via the abc symmetry.

Two tables describe the same training dynamics iff, role by role, one is the other moved along its
symmetry orbit (TP5 Lemma J.1, arXiv 2203.03466; TP4 Eq. (5), arXiv 2011.14522; see
:mod:`scaling_exponents.theory.symmetry`).  :func:`convert` moves every role of ``table`` so that its
multiplier matches the target's, then reports per role whether init and learning rate then agree (same
dynamics) or where they differ.  E.g. Everett et al.'s ``mup`` (full alignment) restated in
``mup-table8`` is TP5 Table 8 exactly; ``sp`` restated in ``mup`` differs in the hidden init and LR.
"""

from __future__ import annotations

from ..errors import UserError
from ..theory.exponents import fmt
from ..theory.symmetry import LR_SHIFT, shift
from ..theory.table import ExponentTable, Row


def _abc(table: ExponentTable, role: str):
    return (-table.power(role, "multiplier"), -table.power(role, "init_std"), -table.power(role, "lr"))


def compare(table: ExponentTable, target: ExponentTable) -> list[tuple[str, object, str]]:
    """Per shared role: (role, theta, verdict) where theta moves ``table``'s role onto ``target``'s multiplier."""
    opt = table.optimizer or target.optimizer
    if opt not in LR_SHIFT:
        raise UserError(f"the abc symmetry is known for {', '.join(LR_SHIFT)}; this table's optimizer is {opt!r}")
    out = []
    shared = [r for r in table.roles if r in target.roles and any(
        row.role == r and row.quantity == "multiplier" and row.dimension == "width" for row in table.rows)]
    for role in shared:
        a, b, c = _abc(table, role)
        at, bt, ct = _abc(target, role)
        theta = at - a
        a2, b2, c2 = shift(a, b, c, theta, opt)
        if (b2, c2) == (bt, ct):
            verdict = "same dynamics"
        else:
            diffs = []
            if b2 != bt:
                diffs.append(f"init_std power {fmt(-b2)} vs {fmt(-bt)}")
            if c2 != ct:
                diffs.append(f"lr power {fmt(-c2)} vs {fmt(-ct)}")
            verdict = "DIFFERENT dynamics: " + ", ".join(diffs)
        out.append((role, theta, verdict))
    return out


def convert(table: ExponentTable, target_name: str) -> ExponentTable:
    """``table`` restated with ``target_name``'s multipliers (same dynamics), with a per-role verdict."""
    from .registry import derive, get

    spec = get(target_name)
    opt = table.optimizer if table.optimizer in spec.optimizers else None
    if table.optimizer and opt is None:
        raise UserError(f"{spec.name} does not cover optimizer {table.optimizer!r}; supported: {', '.join(spec.optimizers)}")
    al = table.alignment if table.alignment in spec.alignments else None
    target = derive(spec.name, optimizer=opt, alignment=al)
    verdicts = compare(table, target)
    if not verdicts:  # nothing compared: "same dynamics" would be vacuous, the rows unchanged under a new label
        dims = ", ".join(table.dimensions) or "none"
        raise UserError(f"--convert-to restates width tables role by role through their width multiplier rows; "
                        f"{table.parametrization} shares no role with width multiplier rows with {spec.name} (its rows "
                        f"are along {dims}): nothing to restate, drop --convert-to")
    thetas = {role: theta for role, theta, _ in verdicts}
    rows = []
    for r in table.rows:
        t = thetas.get(r.role)
        if t is None or r.dimension != "width":
            rows.append(r)
            continue
        if r.quantity == "multiplier":
            rows.append(Row(r.role, r.quantity, r.dimension, r.power - t, r.note))
        elif r.quantity == "init_std":
            rows.append(Row(r.role, r.quantity, r.dimension, r.power + t, r.note))
        elif r.quantity == "lr":
            rows.append(Row(r.role, r.quantity, r.dimension, r.power + LR_SHIFT[table.optimizer] * t, r.note))
        elif r.quantity == "adam_eps":  # the gradient of w picks up n^-theta
            rows.append(Row(r.role, r.quantity, r.dimension, r.power - t, r.note))
        else:
            rows.append(r)
    notes = [f"restated in the convention of {spec.name} ({spec.source.cite()}) by the abc symmetry "
             "(TP5 Lemma J.1): per role, multiplier x n^-theta, init std x n^theta, LR moved accordingly"]
    notes += [f"{role}: theta = {fmt(theta)}: {verdict}" for role, theta, verdict in verdicts]
    left = sorted({r.role for r in table.rows if r.dimension == "width" and r.power != 0} - set(thetas))
    if left:  # roles the target has no multiplier for keep their rows: say so
        notes.append(f"not restated (no shared width multiplier role in {spec.name}): {', '.join(left)}")
    same = all(v == "same dynamics" for _, _, v in verdicts)
    return ExponentTable(f"{table.parametrization}->{spec.name}", table.optimizer, table.alignment, table.source,
                         rows, title=f"{table.title or table.parametrization} in {spec.name}'s convention",
                         variant=dict(table.variant), derived={**table.derived, "same dynamics as target": same},
                         notes=notes + list(table.notes), convention=target.convention,
                         solution=table.solution, system=table.system)
