"""A minimal diagonal linear state-space layer (the LTI core of S4D / S5 / Mamba) with stable parameter names, for
measuring how its latent state scales with width (:mod:`scaling_exponents.systems.ssm`).

    x_t = exp(Delta * A) ⊙ x_{t-1} + Bbar u_t,   Bbar = ((exp(Delta A) - 1) / A) ⊙ B   (zero-order hold)
    y_t = C x_t + D ⊙ u_t

``A`` is S4D-real, ``A_k = -(k + 1)`` for k = 0..N_x-1 -- Mamba's ``A_log = log(1..N)`` init (arXiv 2312.00752;
``alxndrTL/mamba.py``): the transition is *structured*, its decay rates grow with the state index.  ``Delta`` is one
fixed step per state, log-uniform in [dt_min, dt_max] (Mamba's dt init range 1e-3..1e-1).  ``B`` (N_x x N_u) is drawn
with std ``b_std`` (the quantity ``ssm-mup`` scales), ``C`` (N_u x N_x) with std N_x^-1/2, ``D`` ones.  Selection
(input-dependent B_t, C_t, Delta_t) is left out: this is the LTI setting of the paper's App. C.3 as the secondary
code reads it.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ...errors import UserError


class DiagonalSSM(nn.Module):
    """``forward(u)``, ``u`` (batch, T, N_u), returns ``(y, x)``: outputs (batch, T, N_u), states (batch, T, N_x)."""

    def __init__(self, n_u: int, n_x: int, b_std: float, dt_min: float = 1e-3, dt_max: float = 1e-1,
                 seed: int = 0):
        super().__init__()
        if min(n_u, n_x) < 1 or b_std <= 0 or not 0 < dt_min <= dt_max:
            raise UserError(f"DiagonalSSM needs n_u, n_x >= 1, b_std > 0, 0 < dt_min <= dt_max; got n_u={n_u}, "
                            f"n_x={n_x}, b_std={b_std}, dt=[{dt_min}, {dt_max}]")
        g = torch.Generator().manual_seed(seed)
        self.n_u, self.n_x = n_u, n_x
        self.A_log = nn.Parameter(torch.log(torch.arange(1, n_x + 1, dtype=torch.float64)))
        log_dt = torch.rand(n_x, generator=g, dtype=torch.float64) * (math.log(dt_max) - math.log(dt_min))
        self.register_buffer("dt", torch.exp(log_dt + math.log(dt_min)))
        self.B = nn.Parameter(torch.randn(n_x, n_u, generator=g, dtype=torch.float64) * b_std)
        self.C = nn.Parameter(torch.randn(n_u, n_x, generator=g, dtype=torch.float64) / math.sqrt(n_x))
        self.D = nn.Parameter(torch.ones(n_u, dtype=torch.float64))

    def forward(self, u):
        """Run the zero-order-hold discretised diagonal SSM over ``u`` (batch, time, N_u): ``x_t = exp(dt A) x_{t-1}
        + Bbar u_t``; returns ``(C x_t + D u_t, x)`` -- the output and the latent states the probe measures."""
        a = -torch.exp(self.A_log)
        decay = torch.exp(self.dt * a)                      # exp(Delta A), in (0, 1)
        inject = (decay - 1) / a                            # ZOH gain (exp(Delta A) - 1) / A
        drive = (u @ self.B.T) * inject                     # Bbar u_t, (batch, T, N_x)
        x, xs = torch.zeros_like(drive[:, 0]), []
        for t in range(u.shape[1]):
            x = decay * x + drive[:, t]
            xs.append(x)
        x = torch.stack(xs, dim=1)
        return x @ self.C.T + self.D * u, x
