"""Predicted exponents of the reference MoE network (:class:`scaling_exponents.verifier.models.moe.MoENet`) along
``width``, ``experts`` (at fixed sparsity kappa = k/E, so the number of active experts k ∝ E) or ``depth``, read
off an MoE table (``moe-mup``, arXiv 2508.09752; ``moe-completep``, arXiv 2601.20205).

Adam steps (update entries ∝ LR) with LLN alignment, as in arXiv 2601.20205 Sec. 4 ("an aligned update summed
over fan_in k moves a coordinate by eta k"); init sums are CLT sums.  With ``P(role, q)`` the table's power along
the dimension and ``fi`` the fan-in exponent (router, expert_up: width; expert_down: n_hid = alpha_ffn width):

* router logits, expert pre-activations (``expert_up``): ``init = sigma + fi/2``;
  ``delta = max(lr + fi, sigma + fi/2 + dx)`` (own update; init weights on the input change ``dx``);
* expert outputs (``expert_down``, input = act(up)): ``init = sigma + fi/2 + up_init``,
  ``delta = max(lr + fi + up_init, sigma + fi/2 + up_delta)``;
* MoE output ``f = s sum_{k active} g_i E_i`` (gates Θ(1), ``s`` = the ``moe_output`` multiplier, ``k`` grows
  like E along ``experts``): ``init = s + k/2 + down_init`` (independent experts at init: CLT over k terms),
  ``delta = s + k + max(down_delta, router_delta + down_init)`` (aligned expert updates add up over k: LLN);
* residual branch ``r f``: ``r + f``; residual stream change: the sum over L aligned branch changes,
  ``branch_delta + [dimension == depth]``; the input change ``dx`` of a block is ``min(0, stream_delta)``
  (LayerNorm keeps it O(1));
* ``dW_rms`` of router / expert_up / expert_down: the LR power (Adam).
The load-balancing bias moves by a rule, not by gradients: not measured (its ``lr`` row is listed as not measured).
"""

from __future__ import annotations

from ..errors import UserError
from ..theory.exponents import Q
from .predict import Prediction, Predictions

SRC = "arXiv 2601.20205 Sec. 4 (Adam ~ SignGD, LLN alignment) applied to the table"
MOE_ROLES = ("router", "expert_up", "expert_down")
DIMENSIONS = ("width", "experts", "depth")
#: fan-in exponent of each role along each dimension (alpha_ffn held fixed in the sweeps)
FAN_IN = {"router": {"width": 1}, "expert_up": {"width": 1}, "expert_down": {"width": 1}}
#: exponent of the number of active experts k: kappa = k/E fixed, so k ∝ E along `experts`
N_ACT = {"experts": 1}


def check_moe_table(table) -> None:
    """A one-line error when a table cannot be put on the MoE network (it must state the MoE roles)."""
    missing = [r for r in MOE_ROLES if r not in table.roles]
    if missing:
        raise UserError(f"table {table.parametrization} has no role {missing[0]!r} (has {', '.join(table.roles)}): "
                        "--model moe runs tables with router/expert roles (moe-mup, moe-completep); use --model mlp, "
                        "resmlp or gpt for this table")


def predict_moe(table, dimension: str) -> Predictions:
    """Predicted exponents of the reference MoE network along ``dimension`` (width, experts at fixed kappa, or
    depth), read off an MoE table with the CLT init sums and the LLN-aligned Adam updates of arXiv 2601.20205 Sec.
    4 (see the module docstring for each formula); a dimension outside :data:`DIMENSIONS` is a :class:`UserError`."""
    if dimension not in DIMENSIONS:
        raise UserError(f"MoE sweeps run along {', '.join(DIMENSIONS)}; got {dimension!r}")
    check_moe_table(table)
    P = lambda role, q: Q(table.power(role, q, dimension))
    half = Q("1/2")
    fi = {r: Q(FAN_IN[r].get(dimension, 0)) for r in MOE_ROLES}
    k = Q(N_ACT.get(dimension, 0))
    depth_sum = Q(1) if dimension == "depth" else Q(0)
    m = {r: P(r, "multiplier") for r in MOE_ROLES}
    # the input change of a block depends on the stream change, which depends on the blocks: iterate to a fixpoint
    dx = Q(0)
    for _ in range(4):
        router_init = m["router"] + P("router", "init_std") + half * fi["router"]
        router_delta = max(m["router"] + P("router", "lr") + fi["router"],
                           m["router"] + P("router", "init_std") + half * fi["router"] + dx)
        up_init = m["expert_up"] + P("expert_up", "init_std") + half * fi["expert_up"]
        up_delta = max(m["expert_up"] + P("expert_up", "lr") + fi["expert_up"],
                       m["expert_up"] + P("expert_up", "init_std") + half * fi["expert_up"] + dx)
        down_init = m["expert_down"] + P("expert_down", "init_std") + half * fi["expert_down"] + up_init
        down_delta = max(m["expert_down"] + P("expert_down", "lr") + fi["expert_down"] + up_init,
                         m["expert_down"] + P("expert_down", "init_std") + half * fi["expert_down"] + up_delta)
        s, r = P("moe_output", "multiplier"), P("residual_branch", "multiplier")
        f_init = s + half * k + down_init
        f_delta = s + k + max(down_delta, min(router_delta, 0) + down_init)
        stream_delta = r + f_delta + depth_sum
        new_dx = min(Q(0), stream_delta)
        if new_dx == dx:
            break
        dx = new_dx
    items = [
        Prediction("router", "act_init", router_init, "sigma + fi/2", SRC),
        Prediction("router", "act_delta", router_delta, "max(lr + fi, sigma + fi/2 + dx)", SRC),
        Prediction("expert_up", "act_init", up_init, "sigma + fi/2", SRC),
        Prediction("expert_up", "act_delta", up_delta, "max(lr + fi, sigma + fi/2 + dx)", SRC),
        Prediction("expert_down", "act_init", down_init, "sigma + fi/2 + up_init", SRC),
        Prediction("expert_down", "act_delta", down_delta, "max(lr + fi + up_init, sigma + fi/2 + up_delta)", SRC),
        Prediction("moe_output", "act_init", f_init, "s + k/2 + down_init (CLT over k active experts)", SRC),
        Prediction("moe_output", "act_delta", f_delta, "s + k + max(down_delta, router_delta + down_init)", SRC),
        Prediction("residual_branch", "act_init", r + f_init, "r + f_init", SRC),
        Prediction("residual_branch", "act_delta", r + f_delta, "r + f_delta", SRC),
        Prediction("stream", "act_delta", stream_delta, "r + f_delta (+1 along depth: L aligned branches)", SRC),
    ]
    items += [Prediction(role, "dW_rms", m[role] + P(role, "lr"), "lr power (Adam entries ∝ LR)", SRC)
              for role in MOE_ROLES]
    for p in items:
        p.dimension = dimension
    notes = [f"along {dimension}: " + ", ".join(f"{r} fan_in^{fi[r]}" for r in MOE_ROLES) + f", k ∝ {dimension}^{k}"]
    if any(p.exponent > 0 for p in items if p.quantity in ("act_init", "act_delta")):
        notes.append("the table predicts growing quantities along this dimension (a pass then confirms the growth)")
    return Predictions(table.parametrization, table.optimizer or "adam", "", items, notes=notes)
