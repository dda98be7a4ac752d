"""Online per-layer LRs from measured alignment (seed 003 Phase 2, ``param.step()``): LRs change only at
solve steps, compose with cosine / one-cycle / warmup-stable-decay schedules (the schedule scales every group,
the solver sets the ratios), survive save/resume; the measure-once table round-trips into Parametrization.

Expected values: independent computation: the same torch LR scheduler run alone on an untouched group gives the
reference schedule; solve steps 5, 10, 15 follow from warmup = every = 5; after a solve each LR must be base x
(64/32)^-c for the solver's own c (self-consistency, no paper value); resume must equal the uninterrupted run bit
for bit. The c values [0.5, 0.8, 0.8, 0.4] are arbitrary inputs; warnings/errors are the project's text.
"""

import io
import warnings

import pytest
import torch
from torch.optim.lr_scheduler import CosineAnnealingLR, LambdaLR, OneCycleLR

from scaling_exponents.errors import UserError
from scaling_exponents.systems.everett2024_aligned import load
from scaling_exponents.torch import Parametrization
from scaling_exponents.verifier.models import MLP

pytestmark = pytest.mark.usefixtures("one_torch_thread")

T, EVERY, WARMUP = 16, 5, 5
G = torch.Generator().manual_seed(0)
X, Y = torch.randn(64, 16, generator=G), torch.randint(0, 4, (64,), generator=G)


def _wsd(t):  # warmup 3 steps, stable, linear decay over the last 5
    return min((t + 1) / 3, 1.0, max(0.0, (T + 1 - t) / 6))


SCHEDULES = {
    "cosine": lambda opt: CosineAnnealingLR(opt, T_max=T + 4),
    "onecycle": lambda opt: OneCycleLR(opt, max_lr=[g["lr"] for g in opt.param_groups], total_steps=T + 1),
    "wsd": lambda opt: LambdaLR(opt, _wsd),
}


def _build(kind, **online_kw):
    torch.manual_seed(0)
    model = MLP(16, 64, 4, depth=2)
    param = Parametrization(model, "mup", "adam", base_width=32, lr=3e-3)
    online = param.online(X[:16], every=EVERY, warmup=WARMUP, **online_kw)
    opt = torch.optim.Adam(param.param_groups)
    sched = SCHEDULES[kind](opt)
    online.attach(opt, sched)
    return model, param, online, opt, sched


def _train(model, param, opt, sched, steps, log):
    for _ in range(steps):
        i = torch.randint(0, 64, (16,), generator=torch.Generator().manual_seed(len(log)))
        loss = torch.nn.functional.cross_entropy(model(X[i]), Y[i])
        loss.backward()
        opt.step()
        sched.step()
        solved = param.step()
        opt.zero_grad()
        log.append(({n: g["lr"] for g in opt.param_groups for n in g["param_names"]}, solved))


@pytest.mark.parametrize("kind", sorted(SCHEDULES))
def test_lr_ratios_change_only_at_solve_steps_and_the_schedule_is_kept(kind):
    model, param, online, opt, sched = _build(kind)
    ref = "hidden.0.bias"  # a group the solver never touches: it follows the schedule alone
    alone = SCHEDULES[kind](torch.optim.Adam([torch.zeros(1)], lr=param.lr_of(ref)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log = []
        _train(model, param, opt, sched, T, log)
    solves = [t + 1 for t, (_, s) in enumerate(log) if s]
    assert solves == [5, 10, 15]
    sched_alone = []
    for _ in range(T):
        alone.optimizer.step()
        alone.step()
        sched_alone.append(alone.get_last_lr()[0])
    chain = online.names[1:]  # hidden and readout weights (the embedding's c is tied to r_1 only)
    for t, (lrs, solved) in enumerate(log):
        assert lrs[ref] == pytest.approx(sched_alone[t], rel=1e-12)
        if t and not solved:
            for n in chain:
                assert lrs[n] / lrs[ref] == pytest.approx(log[t - 1][0][n] / log[t - 1][0][ref], rel=1e-12)
    # after the last solve each chain group's LR is base x (width/base_width)^-c_l times the schedule
    lrs = log[-1][0]
    for n, c in zip(online.names, online.c):
        expect = 3e-3 * 2.0 ** (-c) * lrs[ref] / (3e-3 * param.records[ref].lr_scale)
        assert lrs[n] == pytest.approx(expect, rel=1e-9)
    assert any(abs(c - f) > 1e-3 for c, f in zip(online.c, online.solver.per_weight(online.solver.c_full)))


def test_save_and_resume_reproduce_the_uninterrupted_run():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model, param, online, opt, sched = _build("cosine")
        _train(model, param, opt, sched, T, [])
        straight = [p.detach().clone() for p in model.parameters()]

        model, param, online, opt, sched = _build("cosine")
        log = []
        _train(model, param, opt, sched, 12, log)
        buf = io.BytesIO()
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                    "online": online.state_dict()}, buf)
        buf.seek(0)
        state = torch.load(buf, weights_only=False)
        model, param, online, opt, sched = _build("cosine")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        online.load_state_dict(state["online"])
        _train(model, param, opt, sched, T - 12, log)
    for a, b in zip(straight, model.parameters()):
        assert torch.equal(a, b.detach())
    assert [h["step"] for h in online.history] == [5, 10, 15]


def test_bad_measurement_keeps_the_last_solution_with_a_warning():
    model, param, online, opt, sched = _build("cosine")
    online.set_c([0.5, 0.8, 0.8, 0.4])
    before = [g["lr"] for g in opt.param_groups]
    online.t = WARMUP - 1  # next step is a solve step, but nothing has moved: every product is zero
    with pytest.warns(UserWarning, match="hidden.0.weight: alpha not measurable"):
        assert param.step()
    assert [g["lr"] for g in opt.param_groups] == before and online.c == [0.5, 0.8, 0.8, 0.4]


def test_measure_once_table_round_trips_into_parametrization(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model, param, online, opt, sched = _build("wsd")
        _train(model, param, opt, sched, T, [])
    path = online.table(meta={"width": 64}).save(tmp_path / "align.json")
    table = load(path)
    torch.manual_seed(1)
    wide = MLP(16, 256, 4, depth=2)
    p2 = Parametrization(wide, "mup", "adam", base_width=32, lr=1e-3, settings={"table": path})
    for x in table.layers:
        assert p2.lr_of(x.name) == pytest.approx(1e-3 * 8.0 ** (-x.c), rel=1e-9)
    assert p2.lr_of("hidden.0.bias") == pytest.approx(1e-3 * Parametrization(
        MLP(16, 256, 4, depth=2), "mup", "adam", base_width=32, lr=1e-3).lr_of("hidden.0.bias") / 1e-3)
    names = {n for g in p2.param_groups for n in g["param_names"] if len(g["param_names"]) == 1}
    assert {x.name for x in table.layers} <= names  # one optimizer group per measured weight
    with pytest.raises(UserError, match="solved for mup with adam; this Parametrization is sp"):
        Parametrization(MLP(16, 64, 4, depth=2), "sp", "adam", base_width=32, settings={"table": path})
    with pytest.raises(UserError, match="does not exist"):
        Parametrization(MLP(16, 64, 4, depth=2), "mup", "adam", base_width=32, settings={"table": tmp_path / "nope.json"})
    with pytest.raises(UserError, match="param.online"):
        p2.step()
