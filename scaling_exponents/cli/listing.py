"""``list``: every named parametrization with its paper and what it supports."""

from __future__ import annotations

HELP = "every named parametrization with its paper and what it supports"


def add_arguments(p) -> None:
    p.add_argument("--format", choices=("text", "json"), default="text")


def run(args) -> int:
    from ..systems.registry import all_specs

    specs = all_specs()
    if args.format == "json":
        import json

        print(json.dumps([{"name": s.name, "title": s.title, "key": s.source.key, "arxiv": s.source.arxiv,
                           "where": s.source.where, "optimizers": [o for o in s.optimizers if o],
                           "alignments": [a for a in s.alignments if a], "aliases": list(s.aliases),
                           "options": [o.name for o in s.options], "family": s.family} for s in specs], indent=2))
        return 0
    rows = [("name", "paper (bib key, arXiv)", "optimizers", "alignments", "what")]
    for s in specs:
        rows.append((s.name, f"{s.source.key}, {s.source.arxiv or '-'} {s.source.where}".strip(),
                     ",".join(o for o in s.optimizers if o) or "-", ",".join(a for a in s.alignments if a) or "-",
                     s.summary))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4])
    print("\nderive one with: python -m scaling_exponents derive --param NAME [--optimizer ...] [--alignment ...]")
    return 0
