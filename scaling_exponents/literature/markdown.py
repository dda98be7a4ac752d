"""Markdown helpers for the generated catalog: escaping BibTeX-sourced text, links, tables.

BibTeX text is first rendered as Unicode by :func:`~scaling_exponents.literature.bibliography.latex_to_text`
(braces, accents, simple math such as ``$\\mu$P`` -> ``μP``).  What it leaves is made safe here:

* math it could not render (``$\\frac{1}{2}$``) becomes a code span, so Markdown neither reads its ``_``/``*``
  as emphasis nor a renderer as LaTeX;
* Markdown's inline punctuation (``\\ ` * _ [ ] < > | ~ $``) is backslash-escaped;
* inside a table cell ``|`` is escaped even within code spans (GitHub splits cells before inline parsing).
"""

from __future__ import annotations

import re

from .bibliography import latex_to_text

__all__ = ["escape", "bib_text", "code_span", "link", "table", "anchor"]

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~$#])")
_MATH = re.compile(r"(?<!\\)\$[^$]+\$")


def code_span(text: str, *, in_table: bool = False) -> str:
    """``text`` as an inline code span (longer fence when it holds backticks)."""
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    body = text.replace("|", "\\|") if in_table else text
    return f"{fence}{pad}{body}{pad}{fence}"


def escape(text: str | None, *, in_table: bool = False) -> str:
    """Escape already-plain text for Markdown; leftover ``$...$`` math becomes a code span."""
    if not text:
        return ""
    out, pos = [], 0
    for m in _MATH.finditer(text):
        out.append(_SPECIAL.sub(r"\\\1", text[pos:m.start()]))
        out.append(code_span(m.group(0), in_table=in_table))
        pos = m.end()
    out.append(_SPECIAL.sub(r"\\\1", text[pos:]))
    return "".join(out).replace("\n", " ")


def bib_text(raw: str | None, *, in_table: bool = False) -> str:
    """Raw BibTeX field text -> safe Markdown (LaTeX rendered, then escaped)."""
    return escape(latex_to_text(raw), in_table=in_table)


def link(text: str, url: str | None) -> str:
    """``[text](url)`` (``text`` must already be escaped); plain ``text`` when there is no url."""
    if not url:
        return text
    url = url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
    return f"[{text}]({url})"


def anchor(name: str) -> str:
    """An HTML anchor that ``README.md#name`` links can target."""
    return f'<a id="{name}"></a>'


def table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub table; cells must already be escaped with ``in_table=True`` where they hold free text."""
    line = lambda cells: "| " + " | ".join(str(c) if str(c) != "" else " " for c in cells) + " |"
    return "\n".join([line(header), line(["---"] * len(header))] + [line(r) for r in rows])
