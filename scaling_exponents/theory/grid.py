"""Plain-text tables that fit a terminal: columns split into blocks (first column repeated) and long text
wrapped, so ``derive``, ``list`` and ``Parametrization.explain()`` fit in 100 columns by default
(``width=None``: one line per row however long, the ``--wide`` output)."""

from __future__ import annotations

import textwrap

#: The default output width (columns).
WIDTH = 100


def _widths(header, rows):
    return [max(len(str(x)) for x in col) for col in zip(header, *rows)]


def _lines(header, rows, widths, cols):
    line = lambda cells: "  ".join(str(cells[i]).ljust(widths[i]) for i in cols).rstrip()
    return [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]


def grid(header: list, rows: list[list], width: int | None = WIDTH, keep: int = 1) -> list[str]:
    """Aligned lines of a table.  When one line would pass ``width``, the columns after the first ``keep``
    are split into consecutive blocks, each printed with the ``keep`` leading columns, separated by a blank
    line; a column wider than ``width`` on its own is shortened with "...".  ``width=None`` never splits."""
    header = [str(h) for h in header]
    rows = [[str(c) for c in r] for r in rows]
    widths = _widths(header, rows)
    total = sum(widths) + 2 * (len(widths) - 1)
    if width is None or total <= width:
        return _lines(header, rows, widths, range(len(widths)))
    lead = sum(widths[:keep]) + 2 * keep
    room = max(width - lead, 12)
    for i in range(keep, len(widths)):  # shorten a column that cannot fit even alone
        if widths[i] > room:
            rows = [r[:i] + [_clip(r[i], room)] + r[i + 1:] for r in rows]
            header[i] = _clip(header[i], room)
            widths[i] = room
    blocks, cur, used = [], [], 0
    for i in range(keep, len(widths)):
        if cur and used + widths[i] + 2 > room:
            blocks.append(cur)
            cur, used = [], 0
        cur.append(i)
        used += widths[i] + 2
    if cur:
        blocks.append(cur)
    out = []
    for j, block in enumerate(blocks):
        if j:
            out.append("")
        out += _lines(header, rows, widths, list(range(keep)) + block)
    return out


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def wrap(text: str, width: int | None = WIDTH, indent: str = "  ") -> list[str]:
    """``text`` as lines of at most ``width`` columns, continuation lines indented (``width=None``: one line)."""
    if width is None or len(text) <= width:
        return [text]
    return textwrap.wrap(text, width=width, subsequent_indent=indent, break_long_words=True,
                         break_on_hyphens=False) or [text]
