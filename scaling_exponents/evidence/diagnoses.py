"""Diagnoses of measured FAILs: ``papers/diagnoses/*.csv``, one file per author, read and matched to failed rows.

What: every line says why one failed row (or a glob of them) of a verification summary fails, with a class from a
fixed vocabulary (:data:`CLASSES`), a one-line reason and where the evidence is.  Why: a FAIL in the catalog must
say whether the paper's table is wrong or the probe does not fit it (issue 22); the calibrated verdict
(:mod:`.verdicts`) takes the class of a failed row from the first line that matches it.

Format (columns, header included): ``parametrization,sweep,model,row,class,reason,evidence`` -- ``parametrization``
a registry name or an fnmatch glob, ``sweep`` one of :data:`SWEEPS`, ``model`` one of :data:`MODELS`, ``row`` a
``layer|quantity`` glob.  A bad line is a :class:`~scaling_exponents.errors.UserError` naming ``file:line``.

Torch-free.  The folder is found from the repository root (``papers/`` beside the package), as
``papers/not_measured.csv`` is, so it works from a clone installed in editable mode.
"""

from __future__ import annotations

import csv
import fnmatch
import functools
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError

#: The repository root (the folder holding ``papers/`` and ``scaling_exponents/``).
ROOT = Path(__file__).resolve().parents[2]
#: Where the diagnosis files live.
FOLDER = ROOT / "papers" / "diagnoses"
COLUMNS = ("parametrization", "sweep", "model", "row", "class", "reason", "evidence")
#: Classes of an explained FAIL (papers/diagnoses format; issue 22).
CLASSES = ("table wrong", "assumption broken", "probe limitation", "finite size", "fails as predicted")
SWEEPS = ("width", "depth", "experts", "vocab", "density", "rank", "transfer", "*")
MODELS = ("mlp", "gpt", "resmlp", "moe", "lora", "*")
MAX_REASON = 200


@dataclass(frozen=True)
class Diagnosis:
    """One line of a diagnosis file: which failed rows it explains, its class, the reason and the evidence."""

    parametrization: str
    sweep: str
    model: str
    row: str
    klass: str
    reason: str
    evidence: str
    where: str  # "file.csv:line"

    def matches(self, param: str, sweep: str, model: str | None, row: str) -> bool:
        """Whether this line explains failed ``row`` of the sweep ``sweep`` of ``param`` on ``model``."""
        return (fnmatch.fnmatchcase(param, self.parametrization) and fnmatch.fnmatchcase(sweep, self.sweep)
                and fnmatch.fnmatchcase(model or "", self.model) and fnmatch.fnmatchcase(row, self.row))


def _check_param(name: str, where: str) -> None:
    from ..systems.registry import all_specs, get, normalize

    if any(c in name for c in "*?["):
        names = [s.name for s in all_specs()]
        if not any(fnmatch.fnmatchcase(n, name) for n in names):
            raise UserError(f"{where}: parametrization glob {name!r} matches no registered name; see `list`")
        return
    try:
        get(name)
    except UserError as e:
        raise UserError(f"{where}: {e}") from None
    if normalize(name) != name:
        raise UserError(f"{where}: write the parametrization as its registry name {normalize(name)!r}, not {name!r}")


def _parse(path: Path) -> tuple[Diagnosis, ...]:
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if tuple(c.strip() for c in header or ()) != COLUMNS:
            raise UserError(f"{path.name}:1: the header must be {','.join(COLUMNS)}; got {','.join(header or [])!r}")
        for line, cells in enumerate(reader, start=2):
            where = f"{path.name}:{line}"
            if not cells or not "".join(cells).strip():
                continue
            if len(cells) != len(COLUMNS):
                raise UserError(f"{where}: {len(cells)} fields, expected {len(COLUMNS)} ({','.join(COLUMNS)}); "
                                "quote a reason that holds a comma")
            d = dict(zip(COLUMNS, (c.strip() for c in cells)))
            empty = [c for c in COLUMNS if not d[c]]
            if empty:
                raise UserError(f"{where}: empty {', '.join(empty)}; every column must be given")
            if d["class"] not in CLASSES:
                raise UserError(f"{where}: class {d['class']!r} is not one of {', '.join(CLASSES)}")
            if d["sweep"] not in SWEEPS:
                raise UserError(f"{where}: sweep {d['sweep']!r} is not one of {', '.join(SWEEPS)}")
            if d["model"] not in MODELS:
                raise UserError(f"{where}: model {d['model']!r} is not one of {', '.join(MODELS)}")
            if "|" not in d["row"]:
                raise UserError(f"{where}: row {d['row']!r} must be a layer|quantity glob, e.g. head|act_delta")
            if len(d["reason"]) > MAX_REASON:
                raise UserError(f"{where}: reason has {len(d['reason'])} characters; shorten it to {MAX_REASON}")
            _check_param(d["parametrization"], where)
            out.append(Diagnosis(d["parametrization"], d["sweep"], d["model"], d["row"], d["class"], d["reason"],
                                 d["evidence"], where))
    return tuple(out)


@functools.lru_cache(maxsize=4)
def _load(folder: Path) -> tuple[Diagnosis, ...]:
    if not folder.is_dir():
        return ()
    return tuple(d for p in sorted(folder.glob("*.csv")) for d in _parse(p))


def load(folder: Path | str | None = None) -> tuple[Diagnosis, ...]:
    """Every diagnosis line of ``folder/*.csv`` (default :data:`FOLDER`), files in name order; () if absent."""
    return _load(Path(folder) if folder is not None else FOLDER)


def match(param: str, sweep: str, model: str | None, row: str, diagnoses=None) -> Diagnosis | None:
    """The first diagnosis line whose parametrization, sweep, model and row globs all match, or None."""
    for d in load() if diagnoses is None else diagnoses:
        if d.matches(param, sweep or "width", model, row):
            return d
    return None
