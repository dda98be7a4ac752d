"""The catalog generator: ``catalog/`` from the registry, the bibliography and the oracles.

What it writes (all deterministic: sorted, no timestamps, no absolute paths):

* ``README.md``: every named parametrization with its key exponents, paper and verification status, then the
  literature list grouped by section (bib ``keywords``), each entry linked and marked with the
  parametrizations the toolkit encodes from it;
* ``params/NAME.md``: every optimizer x alignment table, the constraint system, r / regime, notes, citation;
* ``papers/KEY.md``: one page per paper that contributes a system: bib data, its parametrizations, its oracle
  rows with the verdict of each;
* ``dimensions.md``: one section per dimension (width, depth, experts, granularity, tokens, batch, vocab, rank)
  with the parametrizations whose default table scales along it and the rule each states (:mod:`.dimensions`,
  also ``list --dimension``);
* ``parametrizations.json`` (a list of ``ExponentTable.to_dict()``, the schema of ``derive --format json``),
  ``parametrizations.csv`` (one row per exponent) and ``references.bib`` (a copy of papers/references.bib).

The verification status is computed here, not copied: a parametrization is "derived + oracle-checked" when
an oracle CSV of its paper (``papers/oracles/<prefix_>KEY.csv``) has rows for it and every comparable numeric
row equals the derived table; a differing row makes it "MISMATCH: ...".  Empirical results are read from
``<out>/verification/results.json`` when another tool has written it (any schema with a parametrization
name and a pass/fail per record); that folder is never written or compared here.

``--check`` renders in memory and compares with the files under ``--out``; it exits 1 naming every file that
differs, is missing, or is stale.

Modules, by concern: :mod:`.results` (what is collected), :mod:`.oracle_check` (derive + compare with the oracles),
:mod:`.evidence` (empirical verdicts), :mod:`.cells` (summary-table cells), :mod:`.readme`, :mod:`.pages`
(parametrization and paper pages), :mod:`.dimensions` (the index by dimension), :mod:`.files` (exports, render, check, write).  The command line is
:mod:`scaling_exponents.cli.catalog`.
"""

from .cells import _authors
from .evidence import load_verification
from .files import DEFAULT_OUT, NOTEBOOK_DIR, check, render, write
from .oracle_check import collect, oracle_files, oracle_names
from .results import (
           NO_GPU,
           STATUS_DERIVED,
           STATUS_ORACLE,
           Combo,
           OracleVerdict,
           SpecResult,
           _Deriver,
)

__all__ = ["collect", "render", "check", "write", "load_verification", "oracle_files", "oracle_names", "DEFAULT_OUT",
           "NOTEBOOK_DIR", "STATUS_ORACLE", "STATUS_DERIVED", "NO_GPU", "Combo", "OracleVerdict", "SpecResult",
           "_Deriver", "_authors"]
