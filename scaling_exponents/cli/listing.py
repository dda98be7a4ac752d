"""``list``: every named parametrization with its paper and what it supports (fits 100 columns; ``--wide``).

``--dimension tokens[,batch,...]`` lists only those whose default table has rows along the dimension, each with
the rule they state (:mod:`scaling_exponents.literature.catalog.dimensions`; derives every default table, ~1 s,
so only when asked)."""

from __future__ import annotations

HELP = "every named parametrization with its paper and what it supports"
#: Which muP is which: the names a microsoft/mup user and an Everett et al. reader look for.
WHICH_MUP = (
    "which muP: `mup` = Everett et al.'s per-layer-LR form (arXiv 2407.05872; embedding multiplier n^1/2, readout "
    "n^-1/2); `mup-table8` = microsoft/mup (TP5 arXiv 2203.03466 Table 8: readout multiplier 1/n, hidden Adam LR "
    "1/n); `mup-table3` = TP5 Table 3 (no multipliers); all three have the same dynamics (abc symmetry): "
    "`derive -p mup --convert-to mup-table8`.  PyTorch's default SP with a width-independent LR is `sp-table3`; "
    "`sp` is Everett et al.'s SP with its derived per-layer LRs.")


def add_arguments(p) -> None:
    """The ``list`` command's flags: text or JSON, one line per parametrization, or a filter by scaling dimension."""
    from ..theory.dimensions import names

    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--wide", action="store_true", help="one line per parametrization, full sources")
    p.add_argument("--dimension", "-d", metavar="DIM[,DIM]",
                   help="only the parametrizations whose default table scales along DIM ("
                        + ", ".join(names()) + "; comma-separated), each with its rule, e.g. "
                        "`--dimension tokens`: what to change when you train longer")


def _by_dimension(args) -> int:
    from ..literature.catalog.dimensions import check_dimensions, index
    from ..theory.dimensions import symbol
    from ..theory.grid import wrap

    dims = check_dimensions(args.dimension)  # a bad name fails before anything is derived
    idx = index(dims)
    if args.format == "json":
        import json

        print(json.dumps([{"dimension": d, "name": e.name, "optimizer": e.optimizer, "rule": e.rule,
                           "labels": list(e.labels), "flagged_notes": list(e.flagged)}
                          for d in dims for e in idx[d]["entries"]], indent=2, ensure_ascii=False))
        return 0
    width = None if args.wide else 100
    for i, d in enumerate(dims):
        sect, sym = idx[d], symbol(d)
        if i:
            print()
        n = len(sect["entries"])
        print(f"{d} ({sym}): {n} parametrization{'s' * (n != 1)} scale{'s' * (n == 1)} along it (roles in "
              "parentheses: only those move):")
        pad = max((len(name) for name in [e.name for e in sect["entries"]] + [n for n, _ in sect["no_rule"]]),
                  default=0) + 2
        for e in sect["entries"]:
            print("\n".join(wrap(f"  {e.name.ljust(pad)}{e.line()}", width, indent=" " * (pad + 4))))
        for name, why in sect["no_rule"]:
            print("\n".join(wrap(f"  {name.ljust(pad)}no rule: {why}", width, indent=" " * (pad + 4))))
        print(f"  concrete factors: python -m scaling_exponents derive -p NAME --size {d}={sym}/{sym}0")
    print()
    print("\n".join(wrap("each parametrization's default table (first optimizer, alignment, options; others: derive "
                         "-p NAME -o OPT).  marks: empirical = fitted/empirical rule; UNVERIFIED = the table's notes "
                         "say part was not read in the paper; VERIFIED-2nd = read via a secondary source "
                         "(catalog/dimensions.md quotes the notes)", width, indent="")))
    return 0


def run(args) -> int:
    """List every encoded parametrization (name, paper, optimizers, alignments, options) as text or JSON, or with
    ``--dimension`` only those whose default table scales along it, each with its rule."""
    from ..systems.registry import all_specs
    from ..theory.grid import grid, wrap

    if args.dimension is not None:
        return _by_dimension(args)
    specs = all_specs()
    if args.format == "json":
        import json

        print(json.dumps([{"name": s.name, "title": s.title, "key": s.source.key, "arxiv": s.source.arxiv,
                           "where": s.source.where, "optimizers": [o for o in s.optimizers if o],
                           "alignments": [a for a in s.alignments if a], "aliases": list(s.aliases),
                           "options": [o.name for o in s.options], "family": s.family} for s in specs], indent=2))
        return 0
    opts = lambda s: ",".join(o for o in s.optimizers if o) or "-"
    als = lambda s: ",".join(a for a in s.alignments if a) or "-"
    if args.wide:
        rows = [[s.name, f"{s.source.key}, {s.source.arxiv or '-'} {s.source.where}".strip(), opts(s), als(s),
                 s.summary] for s in specs]
        lines = grid(["name", "paper (bib key, arXiv)", "optimizers", "alignments", "what"], rows, None)
    else:  # abbreviated source (the table/section is in `derive` and the catalog); the summary on its own line
        rows = [[s.name, f"{s.source.key}, {s.source.arxiv or '-'}", opts(s), als(s)] for s in specs]
        table = grid(["name", "paper (bib key, arXiv)", "optimizers", "alignments"], rows, 100)
        lines = table[:2]
        for s, line in zip(specs, table[2:]):
            lines.append(line)
            lines += wrap("    " + s.summary, 100, indent="    ")
    print("\n".join(lines))
    print()
    print("\n".join(wrap(WHICH_MUP, None if args.wide else 100)))
    print("\nderive one with: python -m scaling_exponents derive --param NAME [--optimizer ...] [--alignment ...]")
    return 0
