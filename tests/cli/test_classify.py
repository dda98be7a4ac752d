"""``classify``: TP4's regime of an abc-parametrization of an SGD MLP, and its one-line refusals.

Kind: paper table -- Yang & Hu, arXiv 2011.14522 (TP4) Table 1 / Thm 3.3: muP (a = (-1/2, 0, 1/2),
b = 1/2, c = 0) has r = 0 (feature learning); NTK (a = (0, 1/2, 1/2), b = 0, c = 0) has r = 1/2 (kernel); SP with
c = 0 is unstable (its logits blow up).
"""

from scaling_exponents.cli import main


def run(capsys, *argv):
    code = main(["classify", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_mup_is_feature_learning(capsys):
    code, out, _ = run(capsys, "--a=-1/2,0,1/2", "--b=1/2,1/2,1/2", "--c=0")
    assert code == 0
    assert "r = 0; r_l = (0, 0)" in out and "regime: feature-learning" in out


def test_ntk_is_kernel(capsys):
    code, out, _ = run(capsys, "--a=0,1/2,1/2", "--b=0,0,0", "--c=0")
    assert code == 0
    assert "r = 1/2; r_l = (1/2, 1/2)" in out and "regime: kernel" in out


def test_sp_at_constant_lr_is_unstable_and_says_why(capsys):
    code, out, _ = run(capsys, "--a=0,0,0", "--b=0,1/2,1/2", "--c=0")
    assert code == 0
    assert "regime: unstable" in out
    assert "violates: a_3 + b_3 + r >= 1 (logits do not blow up)" in out


def test_per_layer_c_is_refused_in_one_line(capsys):
    code, _, err = run(capsys, "--a=0,0", "--b=0,0", "--c=0,1")
    assert code == 2
    assert err.strip() == ("error: --c=0,1 gives 2 values; TP4's SGD learning rate has ONE global exponent, e.g. "
                           "--c=0 (for per-layer LRs use `solve`)")
