"""One page per parametrization (``params/NAME.md``) and per paper (``papers/KEY.md``)."""

from __future__ import annotations

from .. import markdown as md
from .cells import SECTIONS, _authors, _cite, _entry_links
from .evidence import empirical_md
from .oracle_check import oracle_files
from .readme import GENERATED
from .results import ROOT, OracleVerdict, SpecResult, _clean, _num_like


def _param_page(r: SpecResult, bib, verification) -> str:
    from ...theory.exponents import fmt

    spec, entry = r.spec, bib.get(r.key)
    out = [GENERATED, "", f"# `{r.name}`: {md.escape(spec.title)}", "",
           f"[catalog](../README.md) · paper: {_cite(entry, r.key, '../')}"
           + (f" ({md.link('arXiv ' + md.escape(spec.source.arxiv), 'https://arxiv.org/abs/' + spec.source.arxiv)})"
              if spec.source.arxiv else "")
           + (f", {md.escape(spec.source.where)}" if spec.source.where else ""), ""]
    if spec.summary:
        out += [md.escape(spec.summary), ""]
    facts = [f"- **status:** {md.escape(r.status)}", f"- **empirical check:** {empirical_md(r.name, verification, '../')}"]
    if spec.family:
        facts.append(f"- **family:** {md.escape(spec.family)}")
    if spec.aliases:
        facts.append("- **aliases:** " + ", ".join(md.code_span(a) for a in spec.aliases))
    facts.append("- **optimizers:** " + (", ".join(md.code_span(o) for o in spec.optimizers if o) or "no choice"))
    facts.append("- **alignments:** " + (", ".join(md.code_span(a) for a in spec.alignments if a) or "no choice"))
    for o in spec.options:
        dflt = fmt(o.default) if _num_like(o.default) else o.default
        facts.append(f"- **option** `--{o.name}` (default `{dflt}`): {md.escape(o.help)}")
    facts.append(f"- derive it: `python -m scaling_exponents derive --param {r.name}"
                 + (f" --optimizer {r.default.optimizer}" if r.default and r.default.optimizer else "")
                 + (f" --alignment {r.default.alignment}" if r.default and r.default.alignment else "")
                 + " --show-system`")
    out += facts + [""]

    out += ["## Tables", "",
            "Each cell: the factor the quantity scales by (n = width, L = depth, ...; 1 = constant). "
            "JSON `power` = the exponent, e.g. `n^-1` is power -1.", ""]
    for c in r.combos:
        out += [f"### {md.escape(c.label)}", ""]
        if c.table is None:
            out += [f"derive failed: {md.escape(c.error)}", ""]
            continue
        t = c.table
        if t.convention:
            out += [f"Convention: {md.escape(t.convention)}", ""]
        out += [t.to_markdown(), ""]
        sol = t.solution
        if sol is not None:
            obj = fmt(sol.objective) if getattr(sol, "objective", None) is not None else "-"
            out += [f"Solver: status `{sol.status}`, certified optimal: {sol.certified}, unique optimum: "
                    f"{sol.unique}, objective {md.escape(obj)}.", ""]
        if t.system is not None:
            try:
                described = t.system.describe()
            except Exception as e:  # describe() is part of another module; never crash the catalog
                described = f"(describe() failed: {_clean(f'{type(e).__name__}: {e}')})"
            out += ["<details><summary>constraint system</summary>", "", "```text", _clean_block(described), "```",
                    "", "</details>", ""]
    if r.verdicts:
        out += ["## Published values (oracle rows)", "",
                f"Rows of {', '.join(md.code_span(f) for f in sorted({v.file for v in r.verdicts}))} for this "
                f"parametrization, compared with the derived tables ({md.link('all rows of the paper', f'../papers/{r.key}.md')}).", ""]
        out += [_oracle_table(r.verdicts, with_param=False), ""]
    out += ["## Citation", ""]
    out += _citation(entry, r.key, "../")
    return "\n".join(out) + "\n"




def _clean_block(text: str) -> str:
    text = _clean_paths(text)
    return text.replace("```", "`\u200b``")


def _clean_paths(text: str) -> str:
    return text.replace(str(ROOT) + "/", "").replace(str(ROOT), ".")


def _citation(entry, key, prefix) -> list[str]:
    if entry is None:
        return [f"`{key}` is not in `papers/references.bib`.", ""]
    lines = [f"- **{md.link(md.escape(entry.title), entry.link)}**",
             f"- {md.escape(_authors(entry))}" + (f", *{md.escape(entry.venue)}*" if entry.venue else "")
             + (f", {md.escape(entry.year)}" if entry.year else ""),
             f"- bib key {md.code_span(key)} ({md.link('literature list', prefix + 'README.md#' + key)}, "
             f"{md.link('references.bib', prefix + 'references.bib')})"]
    links = _entry_links(entry)
    if links:
        lines.append(f"- {links}")
    if entry.sections:
        lines.append("- sections: " + ", ".join(md.escape(SECTIONS.get(s, s)) for s in entry.sections))
    return lines + [""]


def _oracle_table(verdicts, with_param=True) -> str:
    header = (["parametrization"] if with_param else []) + [
        "optimizer", "alignment", "variant", "role", "quantity", "dimension", "published", "derived", "verdict",
        "provenance", "source"]
    rows = []
    for v in verdicts:
        r = v.row
        verdict = v.verdict if not v.why else f"{v.verdict}: {v.why}"
        cells = [r.optimizer or "any", r.alignment or "any", r.variant or "-", r.role, r.quantity, r.dimension,
                 r.power, v.derived or "-", verdict, r.status, r.source]
        cells = [md.escape(c, in_table=True) for c in cells]
        cells[8] = f"**{cells[8]}**" if v.verdict == "MISMATCH" else cells[8]
        rows.append(([md.link(md.code_span(v.param_name, in_table=True), f"../params/{v.param_name}.md")
                      if v.param_name else md.escape(r.param, in_table=True)] if with_param else []) + cells)
    return md.table(header, rows)


def _paper_page(key, specs: list[SpecResult], bib) -> str:
    from .. import oracles

    entry = bib.get(key)
    title = md.escape(entry.title) if entry else md.code_span(key)
    out = [GENERATED, "", f"# {title}", "", f"[catalog](../README.md) · bib key {md.code_span(key)}", ""]
    out += _citation(entry, key, "../")
    out += ["## Parametrizations derived from this paper", ""]
    for r in specs:
        out.append(f"- {md.link(md.code_span(r.name), f'../params/{r.name}.md')}: {md.escape(r.spec.title)} "
                   f"({md.escape(r.spec.source.where or '-')}); **{md.escape(r.status)}**")
    out.append("")
    files = oracle_files(key)
    if not files:
        out += ["## Published values", "", "No oracle table of this paper in `papers/oracles/`.", ""]
        return "\n".join(out)
    checked = {(v.file, id(v.row)): v for r in specs for v in r.verdicts}
    for stem in files:
        rows = oracles.load(stem)
        verdicts = []
        for row in rows:
            v = checked.get((stem, id(row)))
            if v is None:
                v = OracleVerdict(stem, row, "not comparable", "", "no parametrization of this name is encoded")
            verdicts.append(v)
        n_eq = sum(v.verdict == "equal" for v in verdicts)
        n_bad = sum(v.verdict == "MISMATCH" for v in verdicts)
        out += [f"## Published values: `papers/oracles/{stem}.csv`", "",
                f"{len(rows)} rows: {n_eq} equal the derived table, {n_bad} MISMATCH, "
                f"{len(rows) - n_eq - n_bad} not comparable.  Provenance: `primary` = read in the paper, "
                "`secondary` = only in a transcription, `derived` = computed from the paper's equations.", ""]
        out += [_oracle_table(verdicts), ""]
    return "\n".join(out)
