"""Cells of the summary tables: a table's key exponents as text, regimes, author lists and citations."""

from __future__ import annotations

from .. import markdown as md

#: Literature sections in display order (bib ``keywords``); unknown slugs follow alphabetically.
SECTIONS = {
    "key-papers": "Key papers",
    "depth": "Depth",
    "transfer-theory": "Transfer theory",
    "optimisers": "Optimisers",
    "architectures": "Architectures",
    "weight-decay": "Weight decay",
    "misc": "Miscellaneous",
    "resources-blog": "Resources: blog posts",
    "resources-talk": "Resources: talks",
    "resources-code": "Resources: code",
    "resources-notes": "Resources: notes",
}


#: Roles whose learning rate is "the hidden LR", in order of preference.
HIDDEN_ROLES = ("hidden", "weight", "matrix", "any")


READOUT_ROLES = ("readout",)


def _cell(table, role, quantity, dims=None) -> str:
    """``n^-1 · L^(-1/2)`` for one (role, quantity); ``1`` when all powers are 0, ``-`` when absent."""
    from ...theory.exponents import fmt
    from ...theory.table import SYMBOL

    rows = [r for r in table.rows if (r.role, r.quantity) == (role, quantity) and (dims is None or r.dimension in dims)]
    rows.sort(key=lambda r: (r.dimension != "width", r.dimension != "depth", r.dimension))
    if not rows:
        return "-"
    parts = []
    for r in rows:
        if r.power != 0:
            p, sym = fmt(r.power), SYMBOL.get(r.dimension, r.dimension)
            parts.append(sym if p == "1" else f"{sym}^({p})" if "/" in p else f"{sym}^{p}")
    return " · ".join(parts) or "1"


def _role_for(table, prefs, quantity):
    roles = {r.role for r in table.rows if r.quantity == quantity}
    return next((r for r in prefs if r in roles), None)


def _hidden_lr(table) -> str:
    role = _role_for(table, HIDDEN_ROLES, "lr")
    if role is None:
        return "-"
    cell = _cell(table, role, "lr")
    return cell if role == "hidden" else f"{cell} ({role})"


def _other_dims(table) -> str:
    """Every nonzero exponent along a dimension other than width (depth, experts, ...)."""
    pairs = dict.fromkeys((r.role, r.quantity) for r in table.rows if r.dimension != "width" and r.power != 0)
    dims = {r.dimension for r in table.rows if r.dimension != "width"}
    return "; ".join(f"{role} {q}: {_cell(table, role, q, dims)}" for role, q in pairs) or "-"


def _regime(table) -> str:
    v = (table.derived or {}).get("regime")
    return str(v) if v is not None else "-"


def _author(a: str) -> str:
    if a.strip().lower() == "others":
        return "et al."
    if "," in a:
        last, first = a.split(",", 1)
        return f"{first.strip()} {last.strip()}".strip()
    return a


def _authors(entry) -> str:
    names = [_author(a) for a in entry.authors]
    if len(names) > 8:
        names = names[:6] + ["et al."]
    if names and names[-1] == "et al.":
        return ", ".join(names[:-1]) + " et al."
    return ", ".join(names)


def _cite(entry, key, prefix="") -> str:
    if entry is None:
        return md.escape(key)
    return md.link(md.escape(entry.short_cite), f"{prefix}papers/{key}.md")


def _entry_links(entry) -> str:
    links = []
    if entry.arxiv:
        links.append(md.link(f"arXiv {md.escape(entry.arxiv)}", f"https://arxiv.org/abs/{entry.arxiv}"))
    if entry.openreview:
        links.append(md.link("OpenReview", f"https://openreview.net/forum?id={entry.openreview}"))
    if entry.url and entry.url != entry.link and not (entry.openreview and "openreview.net" in entry.url):
        links.append(md.link("link", entry.url))
    return " · ".join(links)
