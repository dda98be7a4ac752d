"""A parametrized model compiles (``fullgraph=True``) and trains like the eager one (mup#60: microsoft/mup
keeps ``infshape`` on each Parameter, which FakeTensors drop; here the multipliers are buffers + a hook).

Expected values: the reference is the eager run of the same model and batches in the same test (losses equal to rel
1e-6); the attention scale 0.125 is TP5 Table 8's 1/d rule (arXiv 2203.03466): 1/sqrt(4) at base head_dim 4 times
4/16 at head_dim 16. The compiled path uses torch 2.13's dynamo/aot_eager.

Kind: independent computation (the eager run in the same test); paper table (TP5 Table 8's 1/d).
"""

from __future__ import annotations

import copy

import pytest
import torch

from scaling_exponents.torch import Parametrization
from scaling_exponents.verifier.models import GPT

pytestmark = pytest.mark.usefixtures("one_torch_thread")
BACKEND = "aot_eager"  # dynamo + AOTAutograd (hooks, buffers, backward) without a C++ toolchain


def _ids(seed=3):
    return torch.randint(0, 64, (4, 12), generator=torch.Generator().manual_seed(seed))


def _losses(model, groups, loss_fn, steps=3):
    opt, out = torch.optim.AdamW(groups), []
    for _ in range(steps):
        loss = loss_fn(model)
        out.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return out


def test_gpt_compiles_fullgraph_and_trains_like_eager():
    torch._dynamo.reset()
    torch.manual_seed(0)
    model = GPT(64, 64, 2, n_head=4, block_size=16)
    p = Parametrization(model, "mup-table8", base_width=16, base_head_dim=4, lr=1e-2)
    twin = copy.deepcopy(model)
    compiled = torch.compile(twin, fullgraph=True, backend=BACKEND)
    x, y = _ids(3), _ids(4)
    eager = _losses(model, p.param_groups, lambda m: m.loss(x, y))
    comp = _losses(compiled, p.param_groups_for(compiled), lambda m: m.loss(x, y))
    assert comp == pytest.approx(eager, rel=1e-6)
    assert eager[-1] < eager[0]


def test_hf_llama_compiles_fullgraph_and_trains_like_eager():
    hf = pytest.importorskip("scaling_exponents.torch.presets.hf")
    T = hf.import_transformers()
    torch._dynamo.reset()
    torch.manual_seed(0)
    cfg = hf.tiny_config("llama", 64, depth=1, vocab=64, block=32)
    model = T.AutoModelForCausalLM.from_config(cfg)
    p = Parametrization(model, "mup-table8", base_model=hf.tiny_config("llama", 16, depth=1, vocab=64, block=32), lr=1e-2)
    twin = copy.deepcopy(model)
    compiled = torch.compile(twin, fullgraph=True, backend=BACKEND)
    ids = _ids()

    def loss(m):
        return m(input_ids=ids, labels=ids).loss

    eager = _losses(model, p.param_groups, loss)
    assert _losses(compiled, p.param_groups_for(compiled), loss) == pytest.approx(eager, rel=1e-6)
    assert {a.scaling for n, a in twin.named_modules() if n.endswith("self_attn")} == {0.125}
