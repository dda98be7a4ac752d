"""Measure Everett et al.'s alignment exponents (alpha, omega, u) per layer on a probe batch.

Everett et al. (arXiv 2407.05872, Sec. 3) split the change of a layer's output from initialisation,
``W z - W0 z0 = dW z0 + W0 dz + dW dz`` (``dW = W - W0``, ``dz = z - z0``: the change of the weights and
of the layer's input), and define an alignment exponent for each product from how its norm compares with
the norms of its factors:

* ``alpha``: ``dW z0``  (the update against the initial input),
* ``omega``: ``W0 dz``  (the initial weights against the input change),
* ``u``:     ``dW dz``  (the update against the input change),

each ``log(||A z||_rms / (||A||_rms ||z||_rms)) / log(fan_in)`` (the log-alignment ratio, as in
m-wojnar/maxP ``maxp/alignment.py``; ``||A||_rms`` is the RMS of the matrix entries, ``||z||_rms`` over the
probe rows and features).  A product of aligned factors sums ``fan_in`` terms coherently (ratio ``fan_in``,
exponent 1, "full" alignment); independent factors sum like a random walk (ratio ``sqrt(fan_in)``, exponent
1/2, "no" alignment).  Because a finite probe batch and finite width bias a single-width reading (e.g. a
batch-B gradient of an aligned layer reads ``1 - log B / (2 log n)``), the robust estimate is the slope of
the log ratio across a width sweep (:mod:`scaling_exponents.verifier.alignment_sweep`).

``mode="spectral"`` uses the operator norm instead: ``1 + log(||A Z||_F / (||A||_op ||Z||_F)) / log(fan_in)``
(1 when the inputs lie in the top singular direction of ``A``, 1/2 for an input independent of a rank-one
``A``), the spectral-condition view (Yang, Simon & Bernstein, arXiv 2310.17813).

The initial state: ``w0="store"`` keeps a copy of every measured weight (memory: :attr:`AlignmentProbe.memory_bytes`)
and the initial inputs ``z0`` of the probe batch; ``w0="regenerate"`` redraws each measured weight once at
setup as ``N(0, std^2)`` (its current std) from a per-layer seed, so ``W0`` is re-generated on demand and not
held (maxP's ``resample_w0`` instead draws a *fresh* matrix, which is not the W0 the run started from).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from ..errors import UserError
from . import roles as _roles

MODES = ("rms", "spectral")
W0_MODES = ("store", "regenerate")
CHAIN_ROLES = ("embedding", "hidden", "readout")
_TINY = 1e-30


@dataclass
class LayerAlignment:
    """Measured alignment of one weight: exponents (None when the product is zero, e.g. a fixed input)."""

    name: str            # parameter name, e.g. "blocks.0.attn.qkv.weight"
    role: str            # embedding | hidden | readout
    fan_in: int
    alpha: float | None
    omega: float | None
    u: float | None
    ratios: tuple = ()   # (alpha, omega, u) norm ratios before the log (for slopes across widths)

    def triple(self):
        """``(alpha, omega, u)``: the measured alignment exponents in the order Everett et al.'s LP takes them (arXiv
        2407.05872, Sec. 3)."""
        return (self.alpha, self.omega, self.u)


def chain_layers(model: nn.Module, param=None) -> list[tuple[str, nn.Module, str]]:
    """``[(parameter name, module, role)]`` of the weights in Everett et al.'s chain, in definition order.

    From a :class:`~.parametrize.Parametrization`'s records (``param``) or auto-detected roles; only the
    ``weight`` of Linear and Embedding layers with role embedding/hidden/readout.  Tied weights (a readout
    that is the embedding) are not supported: the chain needs its own readout matrix.
    """
    net = _roles.unwrap(model)
    modules = dict(net.named_modules())
    if param is not None:
        items = [(i.name, i.module_name, i.attr, i.role) for i in param.records.values()]
        tied = [al[0] for i in param.records.values() for al in i.aliases]
    else:
        assigned, _, _ = _roles.auto(net)
        canonical = {id(p): n for n, p in net.named_parameters()}
        items, tied = [], []
        for a in assigned:
            p = getattr(modules[a.module_name], a.attr)
            if canonical.get(id(p)) == a.name:
                items.append((a.name, a.module_name, a.attr, a.role))
            else:
                tied.append(a.name)
    out = []
    for name, mname, attr, role in items:
        module = modules.get(mname)
        if role in CHAIN_ROLES and attr == "weight" and isinstance(module, (nn.Linear, nn.Embedding)):
            out.append((name, module, role))
    roles = [r for _, _, r in out]
    if tied and any(t.endswith("weight") for t in tied):
        raise UserError(f"tied weights ({', '.join(tied)}) are not supported by alignment measurement: the LP "
                        "chain needs a separate readout matrix; build the model with untied embeddings")
    if "embedding" not in roles or "readout" not in roles:
        raise UserError(f"alignment needs at least one embedding and one readout weight (Linear/Embedding); found "
                        f"roles {sorted(set(roles)) or 'none'} -- give Parametrization layers= patterns")
    if roles[-1] != "readout" or roles.count("readout") != 1:
        raise UserError("alignment needs exactly one readout weight, defined last (Everett et al.'s chain)")
    return out


def _rms(t: torch.Tensor) -> float:
    # float32 norm (no float64 copy of a rows x fan_out product); sums in float32 are accurate to ~1e-6 here
    return float(torch.linalg.vector_norm(t)) / math.sqrt(max(t.numel(), 1))


def _exponent(prod, a, z, fan_in, mode) -> tuple[float | None, float | None]:
    """(exponent, ratio) of ``prod = z @ a.T`` (RMS or spectral mode); None for a zero factor."""
    if mode == "rms":
        den = _rms(a) * _rms(z)
        num = _rms(prod)
    else:
        den = float(torch.linalg.matrix_norm(a.double(), ord=2)) * float(torch.linalg.vector_norm(z))
        num = float(torch.linalg.vector_norm(prod))
    if den <= _TINY or num <= _TINY or not math.isfinite(num / den):
        return None, None
    ratio = num / den
    exp = math.log(ratio) / math.log(fan_in)
    return (exp if mode == "rms" else 1.0 + exp), ratio


class AlignmentProbe:
    """Stores the initial state of the chain's layers on a probe batch and measures alignment later.

    Args:
        model: the model (after :class:`Parametrization`, which sets the init the run starts from).
        probe: the probe batch, passed to ``forward(model, probe)`` (default ``model(probe)``).
        param: the :class:`Parametrization` (its roles define the chain); ``None`` auto-detects roles.
        mode: ``"rms"`` (default) or ``"spectral"``.
        w0: ``"store"`` (copy initial weights) or ``"regenerate"`` (re-draw them from seeds; see module doc).
        rows: use at most this many probe rows (tokens) in the three products (a fixed subset; the forward
            pass still sees the whole probe); ``None`` uses all.
    """

    def __init__(self, model: nn.Module, probe, param=None, forward=None, mode: str = "rms", w0: str = "store",
                 rows: int | None = None, seed: int = 0):
        if mode not in MODES:
            raise UserError(f"alignment mode must be one of {', '.join(MODES)}, got {mode!r}")
        if w0 not in W0_MODES:
            raise UserError(f"w0 must be one of {', '.join(W0_MODES)}, got {w0!r}")
        if rows is not None and (not isinstance(rows, int) or rows < 1):
            raise UserError(f"rows must be a positive int or None, got {rows!r}")
        self.model, self.probe, self.mode, self.w0_mode = model, probe, mode, w0
        self.forward = forward or (lambda m, x: m(x))
        self.layers = chain_layers(model, param)
        self.seed = seed
        self._seeds: dict[str, tuple[int, float]] = {}
        if w0 == "regenerate":
            with torch.no_grad():
                for i, (name, module, _) in enumerate(self.layers):
                    std = float(module.weight.float().std())
                    self._seeds[name] = (seed * 100_003 + i, std)
                    module.weight.copy_(self._regenerate(name, module.weight))
        self.w0 = {name: module.weight.detach().clone() for name, module, _ in self.layers} if w0 == "store" else {}
        z0 = self._inputs()
        self._rows = None
        first = next(iter(z0.values()), None)
        if rows is not None and first is not None and first.shape[0] > rows:
            g = torch.Generator().manual_seed(seed)
            self._rows = torch.randperm(first.shape[0], generator=g)[:rows]
        self.z0 = {k: self._take(v) for k, v in z0.items()}

    def _regenerate(self, name, like: torch.Tensor) -> torch.Tensor:
        s, std = self._seeds[name]
        g = torch.Generator(device="cpu").manual_seed(s)
        return (torch.randn(like.shape, generator=g, dtype=torch.float32) * std).to(like.device, like.dtype)

    def initial_weight(self, name: str, module) -> torch.Tensor:
        """The layer's weight at init: the stored copy (``w0='store'``) or regenerated from its recorded seed and std
        (``w0='regenerate'``, no memory held), the reference the update ``W_t - W_0`` is measured against."""
        if self.w0_mode == "store":
            return self.w0[name]
        return self._regenerate(name, module.weight)

    def _take(self, z):
        return z if self._rows is None or z is None else z[self._rows.to(z.device)]

    def _inputs(self) -> dict:
        """Inputs of every Linear chain layer on the probe batch, flattened to (rows, fan_in)."""
        captured, hooks = {}, []
        for name, module, _ in self.layers:
            if isinstance(module, nn.Linear):
                def hook(mod, args, _name=name):
                    captured[_name] = args[0].detach().reshape(-1, args[0].shape[-1])
                hooks.append(module.register_forward_pre_hook(hook))
        was = self.model.training
        try:
            self.model.eval()
            with torch.no_grad():
                self.forward(self.model, self.probe)
        finally:
            self.model.train(was)
            for h in hooks:
                h.remove()
        return captured

    @property
    def memory_bytes(self) -> int:
        """Bytes held for the initial state (weights when stored, and the probe inputs)."""
        w = sum(t.numel() * t.element_size() for t in self.w0.values())
        z = sum(t.numel() * t.element_size() for t in self.z0.values() if t is not None)
        return w + z

    def measure(self) -> list[LayerAlignment]:
        """One forward pass on the probe batch plus three products per layer; see the module doc."""
        z_now = {k: self._take(v) for k, v in self._inputs().items()}
        out = []
        with torch.no_grad():
            for name, module, role in self.layers:
                w = module.weight.detach()
                fan_in = w.shape[0] if isinstance(module, nn.Embedding) else w.shape[1]
                if not isinstance(module, nn.Linear):  # an embedding table: its input is an index, not a vector
                    out.append(LayerAlignment(name, role, fan_in, None, None, None))
                    continue
                w0 = self.initial_weight(name, module)
                dw = w - w0
                z0, z = self.z0[name], z_now[name]
                dz = z - z0
                al, ra = _exponent(z0 @ dw.T, dw, z0, fan_in, self.mode)
                om, ro = _exponent(dz @ w0.T, w0, dz, fan_in, self.mode)
                uu, ru = _exponent(dz @ dw.T, dw, dz, fan_in, self.mode)
                out.append(LayerAlignment(name, role, fan_in, al, om, uu, (ra, ro, ru)))
        return out

    def state_dict(self) -> dict:
        """Everything needed to resume measuring after a restart: initial weights, initial inputs, seeds, probe rows
        and modes."""
        return {"w0": {k: v.clone() for k, v in self.w0.items()}, "z0": dict(self.z0), "seeds": dict(self._seeds),
                "rows": self._rows, "mode": self.mode, "w0_mode": self.w0_mode}

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict`; a state saved with other modes, or naming layers this model lacks, is a
        :class:`UserError` rather than a silently wrong reference."""
        if state.get("w0_mode") != self.w0_mode or state.get("mode") != self.mode:
            raise UserError(f"alignment state was saved with w0={state.get('w0_mode')!r}, mode={state.get('mode')!r}; "
                            f"this probe uses w0={self.w0_mode!r}, mode={self.mode!r}")
        names = {n for n, _, _ in self.layers}
        if set(state["z0"]) - names:
            raise UserError(f"alignment state names layers {sorted(set(state['z0']) - names)[:3]} this model lacks")
        self.w0 = {k: v.clone() for k, v in state["w0"].items()}
        self.z0, self._seeds, self._rows = dict(state["z0"]), dict(state["seeds"]), state["rows"]
