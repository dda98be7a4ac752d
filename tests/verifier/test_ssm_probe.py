"""The diagonal SSM verifier model and its latent-state probe (systems/ssm.py; Vankadara et al., NeurIPS 2024).

Expected values: the forward pass equals a hand-written zero-order-hold recurrence; the width slopes are this
project's MEASUREMENTS (widths 64..512, 2 seeds), not the paper's numbers: with muP's B init N_u^-1/2 the latent
state's coordinate RMS falls with width (measured -0.41; our reading, not the paper's: S4D-real modes decay at
rates growing with the state index, so the ZOH gains of the fast modes are small), with ssm-mup's sqrt(N_x/N_u) it
stays flat (measured +0.09).  One Adam step on B at muP's hidden LR n^-1 shrinks Delta x with width under either
init (measured -0.70 / -0.66): B's corrected LR is UNVERIFIED in the paper (systems/ssm.py), so the probe's ssm-mup
rule adds muP's hidden Adam LR N_u^-1.  B's std and LR come from the Parametrization (issue 22 item 5): at n = 4 x base
muP gives B std base^-1/2 x 4^-1/2 and LR x 4^-1 (Everett et al. arXiv 2407.05872 Table 1, hidden); ssm-mup's
sqrt(N_x / N_u) keeps the std at base^-1/2 (systems/ssm.py).

Kind: independent computation (the hand-written recurrence); regression: the project's own measured slopes.
"""

import math

import pytest
import torch

from scaling_exponents.errors import UserError
from scaling_exponents.verifier.models.ssm import DiagonalSSM
from scaling_exponents.verifier.probes.ssm import parametrize, probe_table, slopes

pytestmark = pytest.mark.usefixtures("two_torch_threads")


def test_forward_is_the_zoh_recurrence():
    m = DiagonalSSM(3, 4, b_std=0.5, seed=3)
    u = torch.randn(2, 5, 3, dtype=torch.float64)
    y, x = m(u)
    a = -torch.arange(1, 5, dtype=torch.float64)
    state = torch.zeros(2, 4, dtype=torch.float64)
    for t in range(5):
        lam = torch.exp(m.dt * a)
        state = lam * state + ((lam - 1) / a) * (u[:, t] @ m.B.T)
        assert torch.allclose(x[:, t], state)
        assert torch.allclose(y[:, t], state @ m.C.T + u[:, t])


def test_bad_sizes():
    with pytest.raises(UserError, match="b_std > 0"):
        DiagonalSSM(4, 4, b_std=0.0)


@pytest.fixture(scope="module")
def measured():
    return {"naive": slopes("mup"), "ssm-mup": slopes("ssm-mup")}


@pytest.mark.parametrize("rule, std_factor", [("mup", 0.5), ("ssm-mup", 1.0)])
def test_b_init_and_lr_come_from_the_parametrization(rule, std_factor):
    table, role = probe_table(rule)
    base, n = 64, 256
    m = DiagonalSSM(n, n, b_std=base ** -0.5, seed=0)
    b0 = m.B.detach().clone()
    pz = parametrize(m, table, role, n, base, lr0=0.1)
    assert torch.allclose(m.B.detach(), b0 * std_factor, rtol=1e-12)  # init="rescale": the table's init_std factor
    assert pz.lr_of("B") == pytest.approx(0.1 / 4)                    # LR n^-1 at n = 4 x base
    assert pz.records["C"].role == "default" and pz.lr_of("C") == pytest.approx(0.1)


def test_unknown_rule():
    with pytest.raises(UserError, match="measures the rules mup, ssm-mup"):
        probe_table("sp")


def test_latent_state_vanishes_under_mup_and_not_under_ssm_mup(measured):
    assert measured["naive"]["x_rms_slope"] == pytest.approx(-0.41, abs=0.1)
    assert measured["ssm-mup"]["x_rms_slope"] == pytest.approx(0.09, abs=0.1)
    # same model at the base width: the rules differ only away from it
    assert math.isclose(measured["naive"]["x_rms"][0], measured["ssm-mup"]["x_rms"][0])


def test_one_adam_step_at_mup_lr_shrinks_the_update(measured):
    for rule in ("naive", "ssm-mup"):
        assert measured[rule]["dx_rms_slope"] == pytest.approx(-0.68, abs=0.12)
