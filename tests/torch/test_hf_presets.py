"""Hugging Face presets: every parameter of GPT-2 / Llama / Mistral / Qwen2 gets a role with no globs,
the numbers are TP5 Table 8's (arXiv 2203.03466), tied embeddings work, the attention scale goes through
the module's own ``scaling``, and at the base shape the model is unchanged.

Expected values: TP5 Table 8 (arXiv 2203.03466) at width ratio 4: hidden Adam LR x 1/4, readout multiplier 1/4,
embedding LR x 1, attention 1/d (0.125, worked out in the comment); the hidden-matrix counts (4 per GPT-2 block, 7
per Llama-family block) are the module layout of transformers 5.24.0; at the base shape the logits must equal an
untouched twin's exactly.

Kind: paper table (TP5 Table 8); external library (transformers 5.24.0's module layout).
"""

from __future__ import annotations

import math

import pytest
import torch

from scaling_exponents.errors import UserError
from scaling_exponents.torch import Parametrization

hf = pytest.importorskip("scaling_exponents.torch.presets.hf")
T = hf.import_transformers()
FAMILIES = hf.FAMILIES


def config(family, width, **kw):
    return hf.tiny_config(family, width, vocab=64, block=32, **kw)


def model(family, width, seed=0, **kw):
    torch.manual_seed(seed)
    return T.AutoModelForCausalLM.from_config(config(family, width, **kw))


def batch(seed=3):
    return torch.randint(0, 64, (4, 12), generator=torch.Generator().manual_seed(seed))


def train(m, groups, steps=3):
    opt, ids, losses = torch.optim.AdamW(groups), batch(), []
    for _ in range(steps):
        loss = m(input_ids=ids, labels=ids).loss
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("family", FAMILIES)
def test_preset_gives_every_parameter_a_role_with_table8_numbers(family):
    m = model(family, 64)
    p = Parametrization(m, "mup-table8", base_model=config(family, 16), lr=1e-2)
    assert p.preset.name == f"hf-{family}"
    assert not [n for n, i in p.records.items() if i.role == "default"]
    assert p.unmatched == [] and p.unapplied == []
    roles = {i.role for i in p.records.values()}
    assert {"embedding", "hidden", "norm"} <= roles
    hidden = [i for i in p.records.values() if i.role == "hidden"]
    assert len(hidden) == (4 if family == "gpt2" else 7) * 2
    # Table 8 (Adam): hidden LR x 1/fan_in ratio = 1/4, readout multiplier 1/4, embedding LR x 1
    assert all(i.lr_scale == pytest.approx(0.25) for i in hidden)
    assert all(i.lr_scale == 1.0 for i in p.records.values() if i.role == "embedding")
    head = m.lm_head
    from scaling_exponents.torch import get_multipliers

    assert get_multipliers(head)[0] == pytest.approx(0.25)
    # attention: base 1/sqrt(d0) at d0 = 16/4 = 4, times (d/d0)^-1 with d = 64/4 = 16: 0.5 * 4/16
    attn = [mod for n, mod in m.named_modules() if n.endswith((".attn", ".self_attn"))]
    assert attn and all(a.scaling == pytest.approx(0.125) for a in attn)
    assert train(m, p.param_groups, steps=2)[-1] < math.log(64) + 1


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_at_the_base_shape_the_model_is_unchanged(family):
    ref = model(family, 32)
    twin = model(family, 32)
    Parametrization(twin, "mup-table8", base_model=config(family, 32))
    ids = batch()
    with torch.no_grad():
        assert torch.equal(ref(input_ids=ids).logits, twin(input_ids=ids).logits)


def test_width_ratio_from_config_equals_base_config():
    a = Parametrization(model("llama", 64), "mup-table8", base_width=16, base_head_dim=4, lr=1e-2)
    b = Parametrization(model("llama", 64), "mup-table8", base_model=config("llama", 16), lr=1e-2)
    assert [g["lr"] for g in a.param_groups] == [g["lr"] for g in b.param_groups]


def test_tied_embeddings_share_one_tensor_with_two_multipliers():
    m = model("llama", 64, tie=True)
    assert m.lm_head.weight is m.model.embed_tokens.weight
    p = Parametrization(m, "mup-table8", base_model=config("llama", 16, tie=True))
    emb = p.records["model.embed_tokens.weight"]
    assert "lm_head.weight" not in p.records
    assert [(n, r, mult) for n, r, mult, *_ in emb.aliases] == [("lm_head.weight", "readout", 0.25)]
    ids = batch()
    with torch.no_grad():  # logits = (1/4) h E^T: the embedding lookup itself is not scaled
        h = m.model(input_ids=ids).last_hidden_state
        assert torch.allclose(m(input_ids=ids).logits, 0.25 * h @ m.model.embed_tokens.weight.T, atol=1e-6)


def test_tables_that_cannot_tie_say_so():
    # TP5 Table 3 (no multipliers): readout init std 1/fan_in, embedding std 1 -> one tensor cannot be both
    with pytest.raises(UserError, match="tied"):
        Parametrization(model("gpt2", 64), "mup-table3", base_model=config("gpt2", 16))


def test_gpt2_refuses_fan_rows_and_explains_scale_attn_weights_off():
    with pytest.raises(UserError, match="fan_in"):
        Parametrization(model("gpt2", 64, tie=False), "umup", base_model=config("gpt2", 16, tie=False))
    cfg = config("gpt2", 64)
    cfg.scale_attn_weights = False
    torch.manual_seed(0)
    p = Parametrization(T.AutoModelForCausalLM.from_config(cfg), "mup-table8", base_width=16, base_head_dim=4)
    assert [r.key() for r, _ in p.unapplied] == [("attention", "logit_scale", "head_dim")]
    assert "scale_attn_weights=False" in p.explain()


def test_base_config_of_another_family_is_a_user_error():
    with pytest.raises(UserError, match="same family"):
        Parametrization(model("llama", 32), "mup-table8", base_model=config("gpt2", 16))
