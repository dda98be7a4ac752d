"""Tests for papers/references.bib and scaling_exponents.literature.bibliography.

Where the expected values come from: the project's literature list (arXiv / OpenReview ids copied verbatim below)
and the bib file itself; **regression** for the keys.
"""

from __future__ import annotations

import sys

import pytest

pytest.importorskip("bibtexparser")

from scaling_exponents.literature.bibliography import (  # noqa: E402
    BIB_PATH,
    PAPERS_DIR,
    Entry,
    latex_to_text,
    load_bibliography,
    parse_bibliography_string,
)

# Transcribed from the project's literature list (the muP paper list the bibliography covers);
# the test cannot read that list at run time, so the identifiers are copied here verbatim.
LIST_ARXIV_IDS = [
    "2011.14522", "2203.03466", "2308.01814", "2310.17813",  # key papers
    "2305.07810", "2310.02244", "2309.16620", "2405.15712", "2505.01618",  # depth
    "2511.01734",  # understanding hyperparameter transfer
    "2312.12226", "2601.01306", "2602.06204", "2512.05620",  # other optimisers
    "2407.17465", "2502.05967", "2505.15270", "2506.15025", "2411.02001", "2505.13124",
    "2602.07697", "2508.09752", "2510.04327", "2601.20205", "2602.07494", "2602.10545",  # architectures
    "2405.13698", "2505.13738", "2510.19093", "2510.15262",  # weight decay
    "2502.17405", "2410.04642", "2602.00827", "2407.05872", "2507.02119", "2505.22491",
    "2404.19719", "2404.05728", "2404.06395",  # miscellaneous
]
LIST_OPENREVIEW_IDS = [
    "csB1njlpjM", "Q7mLKxQ8qk",  # understanding hyperparameter transfer
    "Qo6KUhQkPw", "TfJ67nPJl2",  # other optimisers
    "aQv5AbN1wF", "elB9k4nTL1", "UJB2uOS9MR", "f8z2bzOLK2",  # architectures
    "AFxEdJwQcp", "Wuy631kHwH",  # miscellaneous
]
LIST_NEURIPS_HASHES = [
    "ba1d33849b963efc6b5d3082ad68f480",  # Super Consistency (NeurIPS 2024)
    "3b6aaffec941f98930753fa6d6de7263",  # Sparse maximal update parameterization (NeurIPS 2024)
    "03600ae6c3392fd65ad7c3a90c6f7ce8",  # Feature-learning networks are consistent (NeurIPS 2023)
]

FIXED_KEYS = {
    "everett2024scaling": "2407.05872",
    "yang2020feature": "2011.14522",
    "yang2022tensor": "2203.03466",
    "yang2023tensor": "2310.02244",
    "dey2025dont": "2505.01618",
    "blake2024umup": "2407.17465",
    "yang2023spectral": "2310.17813",
    "haas2024effective": "2411.00075",
}

SECTIONS = {
    "key-papers", "depth", "transfer-theory", "optimisers", "architectures", "weight-decay", "misc",
    "resources-blog", "resources-talk", "resources-code", "resources-notes",
}

# Web resources whose publication year could not be confirmed (see papers/references_unconfirmed.md).
UNDATED_RESOURCES = {
    "cerebras_mup_guide", "speechmatics_mup", "automl_scaling_exponents_talk",
    "princeton_infinite_width_notes", "eleutherai_nanogpt_mup", "graphcore_unit_scaling", "microsoft_mup",
}


@pytest.fixture(scope="module")
def library():
    import bibtexparser

    return bibtexparser.parse_file(str(BIB_PATH))


@pytest.fixture(scope="module")
def bib() -> dict[str, Entry]:
    return load_bibliography()


def _all_values(block) -> str:
    return " ".join(str(f.value) for f in block.fields)


def test_papers_dir_points_at_project_papers():
    assert PAPERS_DIR.name == "papers"
    assert BIB_PATH.is_file()


def test_parses_without_errors_or_duplicates(library, bib):
    assert library.failed_blocks == []
    keys = [e.key for e in library.entries]
    assert len(keys) == len(set(keys))
    assert len(bib) == len(keys)


@pytest.mark.parametrize("arxiv_id", LIST_ARXIV_IDS)
def test_every_listed_arxiv_id_appears_exactly_once(library, arxiv_id):
    hits = [b.key for b in library.entries if arxiv_id in _all_values(b)]
    assert len(hits) == 1, (arxiv_id, hits)
    entry = next(b for b in library.entries if b.key == hits[0])
    assert entry.fields_dict["eprint"].value == arxiv_id


@pytest.mark.parametrize("openreview_id", LIST_OPENREVIEW_IDS)
def test_every_listed_openreview_id_appears_exactly_once(library, bib, openreview_id):
    hits = [b.key for b in library.entries if openreview_id in _all_values(b)]
    assert len(hits) == 1, (openreview_id, hits)
    assert bib[hits[0]].openreview == openreview_id


@pytest.mark.parametrize("digest", LIST_NEURIPS_HASHES)
def test_listed_neurips_proceedings_are_present(library, digest):
    hits = [b.key for b in library.entries if digest in _all_values(b)]
    assert len(hits) == 1, (digest, hits)


@pytest.mark.parametrize("key,arxiv_id", sorted(FIXED_KEYS.items()))
def test_fixed_keys_have_the_right_eprint(bib, key, arxiv_id):
    assert key in bib
    assert bib[key].arxiv == arxiv_id


def test_sam_paper_also_has_its_openreview_id(bib):
    assert bib["haas2024effective"].openreview == "Qo6KUhQkPw"


def test_code_repositories_present(bib):
    assert bib["microsoft_mup"].url == "https://github.com/microsoft/mup"
    assert bib["eleutherai_nanogpt_mup"].url == "https://github.com/EleutherAI/nanoGPT-mup"
    assert bib["graphcore_unit_scaling"].url == "https://github.com/graphcore-research/unit-scaling"


def test_every_entry_has_title_year_and_known_section(bib):
    for key, entry in bib.items():
        assert entry.title, key
        assert entry.sections, key
        assert set(entry.sections) <= SECTIONS, (key, entry.sections)
        if key in UNDATED_RESOURCES:
            assert all(s.startswith("resources-") or s == "misc" for s in entry.sections), key
            assert entry.url, key
        else:
            assert entry.year and entry.year.isdigit() and 2020 <= int(entry.year) <= 2026, (key, entry.year)
        assert entry.link, key


def test_every_paper_outside_resources_has_authors_or_is_documented_as_anonymous(bib):
    anonymous = {"anon2025transfer", "anon2025mup", "princeton_infinite_width_notes"}
    for key, entry in bib.items():
        if entry.sections[0].startswith("resources-") or key in anonymous:
            continue
        assert entry.authors, key


def test_file_is_sorted_by_section_then_key(library):
    order = [
        "key-papers", "depth", "transfer-theory", "optimisers", "architectures", "weight-decay", "misc",
        "resources-notes", "resources-blog", "resources-talk", "resources-code",
    ]
    rows = []
    for block in library.entries:
        first = block.fields_dict["keywords"].value.split(",")[0].strip()
        rows.append((order.index(first), block.key))
    assert rows == sorted(rows)


def test_section_counts(bib):
    counts: dict[str, int] = {}
    for entry in bib.values():
        counts[entry.sections[0]] = counts.get(entry.sections[0], 0) + 1
    assert counts == {
        "key-papers": 4, "depth": 6, "transfer-theory": 4, "optimisers": 12, "architectures": 19,
        "weight-decay": 4, "misc": 14, "resources-blog": 5, "resources-talk": 2, "resources-code": 4,
    }


def test_short_cite_and_link(bib):
    assert bib["everett2024scaling"].short_cite == "Everett et al. 2024"
    assert bib["hayou2025proof"].short_cite == "Hayou 2025"
    assert bib["wang2024how"].short_cite == "Wang and Aitchison 2024"
    assert bib["everett2024scaling"].link == "https://arxiv.org/abs/2407.05872"
    assert bib["vankadara2024feature"].link == "https://openreview.net/forum?id=aQv5AbN1wF"
    assert bib["microsoft_mup"].link == "https://github.com/microsoft/mup"


@pytest.mark.parametrize(
    "key,expected",
    [
        ("blake2024umup", "u-μP: The Unit-Scaled Maximal Update Parametrization"),
        ("haas2024effective", "μP²: Effective Sharpness Aware Minimization Requires Layerwise Perturbation Scaling"),
        ("jelassi2023depth", "Depth Dependence of μP Learning Rates in ReLU MLPs"),
        ("yang2020feature", "Tensor Programs IV: Feature Learning in Infinite-Width Neural Networks"),
        ("dey2025dont", "Don't be lazy: CompleteP enables compute-efficient deep transformers"),
        ("narayan2025unit", "μnit Scaling: Simple and Scalable FP8 LLM Training"),
        ("karkada2024lazy", "The lazy (NTK) and rich (μP) regimes: A gentle tutorial"),
        ("nguyen2023greg", "Greg Yang | Large N Limits: Random Matrices & Neural Networks"),
    ],
)
def test_latex_to_text_on_real_titles(bib, key, expected):
    assert bib[key].title == expected


def test_latex_to_text_on_real_authors(bib):
    assert "Deiseroth, Björn" in bib["blake2024umup"].authors
    assert bib["therien2024mulo"].authors[:2] == ("Thérien, Benjamin", "Joseph, Charles-Étienne")
    assert bib["malasnicki2025mu"].authors[0] == "Małaśnicki, Jan"
    assert "Díaz, Mateo" in bib["ma2026mupscaling"].authors


@pytest.mark.parametrize(
    "raw,expected",
    [
        (r"{$\mu$P}", "μP"),
        (r"Sch{\"o}lkopf", "Schölkopf"),
        (r"Caf\'e", "Café"),
        (r"Caf{\'e}", "Café"),
        (r"Fran\c{c}ois", "François"),
        (r"pages 1--10", "pages 1–10"),
        (r"A \& B", "A & B"),
        (r"loss $\mathcal{L}(\theta)$ bound", r"loss $\mathcal{L}(\theta)$ bound"),
    ],
)
def test_latex_to_text_units(raw, expected):
    assert latex_to_text(raw) == expected


def test_parse_errors_are_reported_with_the_file_name():
    bad = "@article{dup, title={A}, year={2020}}\n@article{dup, title={B}, year={2021}}\n"
    with pytest.raises(ValueError, match=r"<mem>.*dup"):
        parse_bibliography_string(bad, source="<mem>")


def test_package_import_does_not_import_bibtexparser():
    import subprocess

    code = (
        "import sys; import scaling_exponents.literature.bibliography as b; "
        "print('bibtexparser' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
