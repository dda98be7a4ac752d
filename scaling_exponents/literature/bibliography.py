"""Load the project's bibliography (``papers/references.bib``) into small, typed records.

Why: the engine cites papers by BibTeX key (e.g. ``everett2024scaling``) when it reports where a
scaling rule comes from, and the generated Markdown needs readable author lists, titles and links.
This module is the single place that reads the ``.bib`` file; it turns each entry into a frozen
:class:`Entry` and offers :func:`latex_to_text` to render BibTeX-sourced text (braces, ``$\\mu$``,
accents) as plain Unicode.

``bibtexparser`` (v2 API) is imported lazily inside :func:`load_bibliography`, so importing
``scaling_exponents`` stays cheap.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from ..errors import UserError

__all__ = ["PAPERS_DIR", "BIB_PATH", "Entry", "load_bibliography", "latex_to_text", "split_authors"]

#: The project's ``papers/`` folder (repository root / "papers").
PAPERS_DIR: Path = Path(__file__).resolve().parents[2] / "papers"

#: The default bibliography file.
BIB_PATH: Path = PAPERS_DIR / "references.bib"

_OPENREVIEW_RE = re.compile(r"openreview\.net/(?:forum|pdf)\?id=([A-Za-z0-9_\-]+)")


@dataclass(frozen=True)
class Entry:
    """One bibliography entry, with text fields already converted by :func:`latex_to_text`."""

    key: str
    entry_type: str
    title: str
    authors: tuple[str, ...]
    year: str | None
    arxiv: str | None
    openreview: str | None
    url: str | None
    venue: str | None
    sections: tuple[str, ...]

    @property
    def link(self) -> str | None:
        """Best link: arXiv abstract page, else OpenReview forum, else ``url``."""
        if self.arxiv:
            return f"https://arxiv.org/abs/{self.arxiv}"
        if self.openreview:
            return f"https://openreview.net/forum?id={self.openreview}"
        return self.url

    @property
    def short_cite(self) -> str:
        """Author-year citation: ``"Hayou 2025"``, ``"Wang and Aitchison 2024"``, ``"Everett et al. 2024"``."""
        year = self.year or "n.d."
        lasts = [_last_name(a) for a in self.authors if a.strip().lower() != "others"]
        if not lasts:
            return f"{self.title} ({year})" if self.year else self.title
        if len(lasts) == 1 and len(self.authors) == 1:
            return f"{lasts[0]} {year}"
        if len(lasts) == 2 and len(self.authors) == 2:
            return f"{lasts[0]} and {lasts[1]} {year}"
        return f"{lasts[0]} et al. {year}"


def _last_name(author: str) -> str:
    author = author.strip()
    if "," in author:
        return author.split(",", 1)[0].strip()
    parts = author.split()
    return parts[-1] if parts else author


# --------------------------------------------------------------------------------------------
# LaTeX -> Unicode
# --------------------------------------------------------------------------------------------

# accent command -> combining character
_ACCENTS = {
    "'": "\u0301",  # acute
    "`": "\u0300",  # grave
    "^": "\u0302",  # circumflex
    '"': "\u0308",  # diaeresis
    "~": "\u0303",  # tilde
    "=": "\u0304",  # macron
    ".": "\u0307",  # dot above
    "u": "\u0306",  # breve
    "v": "\u030c",  # caron
    "H": "\u030b",  # double acute
    "c": "\u0327",  # cedilla
    "k": "\u0328",  # ogonek
    "r": "\u030a",  # ring above
    "d": "\u0323",  # dot below
}

# letter-like commands (no argument)
_SYMBOLS = {
    "l": "ł", "L": "Ł", "o": "ø", "O": "Ø", "i": "ı", "j": "ȷ", "ss": "ß",
    "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "aa": "å", "AA": "Å",
    "textbar": "|", "textendash": "–", "textemdash": "—", "textasciitilde": "~",
    "textquoteright": "’", "textquoteleft": "‘", "ldots": "…", "dots": "…",
}

# math symbols that render cleanly on their own, e.g. $\mu$ -> μ
_MATH_SYMBOLS = {
    "mu": "μ", "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε",
    "eta": "η", "lambda": "λ", "sigma": "σ", "tau": "τ", "theta": "θ", "pi": "π",
    "infty": "∞",
}

_ESCAPES = {"&": "&", "%": "%", "$": "$", "#": "#", "_": "_", "{": "{", "}": "}"}

_SUPERSCRIPTS = str.maketrans("0123456789+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻")


def _compose(base: str, accent: str) -> str:
    if base == "\\i":
        base = "i"  # accented dotless i is written as the ordinary accented i
    return unicodedata.normalize("NFC", base + _ACCENTS[accent])


def _convert_math(body: str) -> str | None:
    """Convert simple inline math (``\\mu``, ``\\mu\\mathsf{P}``, ``^2``) to Unicode, else ``None``."""
    out = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            m = re.match(r"\\([A-Za-z]+)", body[i:])
            if not m:
                return None
            name = m.group(1)
            i += m.end()
            if name in _MATH_SYMBOLS:
                out.append(_MATH_SYMBOLS[name])
                continue
            if name in ("mathsf", "mathrm", "mathit", "mathbf", "text", "textsf", "mathsf"):
                arg = re.match(r"\s*\{([^{}]*)\}", body[i:])
                if not arg:
                    return None
                out.append(arg.group(1))
                i += arg.end()
                continue
            return None
        if ch == "^":
            arg = re.match(r"\^(?:\{([0-9+\-]+)\}|([0-9+\-]))", body[i:])
            if not arg:
                return None
            out.append((arg.group(1) or arg.group(2)).translate(_SUPERSCRIPTS))
            i += arg.end()
            continue
        if ch in "{}":
            i += 1
            continue
        if ch.isalnum() or ch in " +-":
            out.append(ch)
            i += 1
            continue
        return None
    return "".join(out)


def latex_to_text(s: str | None) -> str:
    """Render BibTeX-sourced text as readable Unicode for Markdown.

    Strips protective braces, turns ``$\\mu$`` into ``μ`` (and ``$\\mu$P$^2$`` into ``μP²``), resolves
    the common accents (``{\\"o}``, ``\\'e``, ``{\\'e}``, ``\\c{c}``, ``{\\l}``), ``--``/``---`` into
    dashes and ``\\&`` into ``&``. Math it cannot render faithfully is left as ``$...$``.
    """
    if not s:
        return ""
    text = s

    # 1. inline math: convert the simple cases, keep the rest verbatim (protected by placeholders)
    kept: list[str] = []

    def _math(m: re.Match[str]) -> str:
        converted = _convert_math(m.group(1))
        if converted is not None:
            return converted
        kept.append(m.group(0))
        return f"\x00{len(kept) - 1}\x00"

    text = re.sub(r"(?<!\\)\$([^$]*)\$", _math, text)

    # 2. accents: \'{e}, {\'e}, \'e, \c{c}, \c c, \'\i
    def _accent(m: re.Match[str]) -> str:
        return _compose(m.group("base"), m.group("acc"))

    text = re.sub(
        r"\{?\\(?P<acc>['`^\"~=.])\s*\{?(?P<base>\\i|[A-Za-z])\}?\}?",
        _accent,
        text,
    )
    text = re.sub(
        r"\{?\\(?P<acc>[uvHckrd])(?:\s*\{(?P<base>\\i|[A-Za-z])\}|\s+(?P<base2>[A-Za-z]))\}?",
        lambda m: _compose(m.group("base") or m.group("base2"), m.group("acc")),
        text,
    )

    # 3. formatting commands keep their argument; letter-like symbols: {\l}, \ss{}, \textbar
    text = re.sub(r"\\(?:emph|textit|textbf|textsc|texttt|textrm|textsf|mbox)\s*\{", "{", text)
    def _symbol(m: re.Match[str]) -> str:
        name = m.group(1)
        return _SYMBOLS.get(name, m.group(0))

    text = re.sub(r"\\([A-Za-z]+)(?:\{\})?", _symbol, text)

    # 4. escaped specials and dashes
    text = re.sub(r"\\([&%$#_{}])", lambda m: "\x01" + m.group(1) + "\x01", text)
    text = text.replace("---", "—").replace("--", "–")
    text = text.replace("~", "\u00a0")

    # 5. drop protective braces, then restore escaped braces and kept math
    text = text.replace("{", "").replace("}", "")
    text = re.sub(r"\x01(.)\x01", lambda m: _ESCAPES[m.group(1)], text)
    text = re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)
    return re.sub(r"\s+", " ", text).strip()


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def split_authors(field: str) -> tuple[str, ...]:
    """Split a BibTeX author field on top-level ``and`` (braces protect corporate names)."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    tokens = re.split(r"(\s+and\s+|[{}])", field)
    for tok in tokens:
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
        if depth == 0 and re.fullmatch(r"\s+and\s+", tok or ""):
            parts.append("".join(current))
            current = []
        else:
            current.append(tok)
    parts.append("".join(current))
    return tuple(latex_to_text(p) for p in parts if p.strip())


def _field(fields: Mapping[str, str], name: str) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _make_entry(key: str, entry_type: str, fields: Mapping[str, str]) -> Entry:
    lower = {k.lower(): v for k, v in fields.items()}
    url = _field(lower, "url")
    arxiv = None
    if (_field(lower, "archiveprefix") or "").lower() == "arxiv" or _field(lower, "eprint"):
        arxiv = _field(lower, "eprint")
    openreview = _field(lower, "openreview")
    if openreview is None and url:
        m = _OPENREVIEW_RE.search(url)
        openreview = m.group(1) if m else None
    venue_raw = _field(lower, "booktitle") or _field(lower, "journal") or _field(lower, "howpublished")
    venue = latex_to_text(venue_raw) if venue_raw else ("arXiv" if arxiv else None)
    keywords = _field(lower, "keywords") or ""
    sections = tuple(k.strip() for k in keywords.split(",") if k.strip())
    authors_raw = _field(lower, "author")
    return Entry(
        key=key,
        entry_type=entry_type.lower(),
        title=latex_to_text(_field(lower, "title")),
        authors=split_authors(authors_raw) if authors_raw else (),
        year=_field(lower, "year"),
        arxiv=arxiv,
        openreview=openreview,
        url=url,
        venue=venue,
        sections=sections,
    )


def load_bibliography(path: str | Path | None = None) -> dict[str, Entry]:
    """Parse a ``.bib`` file (default: ``papers/references.bib``) into ``{key: Entry}``.

    Raises :class:`FileNotFoundError` if the file is missing and :class:`~scaling_exponents.errors.UserError`
    (a ``ValueError``) naming the file and the offending blocks if bibtexparser reports parse errors, duplicate
    or empty keys, an entry without a title, or no entry at all.
    """
    bib_path = Path(path) if path is not None else BIB_PATH
    if not bib_path.is_file():
        raise FileNotFoundError(f"bibliography not found: {bib_path}")
    return parse_bibliography_string(bib_path.read_text(encoding="utf-8", errors="replace"), source=str(bib_path))


def parse_bibliography_string(text: str, *, source: str = "<string>") -> dict[str, Entry]:
    """Like :func:`load_bibliography`, for BibTeX given as a string."""
    import logging

    import bibtexparser  # lazy

    log = logging.getLogger("bibtexparser")
    level = log.level
    log.setLevel(logging.CRITICAL)  # its own warnings would be a second, less precise message
    try:
        library = bibtexparser.parse_string(text)
    finally:
        log.setLevel(level)
    entries = _library_to_entries(library, source=source)
    if not entries:
        raise UserError(f"{source}: no BibTeX entries found; the file must hold @article{{key, title = {{...}}, ...}} "
                        "entries (restore papers/references.bib from git)")
    return entries


def _library_to_entries(library, *, source: str) -> dict[str, Entry]:
    failed = list(getattr(library, "failed_blocks", []) or [])
    if failed:
        descriptions = []
        for block in failed:
            kind = type(block).__name__
            key = getattr(block, "key", None)
            start = getattr(block, "start_line", None)
            raw = (getattr(block, "raw", "") or "").strip().splitlines()
            head = raw[0][:80] if raw else ""
            where = f" at line {start + 1}" if isinstance(start, int) else ""
            descriptions.append(f"{kind}{where}" + (f" key={key!r}" if key else "") + (f": {head}" if head else ""))
        raise UserError(f"{source}: {len(failed)} block(s) failed to parse: " + "; ".join(descriptions)
                        + ("; keep one entry per key" if all("Duplicate" in d for d in descriptions)
                           else "; fix the braces/commas of those entries"))

    entries: dict[str, Entry] = {}
    duplicates: list[str] = []
    for block in library.entries:
        fields = {f.key: f.value for f in block.fields}
        if not (block.key or "").strip():
            raise UserError(f"{source}: an @{block.entry_type} entry has an empty key; give it one, e.g. @article{{smith2024x, ...}}")
        if not any(k.lower() == "title" for k in fields):
            raise UserError(f"{source}: entry {block.key!r} has no title field; add title = {{...}}")
        if block.key in entries:
            duplicates.append(block.key)
            continue
        entries[block.key] = _make_entry(block.key, block.entry_type, fields)
    if duplicates:
        raise UserError(f"{source}: duplicate keys: {', '.join(sorted(set(duplicates)))}; keep one entry per key")
    return entries
