"""Size flags (``--tokens 400B``, ``--batch 4M``, ``--width 4096``) accept the ways people write sizes.

Kind: independent computation (each accepted spelling is worked out by hand: 400B = 4*10^11 tokens); the
error wording is regression: the project's own output.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from scaling_exponents.cli.args import size_int


@pytest.mark.parametrize("text,value", [("4096", 4096), ("4e11", 4 * 10**11), ("400B", 4 * 10**11),
                                        ("1.5T", 15 * 10**11), ("32k", 32_000), ("4M", 4_000_000),
                                        ("1_000", 1000), ("2G", 2 * 10**9)])
def test_size_spellings(text, value):
    assert size_int(text) == value


@pytest.mark.parametrize("text", ["1.5", "0", "-4", "4x", "", "nan", "inf", "1e-3"])
def test_non_sizes_are_refused(text):
    with pytest.raises(argparse.ArgumentTypeError):
        size_int(text)


def _derive(*args):
    return subprocess.run([sys.executable, "-m", "scaling_exponents", "derive", *args], capture_output=True, text=True)


def test_token_budget_in_scientific_notation_gives_the_timescale_factor():
    # tau = B/(eta lambda D) constant at fixed LR (arXiv 2405.13698 Sec. 3): lambda x (B/B0)/(D/D0) = 8/4 = 2
    r = _derive("-p", "adamw-timescale-horizon", "--tokens", "4e11", "--base-tokens", "100B", "--batch", "8M",
                "--base-batch", "1M", "--lr", "3e-4", "--weight-decay", "0.1", "--format", "json")
    assert r.returncode == 0, r.stderr
    values = json.loads(r.stdout)["values"]["any"]
    assert values["weight_decay"]["value"] == pytest.approx(0.2)  # 0.1 x 2
    assert values["lr"]["value"] == pytest.approx(3e-4)
    assert values["steps"]["factor"] == pytest.approx(0.5)  # K = D/B: 4/8


def test_a_bad_size_is_one_line_naming_the_flag():
    r = _derive("-p", "mup", "--width", "4x", "--base-width", "256")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "--width" in lines[0] and "'4x'" in lines[0] and "400B" in lines[0]
