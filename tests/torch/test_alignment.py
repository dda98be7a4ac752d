"""Alignment measurement (Everett et al., arXiv 2407.05872, Sec. 3) on constructed cases: full alignment
reads 1, no alignment 1/2, in RMS and spectral modes; chain detection; save/restore of the initial state.

Expected values: independent computation on constructed updates whose alignment is known analytically (Everett et
al. arXiv 2407.05872 Sec. 3 definitions): a rank-one update along the input gives alpha = 1 exactly; an independent
Gaussian update gives ||dW z|| / ||dW|| ~ sqrt(n), i.e. alpha = 1/2 (tolerances are sampling error at width 1024);
regenerated vs stored initial weights must agree, and the memory saved is numel x 4 bytes.
"""

import math

import pytest
import torch
from torch import nn

from scaling_exponents.errors import UserError
from scaling_exponents.torch import Parametrization
from scaling_exponents.torch.alignment import AlignmentProbe, chain_layers
from scaling_exponents.verifier.models import GPT, MLP

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _mlp(width=512, seed=0):
    torch.manual_seed(seed)
    return MLP(16, width, 4, depth=1, bias=False)


def _same_rows(b=4, d=16, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(1, d, generator=g).repeat(b, 1)


@pytest.mark.parametrize("mode", ["rms", "spectral"])
def test_rank_one_update_along_the_input_reads_full_alignment(mode):
    model = _mlp()
    probe = AlignmentProbe(model, _same_rows(), mode=mode)
    z0 = probe.z0["hidden.0.weight"][0]  # the hidden layer's initial input (one distinct row)
    with torch.no_grad():
        model.hidden[0].weight += 1e-3 * torch.randn(512, 1) @ z0[None, :]
    hidden = {a.name: a for a in probe.measure()}["hidden.0.weight"]
    assert hidden.alpha == pytest.approx(1.0, abs=1e-4)  # float32 norms
    assert hidden.omega is None and hidden.u is None  # its input did not change


def test_independent_update_reads_no_alignment():
    model = _mlp(width=1024)
    probe = AlignmentProbe(model, torch.randn(16, 16, generator=torch.Generator().manual_seed(2)))
    with torch.no_grad():
        model.hidden[0].weight += 1e-3 * torch.randn(1024, 1024, generator=torch.Generator().manual_seed(3))
    hidden = {a.name: a for a in probe.measure()}["hidden.0.weight"]
    assert hidden.alpha == pytest.approx(0.5, abs=0.02)
    assert hidden.ratios[0] == pytest.approx(math.sqrt(1024), rel=0.05)


def test_rank_one_update_against_an_independent_input_reads_half_in_spectral_mode():
    model = _mlp(width=1024)
    probe = AlignmentProbe(model, torch.randn(16, 16, generator=torch.Generator().manual_seed(4)), mode="spectral")
    with torch.no_grad():
        g = torch.Generator().manual_seed(5)
        model.hidden[0].weight += 1e-3 * torch.randn(1024, 1, generator=g) @ torch.randn(1, 1024, generator=g)
    hidden = {a.name: a for a in probe.measure()}["hidden.0.weight"]
    assert hidden.alpha == pytest.approx(0.5, abs=0.08)


def test_omega_and_u_from_an_input_change():
    # change the embedding so the hidden layer's input moves; the initial hidden weights are random w.r.t. that
    # change (omega ~ 1/2) and a hidden update along the input change is fully aligned with it (u = 1)
    model = _mlp(width=1024)
    probe = AlignmentProbe(model, _same_rows(d=16))
    with torch.no_grad():
        model.embed.weight += 0.5 * torch.randn_like(model.embed.weight)
        z_new = torch.relu(model.embed(_same_rows(d=16)))[0]
        dz = z_new - probe.z0["hidden.0.weight"][0]
        model.hidden[0].weight += 1e-3 * torch.randn(1024, 1) @ dz[None, :]
    hidden = {a.name: a for a in probe.measure()}["hidden.0.weight"]
    assert hidden.omega == pytest.approx(0.5, abs=0.03)
    assert hidden.u == pytest.approx(1.0, abs=1e-4)


def test_regenerated_initial_weights_equal_stored_ones_and_hold_no_weight_memory():
    model = _mlp(width=256)
    x = torch.randn(8, 16, generator=torch.Generator().manual_seed(6))
    regen = AlignmentProbe(model, x, w0="regenerate", seed=3)
    stored = AlignmentProbe(model, x, w0="store")
    with torch.no_grad():
        model.hidden[0].weight += 1e-2 * torch.randn_like(model.hidden[0].weight)
    a, b = regen.measure(), stored.measure()
    assert [x.alpha for x in a] == pytest.approx([x.alpha for x in b], abs=1e-6)
    w_bytes = sum(p.numel() * 4 for n, p in model.named_parameters() if n.endswith("weight"))
    assert stored.memory_bytes - regen.memory_bytes == w_bytes


def test_gpt_chain_roles_and_state_round_trip():
    torch.manual_seed(0)
    model = GPT(256, 32, 1, n_head=2, block_size=8)
    param = Parametrization(model, "mup", "adam", base_width=16)
    names = [(n, r) for n, _, r in chain_layers(model, param)]
    assert names[0] == ("embed.weight", "embedding") and names[-1] == ("head.weight", "readout")
    assert ("blocks.0.mlp.down.weight", "hidden") in names
    x = torch.randint(0, 256, (4, 8), generator=torch.Generator().manual_seed(0))
    probe = AlignmentProbe(model, x, param=param, rows=16)
    assert probe.z0["blocks.0.mlp.down.weight"].shape == (16, 128)
    other = AlignmentProbe(model, x, param=param, rows=16)
    other.load_state_dict(probe.state_dict())
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1e-3 * torch.randn_like(p))
    assert [m.triple() for m in other.measure()] == [m.triple() for m in probe.measure()]


def test_bad_inputs_are_one_line_errors():
    model = _mlp(width=64)
    with pytest.raises(UserError, match="mode must be one of"):
        AlignmentProbe(model, torch.randn(2, 16), mode="frobenius")
    with pytest.raises(UserError, match="tied weights"):
        torch.manual_seed(0)
        gpt = GPT(256, 32, 1, n_head=2, block_size=8, tied_embeddings=True)
        AlignmentProbe(gpt, torch.zeros(1, 8, dtype=torch.long))
    with pytest.raises(UserError, match="embedding and one readout"):
        AlignmentProbe(nn.Sequential(nn.Linear(4, 4)), torch.randn(2, 4))
