"""``verify --table FILE.json``: verify any exponent table, not only the registered parametrizations.

What: each file (``derive --format json`` form, read by :func:`scaling_exponents.theory.table_json.load_table`)
becomes a verify :class:`~.target.Target` labelled by the file stem whose ``param`` is the content-digest key of
:mod:`scaling_exponents.theory.custom_tables` (``table:<stem>@<sha8>``), so the width, depth, per-matrix and MoE
sweeps run it exactly as a registered name and the result store never mixes two tables.  The table's ``optimizer``
picks the optimizer unless ``-o`` is given (then the table is filed with that optimizer: another digest).  Why: a
hand-made rule, a measured alignment table or a planted error (:mod:`scaling_exponents.evidence.calibration`) is
checked by the same instrument, with the same store and report.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..errors import UserError

#: Optimizers the coordinate-check sweeps train with (per-role tables) and the per-matrix ones (:mod:`.optimizers`).
ROLE_OPTIMIZERS = ("adam", "adamw", "sgd", "adafactor")


def table_target(table, label: str, optimizer: str | None = None, expect=None):
    """A verify target running ``table`` (registered process-locally); ``expect``: a table to predict from instead
    (the calibration's planted runs are judged against the correct table's predictions)."""
    from ..theory.custom_tables import register
    from .target import Target

    if optimizer and optimizer != table.optimizer:
        table = dataclasses.replace(table, optimizer=optimizer, solution=None, system=None)
    opt = table.optimizer or "adam"
    if table.optimizer is None:
        table = dataclasses.replace(table, optimizer=opt, solution=None, system=None)
    return Target(register(table, label), opt, label, expect=expect)


def table_targets(paths, optimizer: str | None = None) -> list:
    """Targets of ``--table FILE.json [--table FILE2.json]`` (label = file stem; a repeated stem gets ``#2``)."""
    from ..theory.table_json import load_table

    out, seen = [], {}
    for p in paths:
        table = load_table(str(p))
        stem = Path(p).stem
        seen[stem] = seen.get(stem, 0) + 1
        out.append(table_target(table, stem if seen[stem] == 1 else f"{stem}#{seen[stem]}", optimizer))
    return out


def add_arguments(p) -> None:
    """``--table FILE.json`` (repeatable) and ``--expect FILE.json``."""
    p.add_argument("--table", action="append", metavar="FILE.json",
                   help="verify the exponent table in FILE.json (`derive -f json` form; repeatable; label = file stem; "
                        "its optimizer unless -o)")
    p.add_argument("--expect", metavar="FILE.json",
                   help="predict the rows of every --table from this table instead of its own: does a run of FILE.json "
                        "show the exponents the table you meant (e.g. `derive -p mup -f json`) predicts?")


def targets_of(args, parse_targets) -> list:
    """``-p`` names (``parse_targets``: :func:`.verify.parse_targets`) and ``--table`` files of a verify command line,
    in that order (at least one of them)."""
    tables = getattr(args, "table", None) or []
    if isinstance(tables, str):  # from a --config file: `table: [a.json, b.json]` arrives comma-joined
        tables = [t for t in tables.split(",") if t.strip()]
    if not args.param and not tables:
        raise UserError("verify needs --param NAME[,NAME...] or --table FILE.json (a table in `derive -f json` form)")
    targets = parse_targets(args.param, args.optimizer) if args.param else []
    targets += table_targets(tables, args.optimizer)
    if getattr(args, "expect", None):
        from ..theory.table_json import load_table

        if not tables:
            raise UserError("--expect FILE.json sets the predictions of --table runs: add --table FILE.json")
        expect = load_table(args.expect)
        targets = [dataclasses.replace(t, expect=expect) if t.param.startswith("table:") else t for t in targets]
    if tables and (getattr(args, "executor", None) or "local") != "local":
        raise UserError(f"--table files are registered in this process only; --executor {args.executor} runs "
                        "elsewhere: use --executor local (or register the table as a parametrization)")
    return targets


def check_realised(target, model: str, depth: int = 2) -> None:
    """A custom table none of whose non-zero rows the verifier's ``model`` realises: one line naming the rows.

    Builds the reference model at width 32 and asks :class:`~scaling_exponents.torch.Parametrization` which rows it
    did not apply (:func:`scaling_exponents.torch.explain.unapplied_rows`); registered names are not checked."""
    from ..theory.custom_tables import is_custom
    from ..torch.matrix_roles import is_per_matrix
    from .probes import RunConfig, make_model, parametrize, table_for

    if not is_custom(target.param) or model not in ("mlp", "resmlp", "gpt"):
        return
    table = table_for(target.param, None, None)
    nonzero = [r for r in table.rows if r.power != 0]
    if not nonzero or is_per_matrix(table):
        return
    cfg = RunConfig(param=target.param, model=model, optimizer=target.optimizer, width=32, depth=max(depth, 1),
                    base_width=32, base_depth=max(depth, 1), head_dim=16)
    unapplied = {row.key() for row, _ in parametrize(make_model(cfg), cfg).unapplied}
    if all(r.key() in unapplied for r in nonzero):
        names = ", ".join("/".join(r.key()) for r in nonzero[:6]) + (" ..." if len(nonzero) > 6 else "")
        raise UserError(f"table {target.label}: no row the verifier's --model {model} realises ({names}); the "
                        "reference models have roles embedding, hidden, readout (+ norm, final_norm, residual_branch "
                        "in resmlp/gpt, attention in gpt, router/expert_* in --model moe)")
