"""``solve``: Everett et al.'s LP (arXiv 2407.05872, Sec. 3) for a custom (a, b), and its one-line refusal.

Kind: paper table -- muP's (a, b) under Adam and full alignment gives Everett et al. Table 1's per-layer LR
exponents -1/2, -1, -1/2 (papers/oracles/everett2024scaling.csv, status secondary).
"""

import csv
import io

from scaling_exponents.cli import main


def test_mup_ab_gives_table1_learning_rates(capsys):
    code = main(["solve", "--a=-1/2,0,1/2", "--b=1/2,1/2,1/2", "--optimizer", "adam", "-f", "csv"])
    out = capsys.readouterr().out
    assert code == 0
    lr = {r["role"]: r["power"] for r in csv.DictReader(io.StringIO(out)) if r["quantity"] == "lr"}
    assert lr == {"layer_1": "-1/2", "layer_2": "-1", "layer_3": "-1/2"}


def test_an_unstable_ab_is_a_user_error(capsys):
    code = main(["solve", "--a=0,0,0", "--b=0,0,0"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: no stable learning rates for --a=0,0,0 --b=0,0,0")
    assert "a_3 + b_3 >= 1/2" in err and len(err.strip().splitlines()) == 1


def test_a_malformed_alignment_is_a_user_error(capsys):
    code = main(["solve", "--a=0,0,0", "--b=0,1/2,1/2", "--alignment", "1,1"])
    assert code == 2
    assert "one 'alpha,omega,u' triple per layer" in capsys.readouterr().err
