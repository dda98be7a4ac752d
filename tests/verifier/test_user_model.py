"""Coord check and LR transfer on a model the test defines itself (``coord_check``, ``lr_transfer``, ``verify`` /
``transfer --model module:factory``), and every bad factory answered with exit 2 and one line.

Where the expected values come from: **independent computation** of what each parametrization does to a ReLU MLP
trained with Adam, stated beside each assertion: under muP (Everett et al. arXiv 2407.05872 Table 1, the
``feature-learning`` regime of its derive output) every module's output and its change after 3 steps stay Theta(1),
microsoft/mup's coord-check criterion (TP5 arXiv 2203.03466 App. D.1), so the slopes lie within the tolerance 0.15 of
0; under SP with one global Adam LR (TP5 Table 3, ``sp-table3:adam``) an Adam step moves every entry of a hidden
width x width matrix by ~lr, so that layer's output changes by ~lr * width: slope near 1 (> 0.5 asserted), and the
criterion "slope 0" fails.  The bad-input fragments are the project's own wording (regression).

Kind: independent computation (slopes against the Theta(1) criterion and the Adam update size); regression (messages).
"""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("pandas")

from torch import nn  # noqa: E402

from scaling_exponents.cli import main  # noqa: E402
from scaling_exponents.evidence.fit import Slope, verdict  # noqa: E402
from scaling_exponents.verifier import coord_check, lr_transfer  # noqa: E402

WIDTHS = (32, 64, 128)
TOL = 0.15


class MLP(nn.Module):
    """The test's own model: 16 inputs -> width -> width -> width -> 10 classes, ReLU modules between."""

    def __init__(self, width):
        super().__init__()
        self.inp, self.h1, self.h2, self.out = nn.Linear(16, width), nn.Linear(width, width), nn.Linear(width, width), \
            nn.Linear(width, 10)
        self.a1, self.a2, self.a3 = nn.ReLU(), nn.ReLU(), nn.ReLU()

    def forward(self, x):
        return self.out(self.a3(self.h2(self.a2(self.h1(self.a1(self.inp(x)))))))


def mlp(width):
    return MLP(width)


_TEACHER = torch.randn(16, 10, generator=torch.Generator().manual_seed(123))


def teacher(batch, seed):
    """Gaussian inputs labelled by a fixed linear teacher (a learnable task for the LR sweep)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, 16, generator=g)
    return x, (x @ _TEACHER).argmax(-1)


@pytest.fixture(scope="module")
def mup_check():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield coord_check(mlp, "mup", widths=WIDTHS, seeds=3, steps=3, batch_fn=teacher, batch=32, tol=TOL)
    finally:
        torch.set_num_threads(n)


def test_mup_coord_check_passes_with_every_slope_near_zero(mup_check):
    cc = mup_check
    assert cc.regime.startswith("feature learning") and cc.status == "pass"
    modules = ["inp", "a1", "h1", "a2", "h2", "a3", "out"]
    assert len(cc.df) == len(WIDTHS) * 3 * len(modules) * 4  # widths x seeds x modules x (init + 3 steps)
    assert list(cc.df.columns) == ["width", "seed", "step", "module", "quantity", "value"]
    hidden = cc.slopes[~cc.slopes["readout"]]
    assert sorted(hidden["module"].unique()) == sorted(modules[:-1])
    assert (hidden["slope"].abs() < 0.25).all(), hidden  # Theta(1): within the tolerance band around 0
    assert (hidden["verdict"] == "pass").all()
    head = cc.slopes[cc.slopes["readout"]].set_index("quantity")
    assert head.loc["act_init", "verdict"] == "info"  # no expectation for the logits at init
    assert head.loc["act_delta", "verdict"] == "pass"


def test_sp_global_adam_lr_shows_growing_updates(one_torch_thread):
    cc = coord_check(mlp, "sp-table3:adam", widths=WIDTHS, seeds=3, steps=3, batch_fn=teacher, batch=32, tol=TOL)
    assert cc.regime.startswith("not feature learning") and cc.status == "info"
    rows = cc.slopes.set_index(["module", "quantity"])
    for m in ("h1", "h2"):
        r = rows.loc[(m, "act_delta")]
        assert r["ci_lo"] > 0.5, r  # Adam: every entry moves ~lr, the output by ~lr * width
        assert verdict(0.0, Slope(r["slope"], r["ci_lo"], r["ci_hi"], 3, 3, 1.0), TOL) == "fail"  # criterion fails
        assert abs(rows.loc[(m, "act_init"), "slope"]) < 0.25  # init is PyTorch's (stable) in both


def test_figure_has_one_line_per_module_in_each_panel(mup_check):
    import matplotlib.pyplot as plt

    fig = mup_check.figure()
    assert [len(ax.get_lines()) for ax in fig.axes] == [7, 7]
    assert all(ax.get_xscale() == "log" and ax.get_yscale() == "log" for ax in fig.axes)
    plt.close(fig)


def test_lr_transfer_gives_optima_and_a_finite_drift_and_resumes(tmp_path, one_torch_thread, monkeypatch):
    kw = dict(widths=(32, 64), lrs=[2.0 ** k for k in (-9, -7, -5, -3)], steps=8, seeds=2, batch_fn=teacher,
              batch=16, out=tmp_path)
    res = lr_transfer(mlp, "mup", **kw)
    assert set(res.optima) == {32, 64} and all(2 ** -9 <= v <= 2 ** -3 for v in res.optima.values())
    lo, hi = res.drift["ci"]
    assert all(map(lambda v: v == v and abs(v) < 10, (lo, hi))) and lo <= res.drift["slope"] <= hi
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert len(lines) == 2 * 4  # one stored run per (width, LR)
    from scaling_exponents.verifier import user_transfer

    monkeypatch.setattr(user_transfer, "_train", lambda *a, **k: pytest.fail("a stored run was recomputed"))
    again = lr_transfer(mlp, "mup", **kw)
    assert again.losses == res.losses and again.drift == res.drift


BYTE_MODEL = """from torch import nn

def model(width):
    return nn.Sequential(nn.Embedding(256, width), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 256))
"""


def _verify_factory_file(tmp_path, name: str, source: str):
    """``(path, out, exit status)`` of ``verify -p mup`` on the factory ``model`` written to ``tmp_path/name``
    (widths 16, 32, 64; 2 seeds; the byte data, batch 8 x 16 tokens)."""
    path = tmp_path / name
    path.write_text(source)
    out = tmp_path / "v"
    rc = main(["verify", "--model", f"{path}:model", "-p", "mup", "--widths", "16,32,64", "--seeds", "2",
               "--batch", "8", "--block", "16", "--out", str(out), "--no-progress"])
    return path, out, rc


def test_cli_verify_and_transfer_on_a_factory_file(tmp_path, capsys, one_torch_thread):
    path, out, rc = _verify_factory_file(tmp_path, "bytemodel.py", BYTE_MODEL)
    assert rc == 0, capsys.readouterr()
    res = json.loads((out / "results.json").read_text())
    assert res["mup"]["status"] == "pass" and res["mup"]["failed"] == 0 and "1|act_delta" in res["mup"]["slopes"]
    assert (out / "coord_mup.png").stat().st_size > 0 and "## mup: pass" in (out / "report.md").read_text()
    assert "== mup" in capsys.readouterr().out
    out = tmp_path / "t"
    rc = main(["transfer", "--model", f"{path}:model", "-p", "mup", "--widths", "16,32", "--lrs", "0.004,0.016,0.064",
               "--steps", "4", "--seeds", "2", "--batch", "8", "--block", "16", "--out", str(out), "--no-progress"])
    assert rc in (0, 1), capsys.readouterr()
    res = json.loads((out / "results.json").read_text())
    assert res["mup"]["slopes"]["global|lr_opt_drift"][4] in ("pass", "fail")
    assert (rc == 0) == (res["mup"]["status"] == "pass")
    assert (out / "transfer.png").exists() and "| mup |" in (out / "report.md").read_text()


# (file body or None for "no such module", --model suffix, fragment naming the problem, fragment of the fix)
BAD = [
    (None, "nosuchmodule_h2:model", "nosuchmodule_h2 does not import", "No module named"),
    ("raise RuntimeError('boom at import')\n", "{path}:model", "does not import", "boom at import"),
    ("def model(width):\n    pass\n", "{path}:nope", "no attribute 'nope'", "callables there: model"),
    ("model = 3\n", "{path}:model", "not callable", "function or class"),
    ("from torch import nn\ndef model(n):\n    return nn.Linear(n, n)\n", "{path}:model", "does not accept width=",
     "def factory(width"),
    ("def model(width):\n    return [width]\n", "{path}:model", "returned a list", "not a torch.nn.Module"),
    ("from torch import nn\ndef model(width):\n    return nn.Linear(4, 4)\n", "{path}:model", "ignores width=",
     "a sweep of a constant model"),
    (None, "{path}.missing.py:model", "not found", "existing .py file"),
    (None, "cnn", "'cnn'", "package.module:factory"),
]


@pytest.mark.parametrize("command", ["verify", "transfer"])
@pytest.mark.parametrize("body,model,bad,fix", BAD, ids=[b[2] for b in BAD])
def test_bad_factory_is_one_line_exit_2(command, body, model, bad, fix, tmp_path, capsys):
    path = tmp_path / "factory.py"
    if body is not None:
        path.write_text(body)
    rc = main([command, "--model", model.format(path=path), "-p", "mup", "--widths", "8,16", "--out",
               str(tmp_path / "o"), "--no-progress"])
    out, err = capsys.readouterr()
    assert rc == 2, (rc, out, err)
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in out + err, err
    assert bad in err and fix in err, err


SCALED_MODEL = """import math
from torch import nn

class Scale(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c

    def forward(self, x):
        return self.c * x

def model(width):
    return nn.Sequential(nn.Embedding(256, width), nn.Linear(width, width), Scale(math.sqrt(width)), nn.ReLU(),
                         nn.Linear(width, 256))
"""


def test_cli_verify_exits_1_when_a_module_grows_with_width(tmp_path, capsys, one_torch_thread):
    # a planted mis-scaling: a fixed multiplier sqrt(width) that no table knows about; its output at init grows as
    # n^(1/2), so the coord check must fail there (and only modules downstream of it may fail too)
    _, out, rc = _verify_factory_file(tmp_path, "scaled.py", SCALED_MODEL)
    assert rc == 1, capsys.readouterr()
    res = json.loads((out / "results.json").read_text())["mup"]
    assert res["status"] == "fail" and "2|act_init" in res["failed_rows"]
    slope = res["slopes"]["2|act_init"][0]
    assert slope == pytest.approx(0.5, abs=0.1)  # sqrt(width) times a Theta(1) input
    assert "0|act_init" not in res["failed_rows"] and "1|act_init" not in res["failed_rows"]  # upstream stays Theta(1)


@pytest.mark.parametrize("flag", [["--arch", "modern"], ["--eps", "1e-3"], ["--rho", "0.1"], ["--weight-decay", "0.1"],
                                  ["--no-nngp"]])
def test_built_in_only_options_are_refused_with_a_factory(flag, tmp_path, capsys):
    path = tmp_path / "factory.py"
    path.write_text("from torch import nn\ndef model(width):\n    return nn.Linear(width, width)\n")
    rc = main(["verify", "--model", f"{path}:model", "-p", "mup", "--widths", "8,16", *flag, "--out",
               str(tmp_path / "o"), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and f"{flag[0]} applies to the built-in models' probes" in err
