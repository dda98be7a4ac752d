"""The seed-batched MLP fast path of ``probes.coord_run`` records the same statistics as the generic
``vmap(grad(functional_call))`` path (same seeds, float tolerance), in both ``stats`` modes.

Where the expected values come from: **independent computation**: the generic vmap(grad(functional_call)) reference
path of the same runs.
"""

import math

import pytest

torch = pytest.importorskip("torch")

from scaling_exponents.errors import UserError  # noqa: E402
from scaling_exponents.verifier import probes as P  # noqa: E402
from scaling_exponents.verifier.probes import coord_fast  # noqa: E402
from scaling_exponents.evidence.store import config_key  # noqa: E402


def _same(a, b, rel=2e-5):
    assert set(a["metrics"]) == set(b["metrics"])
    for k in a["metrics"]:
        for u, v in zip(a["metrics"][k], b["metrics"][k], strict=True):
            assert math.isclose(u, v, rel_tol=rel, abs_tol=1e-7), (k, u, v)
    for r1, r2 in zip(a["loss"], b["loss"], strict=True):
        assert r1 == pytest.approx(r2, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("kw", [
    dict(param="mup-table8", optimizer="adam", width=24, depth=1, base_width=16, ntk_points=0),
    dict(param="mup", optimizer="adam", width=32, depth=2, base_width=16, seeds=(3, 7, 11)),
    dict(param="sp", optimizer="sgd", width=24, depth=2, base_width=16, lr=0.1),  # with the NTK
    dict(param="mup-table8", optimizer="adam", width=24, depth=1, base_width=16, stats="l1"),
])
def test_fast_path_equals_reference(kw, one_torch_thread):
    cfg = P.RunConfig(**kw)
    fast, ref = P.coord_run(cfg, impl="fast"), P.coord_run(cfg, impl="reference")
    _same(fast, ref)
    if cfg.stats == "l1":  # mup's record: mean |output| of every weight layer and ReLU call, t = 0..steps
        assert set(fast["metrics"]) == {f"{n}|l1|t{t}" for n in ("embed", "hidden.0", "head", "act[0]", "act[1]")
                                        for t in range(cfg.steps + 1)}
    else:
        assert "hidden.0|W_spec" in fast["metrics"] and "features|kernel_move" in fast["metrics"]


def test_fast_init_is_bitwise_the_reference_init(one_torch_thread):
    cfg = P.RunConfig(param="mup", optimizer="adam", width=40, depth=2, base_width=16, seeds=(0, 5, 9))
    ref = P.build_seeds(cfg, torch.device("cpu"), torch.float32)
    names, ws, scales, (lr, _, _) = coord_fast._build_mlp_seeds(cfg, torch.device("cpu"), torch.float32, 64, 10)
    for n, w, s in zip(names, ws, scales):
        assert torch.equal(w, ref.params[f"{n}.weight"]), n
        assert s == ref.scale[n] and lr[f"{n}.weight"] == ref.lr[f"{n}.weight"]


def test_stats_field_keeps_store_keys_and_dispatch():
    cfg = P.RunConfig(param="mup", width=64)
    assert "stats" not in cfg.to_dict()  # results.jsonl keys of existing (full-statistics) runs are unchanged
    assert config_key(cfg.to_dict()) != config_key(P.RunConfig(param="mup", width=64, stats="l1").to_dict())
    with pytest.raises(UserError, match="the fast MLP coord_run does not apply: model 'gpt'"):
        P.coord_run(P.RunConfig(param="mup", model="gpt", width=32), impl="fast")
    with pytest.raises(UserError, match="stats must be 'full' or 'l1', got 'l2'"):
        P.coord_run(P.RunConfig(param="mup", stats="l2"))
