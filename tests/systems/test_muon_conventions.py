"""Muon as implemented (systems/muon_conventions.py): every oracle row (code of KellerJordan/Muon, torch.optim.Muon,
LIONS-EPFL/scion; Moonlight arXiv 2502.16982 Sec. 2.2; Qiu et al. arXiv 2512.05620 Table 1) equals the derived table,
and the stated differences between the conventions hold.

Kind: external library (KellerJordan/Muon, torch.optim.Muon, LIONS-EPFL/scion code rows); paper table (arXiv 2502.16982 Sec. 2.2, arXiv 2512.05620 Table 1).
"""

from functools import lru_cache

import pytest

from scaling_exponents.errors import UserError
from scaling_exponents.theory.exponents import Q
from scaling_exponents.literature import oracles
from scaling_exponents.systems.registry import derive

FILES = {"jordan2024muon": 6, "liu2025muon": 7, "pytorch_muon": 8, "pethick2025training": 4}
ROWS = [(f, r) for f in FILES for r in oracles.load(f)]


@lru_cache(maxsize=None)
def table(param, mode="fan", regime="fan_out>=fan_in"):
    t = derive(param, mode=mode, regime=regime) if mode == "fan" else derive(param, mode=mode)
    assert t.solution.unique and t.solution.certified
    return t


def test_oracle_counts():
    assert {f: len(oracles.load(f)) for f in FILES} == FILES


@pytest.mark.parametrize("f,row", ROWS, ids=lambda x: x if isinstance(x, str) else
                         f"{x.param}-{x.variant_dict.get('regime', x.variant_dict.get('mode'))}-{x.quantity}-{x.dimension}")
def test_rows_equal_oracle(f, row):
    v = row.variant_dict
    t = table(row.param, v.get("mode", "fan"), v.get("regime", "fan_out>=fan_in"))
    assert t.power(row.role, row.quantity, row.dimension) == row.exact, (row.source, row.note)


def test_every_convention_reaches_the_spectral_target():
    # effective LR = base LR x adjustment = sqrt(fan_out/fan_in) in every convention and regime (Condition 1)
    for name in ("muon-keller", "muon-moonlight", "torch-muon-original", "torch-muon-match-rms", "scion-spectral"):
        for regime in ("fan_out>=fan_in", "fan_out<fan_in"):
            t = table(name, regime=regime)
            assert (t.power("weight", "effective_lr", "fan_out"), t.power("weight", "effective_lr", "fan_in")) == (Q("1/2"), Q("-1/2"))


def test_stated_differences():
    # 1. Keller / torch original: the code is the spectral rule only when fan_out >= fan_in
    k_up, k_down = table("muon-keller"), table("muon-keller", regime="fan_out<fan_in")
    assert (k_up.power("weight", "lr", "fan_in"), k_up.power("weight", "lr", "fan_out")) == (0, 0)
    assert (k_down.power("weight", "lr", "fan_in"), k_down.power("weight", "lr", "fan_out")) == (Q("-1/2"), Q("1/2"))
    # 2. Moonlight: square hidden matrices need base LR ∝ n^-1/2; embedding base LR constant
    m = table("muon-moonlight", "per_role")
    assert (m.power("embedding", "lr"), m.power("hidden", "lr"), m.power("readout", "lr")) == (0, Q("-1/2"), -1)
    assert all(m.power(r, "update_rms") == 0 for r in ("embedding", "hidden", "readout"))
    # 3. Scion: exact spectral scaling, base LR width-independent per role
    s = table("scion-spectral", "per_role")
    assert all(s.power(r, "lr") == 0 for r in ("embedding", "hidden", "readout"))
    # torch's two options reproduce Keller's and Moonlight's exponents exactly
    for torch_name, ref in (("torch-muon-original", "muon-keller"), ("torch-muon-match-rms", "muon-moonlight")):
        for regime in ("fan_out>=fan_in", "fan_out<fan_in"):
            a, b = table(torch_name, regime=regime), table(ref, regime=regime)
            assert [(r.key(), r.power) for r in a.rows] == [(r.key(), r.power) for r in b.rows]


def test_per_role_matches_qiu_muon_lr():
    # Keller's code per role: embedding n^(1/2) effective LR, readout n^(-1/2) (arXiv 2512.05620 Table 1)
    q = derive("muon", mode="per_role")
    k = table("muon-keller", "per_role")
    for role in ("embedding", "hidden", "readout"):
        assert k.power(role, "effective_lr") == q.power(role, "lr")


def test_bad_input():
    with pytest.raises(UserError, match="regime"):
        derive("muon-keller", regime="square")
    with pytest.raises(UserError, match="mode"):
        derive("scion-spectral", mode="rows")
