"""``catalog``: generate ``catalog/`` (README, one page per parametrization and paper, CSV/JSON exports) or
check it (``--check``); see :mod:`scaling_exponents.literature.catalog`."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ..errors import UserError
from ..literature.catalog.evidence import class_counts, load_verification, missing_evidence
from ..literature.catalog.evidence import unexplained as unexplained_rows
from ..literature.catalog.files import DEFAULT_OUT, NOTEBOOK_DIR, check, render, write
from ..literature.catalog.oracle_check import collect


def add_arguments(parser) -> None:
    """The ``catalog`` command's flags: where to write, ``--check`` (CI: write nothing, exit 1 on drift), notebooks,
    quiet."""
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="output folder (default: the repository's catalog/)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 naming the files that differ from what the code generates, "
                             "the parametrizations with neither an empirical verdict nor a stated reason, or the "
                             "FAIL rows without a class (papers/diagnoses/)")
    parser.add_argument("--notebooks", action="store_true",
                        help="also re-execute notebooks/*.ipynb and save them with their outputs (needs nbclient)")
    parser.add_argument("--quiet", "-q", action="store_true", help="print only problems")


def run(args) -> int:
    """Regenerate ``catalog/`` (or, with ``--check``, report the files that differ from what the code generates);
    returns the exit status and names the slowest parametrizations so a slow derivation is noticed."""
    out_dir = Path(args.out) if args.out else DEFAULT_OUT
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"--out {args.out} exists and is not a folder")
    if not args.check:
        _writable(out_dir, args.out)
    t0 = time.perf_counter()
    results = collect()
    try:
        files = render(out_dir, results)
    except FileNotFoundError as e:  # papers/references.bib missing
        raise UserError(f"{e}; restore it with `git checkout papers/references.bib`") from None
    slow = sorted(((sum(c.seconds for c in r.combos), r.name) for r in results), reverse=True)[:3]
    total = time.perf_counter() - t0
    if not args.quiet and total > 20:
        print("slowest parametrizations to derive: " + ", ".join(f"{n} {s:.1f} s" for s, n in slow), file=sys.stderr)
    if args.check:
        problems = check(out_dir, files)
        if problems:
            print(f"catalog is stale ({len(problems)} file(s)); regenerate with `python -m scaling_exponents catalog`:")
            for p in problems:
                print(f"  {p}")
            return 1
        verification = load_verification(out_dir)
        unexplained = missing_evidence(results, verification) if verification is not None else []
        if unexplained:
            print(f"{len(unexplained)} parametrization(s) have neither an empirical verdict under {_display(out_dir)}/"
                  f"verification/ nor a stated reason in papers/not_measured.csv: {', '.join(unexplained)}; run "
                  "`python -m scaling_exponents verify -p NAME --out <catalog>/verification/<topic>` or add a row "
                  "(parametrization, reason, would_measure)")
            return 1
        bare = unexplained_rows(verification)
        if bare:
            print(f"{len(bare)} FAIL row(s) have no class and no reason (issue 22: every FAIL says why); add a line "
                  "to papers/diagnoses/*.csv (parametrization,sweep,model,row,class,reason,evidence) for:")
            for param, label, row in bare:
                print(f"  {param}: {row} (entry {label})")
            return 1
        if not args.quiet:
            counts = class_counts(verification)
            if counts:
                pending = counts.get("fail: unexplained", 0)
                print("rows that did not pass, by class: " + ", ".join(f"{k} {n}" for k, n in counts.items())
                      + (f" ({pending} unexplained rows pending a diagnosis: PENDING_DIAGNOSIS)" if pending else ""))
            print(f"catalog is current ({len(files)} files, {time.perf_counter() - t0:.1f} s)")
        return 0
    try:
        changed = write(out_dir, files)
    except OSError as e:
        raise UserError(f"cannot write the catalog to --out {out_dir}: {e.strerror or e}; choose a writable folder") from None
    if not args.quiet:
        print(f"wrote {len(files)} files to {_display(out_dir)} ({len(changed)} changed, "
              f"{time.perf_counter() - t0:.1f} s)")
        for c in changed:
            print(f"  {c}")
    if args.notebooks:
        from ..literature.notebooks import execute_all

        for path, secs in execute_all(_notebook_dir(out_dir), save=True):
            if not args.quiet:
                print(f"executed {_display(path)} ({secs:.1f} s)")
    return 0


def _writable(out_dir: Path, given) -> None:
    """Fail fast (before the ~20 s derivation) when ``--out`` cannot be created or written."""
    import tempfile

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as e:
        raise UserError(f"--out {given or out_dir} is not a writable folder ({e.strerror or e}); choose another "
                        "folder") from None


def _notebook_dir(out_dir: Path) -> Path:
    """Where ``--notebooks`` executes and saves: the tracked notebooks/ for the default catalog, else copies
    under ``OUT/notebooks`` (a catalog generated elsewhere never rewrites the repository's notebooks)."""
    import shutil

    if out_dir.resolve() == DEFAULT_OUT.resolve():
        return NOTEBOOK_DIR
    dest = out_dir / "notebooks"
    dest.mkdir(parents=True, exist_ok=True)
    for nb in sorted(NOTEBOOK_DIR.glob("*.ipynb")):
        shutil.copy2(nb, dest / nb.name)
    return dest


def _display(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
