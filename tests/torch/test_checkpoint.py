"""``torch/checkpoint.py``: a restore re-derives every parameter's factors and refuses a checkpoint whose saved LR,
weight-decay, eps or multiplier factor differs from the re-derived one (each factor on its own), naming the
parameter and the factor; a measured-alignment table restores with the checkpoint; an edited table name is refused
(digest), and a truncated file or a model of another width is one line, not a torch traceback.

Expected values: the saved factors themselves (a restore must reproduce them to 1e-9); Everett et al. (arXiv
2407.05872) Table 1 Adam muP at width 64 over base 16: hidden LR factor (64/16)^-1 = 0.25.

Kind: independent computation (round trip) plus planted corruptions (each factor tampered alone must be caught).
"""

from __future__ import annotations

import pytest
import torch

from scaling_exponents.errors import UserError
from scaling_exponents.torch import Parametrization
from scaling_exponents.torch import checkpoint as ckpt_mod
from scaling_exponents.verifier.models import MLP


def _state():
    torch.manual_seed(0)
    p = Parametrization(MLP(8, 64, 4, depth=2), "mup", width=64, base_width=16, lr=1e-2, settings={"weight_decay": 0.1, "eps": 1e-8})
    return ckpt_mod.state(p)


def test_round_trip_reproduces_every_factor():
    st = _state()
    p = ckpt_mod.restore(MLP(8, 64, 4, depth=2), st, lr=1e-2, weight_decay=0.1, eps=1e-8)
    hidden = next(n for n, r in p.records.items() if r.role == "hidden")
    assert p.records[hidden].lr_scale == pytest.approx(0.25, rel=1e-12)
    for name, rec in st["params"].items():
        for f in ckpt_mod.FACTORS:
            assert getattr(p.records[name], f) == pytest.approx(rec[f], rel=1e-9)


@pytest.mark.parametrize("factor", ["lr_scale", "wd_scale", "eps_scale", "multiplier"])
def test_a_tampered_factor_is_refused_by_name(factor):
    st = _state()
    name = next(n for n, r in st["params"].items() if r["role"] == "hidden")
    st["params"][name][factor] *= 1.5
    with pytest.raises(UserError, match=rf"{name.replace('.', '[.]')}.*restored {factor} .* differs from the saved"):
        ckpt_mod.restore(MLP(8, 64, 4, depth=2), st, lr=1e-2, weight_decay=0.1, eps=1e-8)


def test_measured_alignment_table_restores(tmp_path):
    from scaling_exponents.cli import main

    assert main(["align", "--model", "mlp", "--width", "32", "--steps", "2", "--out", str(tmp_path)]) == 0
    table = str(next(tmp_path.glob("align_mlp_w32.json")))
    torch.manual_seed(0)
    p = Parametrization(MLP(64, 32, 10, depth=2), "mup", "adam", base_width=16, lr=1e-2, settings={"table": table})
    path = tmp_path / "ckpt.pt"
    ckpt_mod.save(path, p)
    q, _, _ = ckpt_mod.load(path, MLP(64, 32, 10, depth=2))
    for name, info in p.records.items():
        assert q.records[name].lr_scale == pytest.approx(info.lr_scale, rel=1e-9), name
    assert q.aligned is not None and len(q.aligned.layers) == 4


def test_an_edited_table_name_is_not_relabelled_silently():
    st = _state()
    st["table"]["parametrization"] = "completep"
    with pytest.raises(UserError, match="'completep'.* was edited after saving"):
        ckpt_mod.restore(MLP(8, 64, 4, depth=2), st, lr=1e-2, weight_decay=0.1, eps=1e-8)


def test_truncated_file_and_other_width_are_one_line(tmp_path):
    torch.manual_seed(0)
    p = Parametrization(MLP(8, 64, 4, depth=2), "mup", width=64, base_width=16, lr=1e-2)
    path = tmp_path / "ckpt.pt"
    ckpt_mod.save(path, p)
    cut = tmp_path / "cut.pt"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(UserError, match=r"cut.pt is not a readable checkpoint .*interrupted"):
        ckpt_mod.load(cut, MLP(8, 64, 4, depth=2))
    with pytest.raises(UserError, match=r"width=64 is not a dimension|was saved with shape"):
        ckpt_mod.load(path, MLP(8, 128, 4, depth=2))
