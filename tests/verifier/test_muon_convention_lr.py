"""The Muon-convention tables run as they describe: torch.optim.Muon's EFFECTIVE per-matrix LR (group lr x its
``_adjust_lr``) equals the table's base LR x the code's adjustment a(A, B), and one real step's update norm
follows it.

Kind: external library (torch.optim.Muon, torch 2.13 ``_adjust_lr``: 'original' sqrt(max(1, A/B)),
'match_rms_adamw' 0.2 sqrt(max(A, B))) and paper table (the adjustments of systems/muon_conventions.py:
KellerJordan/Muon ``muon_update``; Moonlight arXiv 2502.16982 Sec. 2.2; Scion arXiv 2502.07529 ``Spectral.lmo``
sqrt(A/B)), computed by hand here; Qiu et al. arXiv 2512.05620 Table 1 for the ``muon`` table (lr = effective LR).
"""

import math

import pytest
import torch

from scaling_exponents.torch import Parametrization
from scaling_exponents.verifier.models import MLP
from scaling_exponents.verifier.optimizers import build_optimizer

torch_muon = pytest.importorskip("torch.optim._muon")

#: a(A, B) of each convention, by hand (A = fan_out, B = fan_in of an nn.Linear)
CODE = {"muon-keller": lambda a, b: math.sqrt(max(1, a / b)),
        "torch-muon-original": lambda a, b: math.sqrt(max(1, a / b)),
        "muon-moonlight": lambda a, b: 0.2 * math.sqrt(max(a, b)),
        "torch-muon-match-rms": lambda a, b: 0.2 * math.sqrt(max(a, b)),
        "scion-spectral": lambda a, b: math.sqrt(a / b),
        "muon": lambda a, b: 1.0}


def _run(name, seed=0):
    torch.manual_seed(seed)
    model = MLP(16, 128, 10, depth=1, bias=False)
    pz = Parametrization(model, name, optimizer="muon", width=128, base_width=32, depth=1, base_depth=1, lr=0.02)
    opt = build_optimizer("muon", pz.param_groups, pz)
    return model, pz, opt.optimizers[0]


@pytest.mark.parametrize("name", list(CODE))
def test_effective_lr_is_table_lr_times_code_adjustment(name):
    _, pz, muon = _run(name)
    seen = set()
    for g in muon.param_groups:
        (n,), p = g["param_names"], g["params"][0]
        a, b = p.shape
        effective = torch_muon._adjust_lr(g["lr"], g["adjust_lr_fn"], p.shape)
        table_lr = 0.02 * pz.records[n].lr_scale
        assert effective == pytest.approx(table_lr * CODE[name](a, b), rel=1e-12), n
        seen.add(n)
    assert seen == {"embed.weight", "hidden.0.weight", "head.weight"}


def test_one_step_update_ratio_between_conventions():
    # same seed, same gradient, same Newton-Schulz output O: ||dW|| ratios are the ratios of the effective LRs
    steps = {}
    for name in ("muon-keller", "muon-moonlight", "scion-spectral"):
        model, pz, muon = _run(name)
        w0 = {n: p.detach().clone() for n, p in model.named_parameters()}
        x, y = torch.randn(8, 16, generator=torch.Generator().manual_seed(1)), torch.arange(8) % 10
        torch.nn.functional.cross_entropy(model(x), y).backward()
        muon.step()
        steps[name] = {n: float((p.detach() - w0[n]).norm()) / (0.02 * pz.records[n].lr_scale)
                       for n, p in model.named_parameters()}
    # embed 128x16: keller sqrt(8), moonlight 0.2 sqrt(128), scion sqrt(8)
    k, m, s = steps["muon-keller"], steps["muon-moonlight"], steps["scion-spectral"]
    assert m["embed.weight"] / k["embed.weight"] == pytest.approx(0.2 * math.sqrt(128) / math.sqrt(8), rel=1e-4)
    assert s["embed.weight"] / k["embed.weight"] == pytest.approx(1.0, rel=1e-4)
    # head 10x128: keller 1, scion sqrt(10/128)
    assert s["head.weight"] / k["head.weight"] == pytest.approx(math.sqrt(10 / 128), rel=1e-4)
