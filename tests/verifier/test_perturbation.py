"""SAM's per-layer perturbation probe: at the base width every radius factor is 1, so it measures plain SAM.

Kind: paper table -- Foret et al. (arXiv 2010.01412, Eq. 2): SAM's ascent step is ``eps = rho g / ||g||``, so the
per-layer norms ``||eps_l||`` add in quadrature to ``rho`` and each is ``rho ||g_l|| / ||g||``; the sam-global table
(Haas et al., arXiv 2411.00075) has all factors 1 at width = base width.
"""

import math

import pytest

pytest.importorskip("torch")
pytest.importorskip("pytorch_optimizer")
pytest.importorskip("sklearn")

from scaling_exponents.verifier.probes.config import RunConfig  # noqa: E402
from scaling_exponents.verifier.probes.perturbation import perturbation_run  # noqa: E402

RHO = 0.05


def test_plain_sam_perturbation_at_the_base_width():
    cfg = RunConfig("sam-global", optimizer="sgd", width=16, base_width=16, depth=1, steps=1, seeds=(0,), batch=8,
                    lr=0.1)
    r = perturbation_run(cfg, RHO)
    m = r["metrics"]
    assert r["nonfinite"] == []
    layers = ("embed", "hidden.0", "head")
    assert all(len(m[f"{n}|pert_norm"]) == 1 for n in layers)  # one value per seed, trained weights too
    pert = {n: m[f"{n}|pert_norm_t0"][0] for n in layers}
    grad = {n: m[f"{n}|grad_norm_t0"][0] for n in layers}
    assert math.sqrt(sum(v * v for v in pert.values())) == pytest.approx(RHO, rel=1e-5)
    g = math.sqrt(sum(v * v for v in grad.values()))
    for n in layers:
        assert pert[n] == pytest.approx(RHO * grad[n] / g, rel=1e-4)
