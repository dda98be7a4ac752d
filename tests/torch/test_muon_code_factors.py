"""The muon-convention tables against the running code: torch.optim.Muon's ``_adjust_lr`` (torch 2.13) gives the
same factor between two matrix shapes as the derived table's combined factor.

Expected values come from an external library run live: torch.optim.Muon's ``_adjust_lr`` (torch 2.13.0,
torch/optim/_muon.py: 'original' sqrt(max(1, A/B)), 'match_rms_adamw' 0.2 sqrt(max(A, B))); the spectral ratio
sqrt(fan_out/fan_in) is Qiu et al. arXiv 2512.05620 Table 1, computed by hand in the test.
"""

from functools import lru_cache

import pytest

torch_muon = pytest.importorskip("torch.optim._muon")

from scaling_exponents.systems.registry import derive as _derive  # noqa: E402

derive = lru_cache(maxsize=None)(_derive)

SHAPES = [((1024, 256), (256, 256), "fan_out>=fan_in"), ((256, 256), (256, 64), "fan_out>=fan_in"),
          ((256, 1024), (256, 256), "fan_out<fan_in"), ((64, 4096), (64, 512), "fan_out<fan_in")]


@pytest.mark.parametrize("name,fn", [("torch-muon-original", None), ("torch-muon-original", "original"),
                                     ("torch-muon-match-rms", "match_rms_adamw")])
@pytest.mark.parametrize("shape,base,regime", SHAPES)
def test_adjustment_factor_equals_code(name, fn, shape, base, regime):
    t = derive(name, mode="fan", regime=regime)
    sizes = {"fan_out": (shape[0], base[0]), "fan_in": (shape[1], base[1])}
    code = torch_muon._adjust_lr(1.0, fn, shape) / torch_muon._adjust_lr(1.0, fn, base)
    assert t.combined_factor("weight", "lr_adjustment", sizes) == pytest.approx(code, rel=1e-12)
    # and base LR x adjustment is the spectral sqrt(fan_out/fan_in) ratio
    spectral = ((shape[0] / shape[1]) / (base[0] / base[1])) ** 0.5
    assert t.combined_factor("weight", "lr", sizes) * code == pytest.approx(spectral, rel=1e-12)
