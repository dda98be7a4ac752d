"""Vocabulary sweeps in the verifier (``verify --vocabs``): predictions from vocab-roles' rows, a tiny measured
sweep of the GPT on CPU, and the CLI's errors.

Where the expected values come from: the predicted V exponents are computed from the ``vocab-roles`` table's vocab
rows (the derived torch-muon-original / spectral rows: readout effective_lr and update_spectral_norm V^(1/2),
embedding lr V^-1) and checked against those rows; the measured slopes of a tiny sweep (3 vocabularies, 2 seeds) must
lie within 0.1 of them -- except the two rows that measure a real disagreement (embedding output change under the
literal Condition 1, readout ||dW||_2 under Adam with a full-rank gradient), asserted as regressions of the measured
slope; with V >> the batch's tokens the Adam readout row holds again.

Kind: independent computation (exponents derived from the table's rows) against measured slopes; regression for the
two measured Adam disagreements.
"""

import json

import pytest

torch = pytest.importorskip("torch")

from scaling_exponents.cli import main  # noqa: E402
from scaling_exponents.errors import UserError  # noqa: E402
from scaling_exponents.evidence.predict_vocab import predict_vocab, role_lrs  # noqa: E402
from scaling_exponents.systems.registry import derive  # noqa: E402
from scaling_exponents.theory.exponents import Q  # noqa: E402
from scaling_exponents.verifier.verify import Target  # noqa: E402
from scaling_exponents.verifier.verify_vocab import verify_vocab_target  # noqa: E402

pytestmark = pytest.mark.usefixtures("two_torch_threads")

TINY = dict(vocabs=[64, 256, 1024], width=32, depth=1, seeds=2, steps=2, batch=8)
#: the measured slope of a tiny sweep lies within this of the table's exponent (3 vocabularies over a factor 16)
TOL = 0.1


def exps(preds):
    return {f"{p.layer}|{p.quantity}": p.exponent for p in preds.items}


def test_predictions_come_from_the_vocab_rows():
    muon = derive("vocab-roles", "muon")
    e = exps(predict_vocab(muon))
    assert muon.power("readout", "effective_lr", "vocab") == Q("1/2")  # torch's sqrt(max(1, V/n)) on (V, n)
    assert e["head|dW_spec"] == muon.power("readout", "effective_lr", "vocab") == Q("1/2")
    assert e["head|dW_rms"] == muon.power("readout", "update_rms", "vocab") == 0
    assert e["head|own_delta"] == 0 and e["hidden|dW_rms"] == 0
    assert "embed|dW_seen" not in e  # Muon's embedding update depends on the number of seen tokens

    adam = derive("vocab-roles", "adam")
    e = exps(predict_vocab(adam))
    assert e["head|dW_spec"] == adam.power("readout", "update_spectral_norm", "vocab") == Q("1/2")
    assert e["embed|dW_seen"] == adam.power("embedding", "lr", "vocab") == -1  # Condition 1 literal: lr ∝ 1/fan_in
    assert e["embed|act_delta"] == 0  # literal reading: update_spectral_norm V^-1/2 times ||x||_2 = sqrt(V)
    assert e["head|own_delta"] == 0 and e["head|dW_rms"] == 0
    lrs = role_lrs(adam, 0.01, 256, 64)
    assert lrs["embedding"] == pytest.approx(0.0025) and lrs["readout"] == lrs["hidden"] == pytest.approx(0.01)


def test_tables_without_vocab_rows_or_with_sgd_are_refused():
    with pytest.raises(UserError, match="vocab rows"):
        predict_vocab(derive("mup", "adam"))
    with pytest.raises(UserError, match="SGD"):
        predict_vocab(derive("vocab-roles", "sgd"))


def test_tiny_muon_sweep_matches_the_table(tmp_path):
    argv = ["verify", "-p", "vocab-roles:muon", "--model", "gpt", "--vocabs", "64,256,1024", "--width", "32",
            "--depth", "1", "--seeds", "2", "--steps", "2", "--batch", "8", "--no-progress", "--no-plots",
            "--out", str(tmp_path)]
    assert main(argv) == 0
    res = json.loads((tmp_path / "results.json").read_text())["vocab-roles:muon@vocab"]
    assert res["dimension"] == "vocab" and res["vocabs"] == [64, 256, 1024] and res["width"] == 32
    for key, pred in (("head|dW_spec", 0.5), ("head|own_delta", 0.0), ("head|dW_rms", 0.0), ("hidden|dW_rms", 0.0)):
        slope, lo, hi, predicted, verdict = res["slopes"][key]
        assert abs(slope - pred) <= TOL and float(Q(predicted)) == pred and verdict == "pass", key
    assert "vocab 64..1024 (width 32)" in (tmp_path / "report.md").read_text()


def test_tiny_adam_sweep_measures_the_one_hot_embedding():
    s = verify_vocab_target(Target("vocab-roles", "adam", "vocab-roles:adam"), derive("vocab-roles", "adam"), **TINY)
    rows = {f"{r['layer']}|{r['quantity']}": r for r in s["rows"]}
    assert abs(rows["embed|dW_seen"]["slope"] + 1) <= TOL and rows["embed|dW_seen"]["verdict"] == "pass"
    assert abs(rows["head|own_delta"]["slope"]) <= TOL and rows["head|own_delta"]["verdict"] == "pass"
    # the literal Condition 1 reading (V^0) fails: one-hot inputs, the output change is the seen-row change, V^-1
    assert rows["embed|act_delta"]["verdict"] == "fail" and abs(rows["embed|act_delta"]["slope"] + 1) <= TOL
    # Adam's sign update of a full-rank readout gradient: steeper than the low-rank V^(1/2) (measured ~0.73)
    assert rows["head|dW_spec"]["verdict"] == "fail" and 0.6 < rows["head|dW_spec"]["slope"] < 0.9
    assert any("one-hot" in n for n in s["notes"]) and any("LOW-RANK" in n for n in s["notes"])


def test_adam_readout_spectral_norm_reaches_the_table_when_vocab_exceeds_the_tokens():
    """One sequence (32 tokens) and V >> 32: the sign matrix is dominated by the absent tokens' common row, and
    ||dW||_2 follows the update_spectral_norm row's V^(1/2) (measured 0.52 [0.49, 0.55])."""
    s = verify_vocab_target(Target("vocab-roles", "adam", "vocab-roles:adam"), derive("vocab-roles", "adam"),
                            **{**TINY, "vocabs": [1024, 4096, 16384], "batch": 1})
    spec = next(r for r in s["rows"] if (r["layer"], r["quantity"]) == ("head", "dW_spec"))
    assert spec["verdict"] == "pass" and abs(spec["slope"] - 0.5) <= TOL


@pytest.mark.parametrize("vocabs, message", [
    ("0", "--vocabs needs vocabulary sizes >= 2"),
    ("abc", "--vocabs takes comma-separated integers"),
    ("256", "--vocabs needs at least two different sizes"),
    ("256,256", "--vocabs needs at least two different sizes"),
    ("16,256", "--vocabs must all be >= --width 64"),
])
def test_bad_vocabs_are_one_line_errors(vocabs, message, capsys, tmp_path):
    assert main(["verify", "-p", "vocab-roles:muon", "--vocabs", vocabs, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_vocab_sweep_needs_the_gpt_and_a_vocab_table(capsys, tmp_path):
    assert main(["verify", "-p", "vocab-roles:muon", "--vocabs", "64,256", "--model", "mlp", "--out",
                 str(tmp_path)]) == 2
    assert "--model gpt" in capsys.readouterr().err
    assert main(["verify", "-p", "mup", "--vocabs", "64,256", "--out", str(tmp_path)]) == 2
    assert "vocab rows" in capsys.readouterr().err
    assert main(["verify", "-p", "vocab-roles:muon", "--vocabs", "64,256", "--widths", "64,128", "--out",
                 str(tmp_path)]) == 2
    assert "one sweep per command" in capsys.readouterr().err


@pytest.mark.parametrize("opt", ["adam", "muon"])
def test_the_probe_trains_the_products_groups(opt):
    """The probe's optimizers are fed from Parametrization.param_groups, whose LRs are the predictor's role_lrs:
    embedding V^-1 (vocab-roles, the lr rows), hidden and readout V^0; positions and norms at the base LR."""
    from scaling_exponents.verifier.models import GPT
    from scaling_exponents.verifier.probes.vocab import VocabConfig, build

    cfg = VocabConfig(param="vocab-roles", optimizer=opt, vocab=256, base_vocab=64, width=32, depth=1, lr=0.02)
    model = GPT(256, 32, 1, head_dim=16, block_size=32, bias=False)
    opts = build(model, cfg)
    got = {g["role"]: g["lr"] for o in opts for g in o.param_groups}
    want = role_lrs(derive("vocab-roles", opt), 0.02, 256, 64)
    assert got == {**want, "default": 0.02} and want["embedding"] == pytest.approx(0.005, rel=1e-15)
    trained = {id(p) for o in opts for g in o.param_groups for p in g["params"]}
    assert trained == {id(p) for p in model.parameters()}
    if opt == "muon":
        assert type(opts[0]).__name__ == "Muon" and {g["role"] for g in opts[0].param_groups} == set(want)
