"""Every field of a run's config that changes its result is in the result store's key.

A rerun of ``verify --lr X`` into an existing ``--out`` folder must not reuse results measured at another LR:
for each :class:`RunConfig` field this file (1) runs a tiny :func:`coord_run` / :func:`depth_run` with the
field changed and checks the measured values change (the field matters), and (2) checks the store key
changes.  A new RunConfig field without a case here fails :func:`test_every_field_has_a_case`.
Where the expected values come from: **independent computation** (two real runs compared with each other);
no numbers are hard-coded.
"""

import dataclasses

import pytest

torch = pytest.importorskip("torch")

from scaling_exponents.evidence.store import ResultStore, config_key  # noqa: E402
from scaling_exponents.verifier.probes import RunConfig, coord_run, depth_run  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")

BASE = dict(param="mup", width=32, base_width=16, depth=1, steps=1, seeds=(0,), batch=8, ntk_points=2)

#: field -> (changed value, overrides of BASE that make the field act); device: only "cpu" runs here
CASES = {
    "param": ("sp", {}),
    "model": ("resmlp", {}),
    "optimizer": ("sgd", {}),
    "alignment": ("no", {}),
    "width": (24, {}),
    "depth": (2, {}),
    "base_width": (8, {}),
    "base_depth": (1, {"model": "resmlp", "param": "depth-mup", "depth": 2, "base_depth": 2}),
    "lr": (2e-2, {}),
    "steps": (2, {}),
    "seeds": ((1,), {}),
    "batch": (16, {}),
    "dtype": ("float64", {}),
    "device": ("cuda", {}),
    "ntk_points": (4, {"optimizer": "sgd"}),
    "block": (16, {"model": "gpt"}),
    "head_dim": (8, {"model": "gpt"}),
    "bias": (True, {}),
    "stats": ("l1", {}),
    "arch": ("modern", {"model": "gpt"}),
    # eps acts in per-matrix optimizer runs (probes.optim); SOAP skips its first step (preconditioner warm-up)
    "eps": (1e-1, {"param": "soap", "optimizer": "soap", "steps": 2}),
}


def _measure(cfg: RunConfig):
    if cfg.param == "soap":
        from scaling_exponents.verifier.probes.optim import optim_run

        run = optim_run
    else:
        run = depth_run if cfg.base_depth is not None else coord_run
    r = run(cfg)
    return r["metrics"], r.get("loss")


def test_every_field_has_a_case():
    assert set(CASES) == {f.name for f in dataclasses.fields(RunConfig)}


@pytest.mark.parametrize("field", sorted(CASES))
def test_field_is_in_the_store_key(field):
    alt, extra = CASES[field]
    a = RunConfig(**{**BASE, **extra})
    b = dataclasses.replace(a, **{field: alt})
    assert config_key(a.to_dict()) != config_key(b.to_dict()), field
    store = ResultStore(None)
    store.add(a.to_dict(), {"metrics": {}})
    assert b.to_dict() not in store and a.to_dict() in store


@pytest.mark.parametrize("field", sorted(set(CASES) - {"device"}))
def test_field_changes_the_measured_result(field):
    """The reason each field belongs in the key: changing it alone changes what the run measures."""
    alt, extra = CASES[field]
    a = RunConfig(**{**BASE, **extra})
    b = dataclasses.replace(a, **{field: alt})
    assert _measure(a) != _measure(b), field


def test_verify_rerun_at_another_lr_recomputes(tmp_path):
    from scaling_exponents.verifier.verify import Target, verify_target

    path = tmp_path / "results.jsonl"
    kw = dict(widths=[16, 32], seeds=2, steps=1, batch=8, nngp=False)
    s1 = verify_target(Target("mup", "adam", "mup"), lr=1e-2, store=ResultStore(path), **kw)
    n1 = len(ResultStore(path))
    s2 = verify_target(Target("mup", "adam", "mup"), lr=4e-2, store=ResultStore(path), **kw)
    assert n1 == 2 and len(ResultStore(path)) == 4  # two new runs, nothing reused from lr=1e-2
    assert s1["coord"] != s2["coord"]
    s3 = verify_target(Target("mup", "adam", "mup"), lr=4e-2, store=ResultStore(path), **kw)
    assert len(ResultStore(path)) == 4 and s3["coord"] == s2["coord"]  # same LR: reused


def test_depth_rerun_after_a_probe_change_recomputes(tmp_path, monkeypatch):
    """The driver records its table's digest and probe version (not in the key): a rerun after the depth probe's
    VERSION is bumped recomputes every run (with a warning) instead of reusing results that lack its new metrics."""
    from scaling_exponents.systems.registry import derive
    from scaling_exponents.verifier.probes import depth as depth_probe
    from scaling_exponents.verifier.verify import Target, verify_depth_target

    path = tmp_path / "results.jsonl"
    kw = dict(depths=[2, 4], width=16, seeds=2, steps=1, batch=8)
    target = Target("completep", "adamw", "completep:adamw")
    verify_depth_target(target, store=ResultStore(path), **kw)
    provs = [r["config"]["provenance"] for r in ResultStore(path).rows()]
    assert provs == [{"table": derive("completep", "adamw").digest(), "probe": f"depth v{depth_probe.VERSION}"}] * 2
    runs = []
    verify_depth_target(target, store=ResultStore(path), after_run=runs.append, **kw)
    assert runs == []  # same table, same probe: reused
    monkeypatch.setattr(depth_probe, "VERSION", depth_probe.VERSION + 1)
    with pytest.warns(UserWarning, match=r"2 run\(s\) of completep \(probe depth v1 -> depth v2\)"):
        verify_depth_target(target, store=ResultStore(path), after_run=runs.append, **kw)
    assert runs == [1, 2] and len(ResultStore(path)) == 2  # recomputed, the new records replace the old
