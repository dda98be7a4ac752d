"""``transfer`` and ``align``: inputs that used to be rejected only after the runs (or silently dropped) are
refused before the first run (issue 23, "every input is checked before work starts").

Before: ``transfer --verdict NAME`` with NAME not in --param trained every run and then failed; with
``-p sp-table3,mup --alignment partial`` sp-table3's sweep ran before mup's table refused 'partial';
``--alignment`` on tables without that choice was dropped; ``--base-width 0`` silently meant the smallest width;
``--base-depth`` without ``--depths``, ``--batch-fn`` and ``--block`` with a built-in model were ignored.
``align --param mup-table8`` (or completep) trained, then failed in the LP (completep with a misleading depth
message); ``--lr 0`` trained nothing and then found no alignment; ``--widths A,B --seeds 0`` ended in a TypeError.

Expected values: error strings are regression (the project's own output); that nothing ran is read from the
output directory (no ``results.jsonl``).

Kind: regression (one-line errors, before any run).
"""

import pytest

from scaling_exponents.cli import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = ["--widths", "8,16", "--lrs", "0.001,0.01,0.1", "--steps", "1", "--seeds", "1", "--no-progress"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv, message", [
    (["-p", "mup", "--verdict", "sp"], "error: --verdict names sp, not swept here; give names from --param"),
    (["-p", "sp-table3,mup", "--alignment", "partial"],
     "error: mup (everett2024scaling) does not cover alignment 'partial'; supported: full, no."),
    (["-p", "mup-table8", "--alignment", "no"],
     "error: --alignment no applies to none of mup-table8 (no alignment choice; see `list`): drop --alignment"),
    (["-p", "mup", "--base-width", "0"], "error: --base-width must be >= 1, got 0"),
    (["-p", "mup", "--base-depth", "2"],
     "error: --base-depth is the base of a depth transfer: add --depths, or drop --base-depth"),
    (["-p", "mup", "--batch-fn", "mymod:batches"],
     "error: --batch-fn applies to your own model (--model module:factory); the built-in mlp/resmlp trains on its own "
     "data and would ignore it: drop --batch-fn"),
    (["-p", "mup", "--model", "gpt", "--block", "64"], "error: --block applies to your own model"),
])
def test_transfer_refuses_before_any_run(capsys, tmp_path, argv, message):
    out_dir = tmp_path / "tr"
    code, _, err = run(capsys, "transfer", *argv, *TINY, "--out", str(out_dir))
    assert code == 2 and err.strip().startswith(message) and "\n" not in err.strip()
    assert not (out_dir / "results.jsonl").exists()


@pytest.mark.parametrize("argv, message", [
    (["--param", "mup-table8"], "error: --param mup-table8: measured alignment re-solves Everett et al.'s LP "
                                "(arXiv 2407.05872), which names (a, b) for sp, ntk, mup, mfp only; pick one of them"),
    (["--param", "completep"], "error: --param completep: measured alignment re-solves"),
    (["--lr", "0"], "error: --lr must be a positive number (alignment needs the weights to move), got 0.0"),
    (["--widths", "16,32", "--seeds", "0"], "error: --seeds must be >= 1 (seeds per width of the slope), got 0"),
])
def test_align_refuses_before_any_run(capsys, tmp_path, argv, message):
    code, _, err = run(capsys, "align", "--model", "mlp", "--width", "16", "--steps", "3", "--batch", "8",
                       "--probe-batch", "8", "--depth", "1", "--out", str(tmp_path), *argv)
    assert code == 2 and err.strip().startswith(message) and "\n" not in err.strip()
    assert list(tmp_path.iterdir()) == []
