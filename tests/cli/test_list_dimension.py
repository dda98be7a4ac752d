"""``list --dimension DIM``: only the parametrizations whose default table scales along DIM, each with its rule.

Kind: paper table (the rules printed are the cited papers' exponents: Bjorck et al. arXiv 2409.19913 Sec. 4 LR ∝
D^-0.32 = D^-8/25; Complete^(d)P arXiv 2512.22382 Table 1 LR × sqrt(m_B/m_D); rsLoRA arXiv 2312.03732 gamma_r =
alpha/sqrt(r)) and independent computation (membership is recomputed from `derive`'s own size check,
theory.values.check_sizes, for every parametrization and dimension); the error wording is regression.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from scaling_exponents.cli import main
from scaling_exponents.errors import UserError
from scaling_exponents.literature.catalog.dimensions import index
from scaling_exponents.systems.registry import all_specs, derive
from scaling_exponents.theory.dimensions import names
from scaling_exponents.theory.values import check_sizes

DIMENSIONS = names()


def _list(capsys, *args):
    rc = main(["list", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def _lines(out: str) -> dict[str, str]:
    """``{name: rule text}`` from the text output (continuation lines joined)."""
    rules, last = {}, None
    for line in out.splitlines():
        if line.startswith("  ") and not line.startswith("   ") and not line.startswith("  concrete"):
            name, _, rest = line.strip().partition(" ")
            rules[name], last = rest.strip(), name
        elif line.startswith("    ") and last:
            rules[last] += " " + line.strip()
        else:
            last = None
    return rules


def test_tokens_lists_the_horizon_rules_and_not_width_only_tables(capsys):
    rc, out, _ = _list(capsys, "--dimension", "tokens")
    assert rc == 0
    rules = _lines(out)
    assert {"token-horizon", "adamw-timescale-horizon", "lmo-bound", "completed-p"} <= set(rules)
    assert "mup" not in rules and "completep" not in rules and "mup-table8" not in rules
    assert rules["token-horizon"].startswith("lr ∝ D^-8/25")  # Bjorck et al. Sec. 4: beta = 0.32
    assert "empirical" in rules["token-horizon"]  # a fitted law, not a constraint system
    assert "lr ∝ D^-1/2;" in rules["completed-p"] and "steps ∝ D" in rules["completed-p"]  # Table 1: sqrt(m_B/m_D)
    assert rules["lmo-bound"].startswith("lr ∝ D^-3/4")  # Shulgin et al. abstract: eta ∝ D^-3/4 at fixed B
    assert "weight_decay ∝ D^-1" in rules["adamw-timescale-horizon"]  # tau = B/(eta lambda D) fixed
    assert out.startswith("tokens (D): 4 parametrizations")


def test_comma_separated_dimensions_give_one_section_each_in_order(capsys):
    rc, out, _ = _list(capsys, "-d", "batch, rank")
    assert rc == 0
    assert out.index("batch (B):") < out.index("rank (r):")
    rules = _lines(out[out.index("rank (r):"):])
    assert rules["rslora"].startswith("multiplier ∝ r^-1/2")  # rsLoRA: gamma_r = alpha / sqrt(r)
    assert rules["lora-mua"].startswith("multiplier ∝ r^-1")  # muA with PEFT's alpha/r
    batch = _lines(out[:out.index("rank (r):")])
    assert batch["completed-p"].startswith("lr ∝ B^1/2")


def test_vocab_granularity_and_experts(capsys):
    _, out, _ = _list(capsys, "--dimension", "vocab")
    rules = _lines(out)
    assert rules["vocab-roles"].startswith("lr ∝ V^-1 (embedding)")
    assert rules["embedding-lr-vocab"].startswith("no rule: UNVERIFIED")  # the large-vocab regime's V exponent
    assert "mup" not in rules and "spectral" not in rules  # a generic 'weight' matrix has no vocabulary fan
    _, out, _ = _list(capsys, "--dimension", "granularity")
    assert set(_lines(out)) == {"moe-granularity"}
    assert "lr ∝ G (expert_down)" in _lines(out)["moe-granularity"]
    _, out, _ = _list(capsys, "--dimension", "experts")
    rules = _lines(out)
    assert rules["moe-mup"].startswith("nothing changes with E")  # E-independent LRs (Malasnicki et al.)
    assert rules["moe-completep"].startswith("multiplier ∝ E^-1 (moe_output)")  # 1/n_act


def test_membership_is_exactly_what_derive_accepts_a_size_for():
    idx = index(DIMENSIONS)
    for spec in all_specs():
        table = derive(spec.name)
        for dim in DIMENSIONS:
            try:
                check_sizes(table, {dim: (2, 1)})
                accepted = True
            except UserError:
                accepted = False
            listed = spec.name in {e.name for e in idx[dim]["entries"]}
            assert listed == accepted, (spec.name, dim)


def test_json_format(capsys):
    rc, out, _ = _list(capsys, "--dimension", "tokens", "--format", "json")
    assert rc == 0
    recs = {r["name"]: r for r in json.loads(out)}
    assert recs["token-horizon"]["rule"] == "lr ∝ D^-8/25"
    assert recs["token-horizon"]["optimizer"] == "adamw"
    assert "empirical" in recs["token-horizon"]["labels"]
    assert {r["dimension"] for r in recs.values()} == {"tokens"}


@pytest.mark.parametrize("value,bad", [("colour", "'colour'"), ("tokens,colour", "'colour'"), (",", "nothing")])
def test_unknown_dimension_is_one_line_naming_the_known(capsys, value, bad):
    rc, out, err = _list(capsys, "--dimension", value)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1
    assert f"unknown dimension {bad}" in err
    assert "known dimensions: width, depth, experts, granularity, tokens, batch, vocab, rank" in err


def test_plain_list_stays_lazy_and_both_stay_torch_free():
    code = ("import sys, io, contextlib\nfrom scaling_exponents.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()): main(['list'])\n"
            "print('scaling_exponents.literature.catalog.dimensions' in sys.modules, 'torch' in sys.modules)\n"
            "with contextlib.redirect_stdout(io.StringIO()): main(['list', '-d', 'tokens'])\n"
            "print('torch' in sys.modules)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["False", "False", "False"]


def test_help_names_the_dimensions(capsys):
    with pytest.raises(SystemExit):
        main(["list", "--help"])
    out = capsys.readouterr().out
    assert "--dimension DIM[,DIM]" in out and "granularity" in out and "rank" in out


def test_text_fits_100_columns_unless_wide(capsys):
    _, out, _ = _list(capsys, "-d", "width,depth,experts,granularity,tokens,batch,vocab,rank")
    assert max(len(line) for line in out.splitlines()) <= 100
    _, wide, _ = _list(capsys, "-d", "tokens", "--wide")
    assert any(len(line) > 100 for line in wide.splitlines())  # completed-p's rule on one line
