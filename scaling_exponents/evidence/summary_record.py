"""One ``verify`` entry as a typed record: :class:`Summary`, built by :meth:`Summary.of` (issue 22 item 4).

What: every sweep driver of :mod:`scaling_exponents.verifier` (width, per-matrix, SAM, weight decay, depth, density,
vocabulary, LoRA, MoE, u-muP's unit check) returns ``{label: Summary}``.  A :class:`Summary` holds the fields every
entry has (``param``, ``label``, ``optimizer``, ``model``, ``title``, ``source``, ``rows``, ``notes``, ``seeds``,
``steps``, ``lr``, ``batch``, ``device``, ``dtype``, ``tol``, ``seconds``, ...) as typed attributes and the sweep's
own fields (``depths``, ``densities``, ``vocabs``, ``sizes``, ``rho``, ``claims``, ``command``, ...) in ``extra``.
``status``, ``passed`` and ``failed`` are not stored: they are computed from ``rows`` here and only here
(:func:`tally`, :func:`status_of`): an entry passes iff it has rows and none fails (``info`` rows are not counted).

Why: eleven modules used to restate ``"status": "pass" if rows and not n_fail else "fail"``, ``"passed": sum(...)``,
``"failed": n_fail`` and ``title`` / ``source`` from the table in their own dict literal; a change of the rule had
eleven places to miss.

Readers keep working: a :class:`Summary` is a read-only :class:`~collections.abc.Mapping` (``s["status"]``,
``s.get("dimension")``, ``dict(s)``, ``{**s}``) whose keys and their order are exactly those of the dict literal it
replaces (:meth:`Summary.to_dict`), so ``summaries.json`` and ``results.json`` (:func:`.summary.summary_json`) are
byte-identical to before.  The order is the keyword arguments' order given to :meth:`Summary.of`, with ``title``
and ``source`` (from the table) after ``model`` -- after ``dimension`` when that follows ``model`` -- and the
verdict block ``status, passed, failed, rows`` before ``r``, as every entry had it.  JSON is written at one boundary:
:func:`plain` turns ``{label: Summary | dict}`` into plain dicts (:func:`.report.write_verify_report`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple

#: The keys computed from ``rows`` (never given to :meth:`Summary.of`), in their place in every entry.
VERDICT_KEYS = ("status", "passed", "failed", "rows")


class Tally(NamedTuple):
    """How many rows pass and how many fail (``info`` rows are in neither)."""

    passed: int
    failed: int


def tally(rows) -> Tally:
    """The pass and fail counts of ``rows`` (dicts or records with a ``verdict`` of pass | fail | info): the one
    count behind every entry's ``passed`` / ``failed`` (verify's entries and the ``--model module:factory`` ones)."""
    return Tally(sum(r["verdict"] == "pass" for r in rows), sum(r["verdict"] == "fail" for r in rows))


def status_of(rows) -> str:
    """``pass`` iff there are rows and none fails, else ``fail``: an entry that measured nothing does not pass."""
    return "pass" if rows and not tally(rows).failed else "fail"


@dataclass(frozen=True, eq=False)
class Summary(Mapping):
    """One sweep entry: the common fields typed, the sweep's own in ``extra``, ``order`` = the keys of
    :meth:`to_dict` in order.  Build it with :meth:`of` (from a run) or :meth:`from_dict` (from ``summaries.json``);
    ``status`` / ``passed`` / ``failed`` are computed from ``rows``.  Equal to any mapping with the same items."""

    param: str
    label: str
    rows: list
    notes: list
    optimizer: str | None = None
    alignment: str | None = None
    model: str | None = None
    title: str | None = None
    source: str | None = None
    widths: list | None = None
    depth: int | None = None
    seeds: int | None = None
    steps: int | None = None
    lr: float | None = None
    base_width: int | None = None
    batch: int | None = None
    device: str | None = None
    dtype: str | None = None
    tol: float | None = None
    seconds: float = 0.0
    r: dict = field(default_factory=dict)
    coord: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    order: tuple = ()

    @property
    def passed(self) -> int:
        """Rows that pass."""
        return tally(self.rows).passed

    @property
    def failed(self) -> int:
        """Rows that fail (``info`` rows are not counted)."""
        return tally(self.rows).failed

    @property
    def status(self) -> str:
        """``pass`` iff the entry has rows and none fails (:func:`status_of`)."""
        return status_of(self.rows)

    @classmethod
    def of(cls, table, rows: list, **given: Any) -> Summary:
        """The entry of a sweep over ``table`` (an ``ExponentTable``, or None when ``title`` and ``source`` are
        given) with its fitted ``rows``; ``given`` = every other field, in the order the entry shows them (``param``,
        ``label`` and ``notes`` required).  ``title`` / ``source`` default to the table's title and citation."""
        clash = [k for k in VERDICT_KEYS if k in given] + [k for k in ("extra", "order") if k in given]
        if clash:
            raise TypeError(f"Summary.of: {clash} are computed or internal, not given")
        missing = [k for k in ("param", "label", "notes") if k not in given]
        if missing:
            raise TypeError(f"Summary.of: missing {missing}")
        keys = list(given)
        if table is not None:
            derived = [k for k in ("title", "source") if k not in given]
            given.setdefault("title", table.title)
            given.setdefault("source", table.source.cite())
            keys = _insert_after_model(keys, derived)
        elif "title" not in given or "source" not in given:
            raise TypeError("Summary.of: without a table, give title= and source=")
        at = keys.index("r") if "r" in keys else len(keys)
        keys[at:at] = VERDICT_KEYS
        typed = {f.name for f in fields(cls)} - {"extra", "order"}
        return cls(rows=rows, **{k: v for k, v in given.items() if k in typed},
                   extra={k: v for k, v in given.items() if k not in typed}, order=tuple(keys))

    @classmethod
    def from_dict(cls, entry: Mapping) -> Summary:
        """The record of one ``summaries.json`` entry (the inverse of :meth:`to_dict` for an entry whose verdict
        block stands before ``r``); a stored ``status`` / ``passed`` / ``failed`` that its rows contradict is an
        error naming the entry."""
        given = {k: v for k, v in entry.items() if k not in VERDICT_KEYS}
        s = cls.of(None, entry["rows"], **given)
        wrong = [k for k in ("status", "passed", "failed") if k in entry and entry[k] != s[k]]
        if wrong:
            raise ValueError(f"summary {entry.get('label')!r}: stored {', '.join(f'{k}={entry[k]!r}' for k in wrong)}"
                             f" disagrees with its rows ({', '.join(f'{k}={s[k]!r}' for k in wrong)})")
        return s

    def __getitem__(self, key: str) -> Any:
        if key not in self.order:
            raise KeyError(key)
        if key in self.extra:
            return self.extra[key]
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.order)

    def __len__(self) -> int:
        return len(self.order)

    def to_dict(self) -> dict:
        """The entry as the plain dict ``summaries.json`` stores: the same keys in the same order as the dict
        literal each sweep used to build (values shared, not copied)."""
        return {k: self[k] for k in self.order}


def _insert_after_model(keys: list[str], new: list[str]) -> list[str]:
    """``keys`` with ``new`` after ``model`` (after ``dimension`` when it follows ``model``), else after ``label``."""
    if not new:
        return keys
    anchor = "model" if "model" in keys else "label"
    at = keys.index(anchor) + 1
    if anchor == "model" and at < len(keys) and keys[at] == "dimension":
        at += 1
    return keys[:at] + new + keys[at:]


def plain(summaries: Mapping) -> dict:
    """``{label: dict}`` of ``{label: Summary | dict}``: what ``json.dumps`` takes (entries of an earlier run,
    read back from ``summaries.json``, are dicts already)."""
    return {k: s.to_dict() if isinstance(s, Summary) else dict(s) for k, s in summaries.items()}
