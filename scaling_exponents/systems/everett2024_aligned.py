"""Per-layer learning-rate exponents from *measured* alignments (Everett et al., arXiv 2407.05872, Sec. 3).

Torch-free: the measurement lives in :mod:`scaling_exponents.torch.alignment`; this module turns measured
``(alpha, omega, u)`` per weight into the LP's layer chain, solves it (fast path,
:class:`~.everett2024_fast.EverettLP`), and stores the answer as an :class:`AlignedTable` (JSON round trip), which
``Parametrization(model, ..., settings={"table": ...})`` and ``derive --alignment FILE`` accept.

The chain (the paper's layers l = 1..L+1): every weight with role ``embedding`` forms layer 1 (a GPT's token
and position tables share one c; the LP does not use the embedding's alignment), each ``hidden`` weight in
definition order is one hidden layer, the ``readout`` is layer L+1 (as m-wojnar/maxP and seed 003's design:
"the LP chains r_l values sequentially ... in module definition order").  ``(a_l, b_l)`` are the named
parametrization's (Everett et al. Sec. 2 / Table 1, :data:`~scaling_exponents.systems.everett2024.NAMED_AB`).

Validity of a measurement: RMS-mode exponents lie in [0, 1] (Cauchy-Schwarz bounds the ratio by fan-in;
a negative value means the product is smaller than a random one, e.g. no update yet).  A missing (None/NaN)
or out-of-range value is reported naming the layer and the bound, and :class:`MeasuredSolver` keeps the last
feasible solution.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..errors import UserError
from .everett2024_fast import EverettLP, presets

FORMAT = "scaling_exponents.aligned_table/1"
_SLACK = 0.05  # measured exponents this far outside [0, 1] are clipped, further out rejected
#: Spectral-mode readings are not the LP's alignment exponents: an independent full-rank Gaussian update reads
#: ~1 - log 2 / log n in spectral mode (||A||_2 ~ 2 ||A||_F / sqrt(n)) but 1/2 -- "no alignment" -- in the RMS
#: terms Everett et al.'s LP (arXiv 2407.05872 Sec. 3) is stated in; solving the LP on them would be silently wrong.
SPECTRAL_REFUSED = ("spectral-mode alignment readings are not the exponents Everett et al.'s LP is stated in (an "
                    "independent Gaussian update reads ~1 - log 2/log n spectrally, 1/2 in RMS terms), so no per-layer "
                    "c is solved from them: use mode 'rms' (--mode rms); AlignmentProbe(mode='spectral') still "
                    "measures them")


@dataclass
class LayerC:
    """One weight of the chain: measured alignment and the solved LR exponent ``c`` (lr ∝ width^-c)."""

    name: str
    role: str
    fan_in: int
    alpha: float | None
    omega: float | None
    u: float | None
    c: float
    c_full: float   # the named parametrization's c under full alignment (1, 1/2, 1)
    c_no: float     # ... under no alignment (1/2, 1/2, 1/2)

    @property
    def delta(self) -> float:
        """c minus the full-alignment c (negative: a larger LR than the named table's)."""
        return self.c - self.c_full


@dataclass
class AlignedTable:
    """Per-layer c from measured alignment; JSON via :meth:`save` / :func:`load`."""

    param: str
    optimizer: str
    layers: list[LayerC]
    meta: dict = field(default_factory=dict)

    def c_of(self) -> dict[str, float]:
        """``{weight name: c}``."""
        return {layer.name: layer.c for layer in self.layers}

    def to_dict(self) -> dict:
        """The JSON form (``format`` = :data:`FORMAT`), read back by :func:`from_dict`."""
        return {"format": FORMAT, "param": self.param, "optimizer": self.optimizer, "meta": self.meta,
                "layers": [asdict(layer) for layer in self.layers]}

    def save(self, path) -> Path:
        """Write the JSON to ``path`` (parents created); returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        return path

    def render(self) -> str:
        """A text table: per weight its role, fan_in, measured alignment, solved c, full-alignment c and delta."""
        head = f"{'layer':34s} {'role':9s} {'fan_in':>6s} {'alpha':>6s} {'omega':>6s} {'u':>6s} {'c':>7s} {'c_full':>6s} {'delta':>7s}"
        lines = [f"Measured-alignment LR exponents ({self.param}, {self.optimizer}; lr_l ∝ width^-c_l; "
                 "Everett et al. arXiv 2407.05872 LP)", head]
        f = lambda v: "  -   " if v is None else f"{v:6.3f}"  # noqa: E731
        for x in self.layers:
            lines.append(f"{x.name:34s} {x.role:9s} {x.fan_in:6d} {f(x.alpha)} {f(x.omega)} {f(x.u)} {x.c:7.3f} "
                         f"{x.c_full:6.3f} {x.delta:+7.3f}")
        return "\n".join(lines)


def from_dict(data: dict, where: str = "table") -> AlignedTable:
    """An :class:`AlignedTable` from its JSON dict; a wrong format, a missing key or a non-finite value is a
    UserError naming ``where`` and the layer."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise UserError(f"{where} is not an `align` table (expected \"format\": \"{FORMAT}\"); write one with "
                        "`python -m scaling_exponents align ... --out DIR`")
    try:
        layers = [LayerC(**x) for x in data["layers"]]
        table = AlignedTable(data["param"], data["optimizer"], layers, data.get("meta", {}))
    except (KeyError, TypeError) as e:
        raise UserError(f"{where} is a malformed align table ({e}); regenerate it with `align`") from None
    for i, x in enumerate(table.layers):  # a hand edit must not reach the LP as a string or a NaN
        for key in ("fan_in", "alpha", "omega", "u", "c", "c_full", "c_no"):
            v = getattr(x, key)
            optional = key in ("alpha", "omega", "u")
            ok = (v is None and optional) or (isinstance(v, (int, float)) and not isinstance(v, bool)
                                             and math.isfinite(v))
            if not ok:
                raise UserError(f"{where}: layer {i} ({x.name!r}) has {key} = {v!r}, not a finite number"
                                f"{' or null' if optional else ''}; fix that value or regenerate the table with `align`")
    return table


def load(source) -> AlignedTable:
    """An :class:`AlignedTable` from a path to its JSON, a dict, or an AlignedTable."""
    if isinstance(source, AlignedTable):
        return source
    if isinstance(source, dict):
        return from_dict(source)
    path = Path(source)
    if not path.is_file():
        raise UserError(f"alignment table {str(path)!r} does not exist; write one with `align --out DIR`")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise UserError(f"{path} is not valid JSON ({e.msg} at line {e.lineno})") from None
    return from_dict(data, str(path))


# ------------------------------------------------------------------------------------------------------
def chain_ab(param: str, roles: list[str]):
    """(a, b) per LP layer for a named parametrization; LP layer 1 is the embedding group."""
    from .everett2024 import NAMED_AB

    if param not in NAMED_AB:
        raise UserError(f"measured alignment re-solves Everett et al.'s LP, which names (a, b) for "
                        f"{', '.join(NAMED_AB)}; got {param!r}")
    ab = NAMED_AB[param]
    return [ab[r][0] for r in roles], [ab[r][1] for r in roles]


def lp_roles(roles: list[str]) -> tuple[list[str], list[int]]:
    """Chain roles per weight -> roles per LP layer and the LP layer of each weight."""
    n_emb = roles.count("embedding")
    if n_emb < 1 or roles[:n_emb] != ["embedding"] * n_emb or roles[-1] != "readout" or roles.count("readout") != 1:
        raise UserError(f"the chain must be embedding(s), hidden..., one readout in that order; got {roles}")
    if any(r != "hidden" for r in roles[n_emb:-1]):
        raise UserError(f"only hidden weights may sit between the embedding(s) and the readout; got {roles}")
    lp = ["embedding"] + roles[n_emb:]
    return lp, [0] * n_emb + list(range(1, len(lp)))


@dataclass
class Check:
    """The result of validating one measurement: the LP input, and problems naming layer and bound."""

    theta: np.ndarray
    problems: list[str]


class MeasuredSolver:
    """Fast re-solves of the chain's LP for measured alignments; keeps the last feasible solution.

    Args:
        param: named parametrization giving (a, b) per role (``mup``, ``sp``, ``ntk``, ``mfp``).
        optimizer: ``adam``, ``sgd`` or ``adafactor``.
        names, roles, fan_ins: the chain's weights (as from :func:`scaling_exponents.torch.alignment.chain_layers`).
        backend: ``highs`` (default) or ``cvxpy``; ``feature_learning`` adds ``r_L = 0`` (maxP's option).
    """

    def __init__(self, param: str, optimizer: str, names, roles, fan_ins=None, backend: str = "highs",
                 feature_learning: bool = False):
        self.param, self.optimizer = param, optimizer
        self.names, self.roles = list(names), list(roles)
        self.fan_ins = list(fan_ins) if fan_ins is not None else [0] * len(self.names)
        self.lp_roles, self.layer_of = lp_roles(self.roles)
        a, b = chain_ab(param, self.lp_roles)
        lp_names = ["+".join(n for n, k in zip(self.names, self.layer_of) if k == 0)] + self.names[self.layer_of.count(0):]
        self.lp = EverettLP(a, b, optimizer, names=lp_names, feature_learning=feature_learning, backend=backend)
        n = len(self.lp_roles)
        self.c_full = self.lp.solve(presets(n, "full")).c
        self.c_no = self.lp.solve(presets(n, "no")).c
        self.last = None          # last feasible c per LP layer
        self.messages: list[str] = []

    def check(self, triples) -> Check:
        """LP input ``(n_lp, 3)`` from per-weight triples; problems for missing/out-of-range values.

        Values within 0.05 outside [0, 1] are clipped (finite-width noise); the embedding group's alignment is
        not used by the LP (Everett et al.'s r_1 has no alignment term) and is filled with the full preset.
        """
        if len(triples) != len(self.names):
            raise UserError(f"need one (alpha, omega, u) per chain weight ({len(self.names)}), got {len(triples)}")
        theta = presets(len(self.lp_roles), "full")
        problems = []
        for name, k, t in zip(self.names, self.layer_of, triples):
            if k == 0:
                continue
            for j, (sym, v) in enumerate(zip(("alpha", "omega", "u"), t)):
                if v is None or not math.isfinite(v):
                    problems.append(f"{name}: {sym} not measurable ({v}); its product is zero -- measure after "
                                    "the weights and inputs have moved")
                elif not (-_SLACK <= v <= 1 + _SLACK):
                    problems.append(f"{name}: {sym} = {v:.3f} outside [0, 1] (alignment exponents of "
                                    "arXiv 2407.05872 Sec. 3 lie between no correlation and full alignment)")
                else:
                    theta[k, j] = min(max(v, 0.0), 1.0)
        return Check(theta, problems)

    def solve(self, triples, strict: bool = False):
        """Per-weight c for measured triples.  Returns ``(c per weight, messages)``; on a bad measurement or an
        infeasible LP returns the last feasible c (``None`` if there is none yet) with messages saying why.
        ``strict=True`` raises :class:`UserError` instead."""
        chk = self.check(triples)
        msgs = list(chk.problems)
        c_lp = None
        if not msgs:
            res = self.lp.solve(chk.theta)
            if res.ok:
                c_lp = res.c
            else:
                msgs.append(f"LP {res.status}" + (": conflicting constraints: " + "; ".join(res.conflict)
                                                  if res.conflict else ""))
        if msgs:
            if strict:
                raise UserError("; ".join(msgs))
            msgs.append("kept the last feasible solution" if self.last is not None else "no feasible solution yet")
            self.messages = msgs
            return (self.per_weight(self.last) if self.last is not None else None), msgs
        self.last = c_lp
        self.messages = []
        return self.per_weight(c_lp), []

    def per_weight(self, c_lp) -> list[float]:
        """Per-LP-layer c spread to the chain's weights (the embedding group shares one)."""
        return [float(c_lp[k]) for k in self.layer_of]

    def table(self, triples, meta=None, strict: bool = True) -> AlignedTable:
        """The :class:`AlignedTable` for measured triples (spectral-mode readings refused: :data:`SPECTRAL_REFUSED`)."""
        if (meta or {}).get("mode") == "spectral":
            raise UserError(SPECTRAL_REFUSED)
        c, _ = self.solve(triples, strict=strict)
        if c is None:
            raise UserError("no feasible solution for the measured alignment: " + "; ".join(self.messages))
        full, no = self.per_weight(self.c_full), self.per_weight(self.c_no)
        layers = [LayerC(n, r, int(f), *(None if v is None or not math.isfinite(v) else round(float(v), 6) for v in t),
                         round(ci, 6), round(cf, 6), round(cn, 6))
                  for n, r, f, t, ci, cf, cn in zip(self.names, self.roles, self.fan_ins, triples, c, full, no)]
        return AlignedTable(self.param, self.optimizer, layers, dict(meta or {}))


def exact_table(table: AlignedTable, decimals: int = 2):
    """Exact check of a measured table, off the hot path.

    Alignments rounded to ``decimals`` decimal places (exact rationals); the fast LP's optimum proven in exact
    arithmetic by its dual certificate (:meth:`~.everett2024_fast.EverettLP.certify`), and the point re-checked
    against every labelled constraint of :func:`~scaling_exponents.systems.everett2024.build_system` (the
    paper's system as the rest of the engine encodes it).  The optimal face is not enumerated (measured
    alignments can make it a whole face; the fast path then picks the point closest to the full-alignment table).

    Returns an :class:`~scaling_exponents.theory.table.ExponentTable` with one role per LP layer (named by its
    weight(s)).
    """
    from ..theory.exponents import Q
    from ..theory.table import ExponentTable, Row
    from .everett2024 import SOURCE, build_system

    solver = MeasuredSolver(table.param, table.optimizer, [x.name for x in table.layers],
                            [x.role for x in table.layers], [x.fan_in for x in table.layers])
    chk = solver.check([(x.alpha, x.omega, x.u) for x in table.layers])
    if chk.problems:
        raise UserError("; ".join(chk.problems))
    al = [tuple(Q(f"{float(v):.{decimals}f}") for v in t) for t in chk.theta]
    cert = solver.lp.certify(al)
    a, b = chain_ab(table.param, solver.lp_roles)
    system = build_system(a, b, table.optimizer, al)
    c = {f"c_{i + 1}": v for i, v in enumerate(cert["c"])}
    point = system.complete(dict(c, r_1=cert["r"][0]))  # r_1 is a variable; the other r_l, G, logit are min()s
    bad = system.violations(point)
    if bad or not cert["certified"]:
        raise UserError("the fast solve fails the exact check: " + ("; ".join(bad[:3]) or "dual certificate"))
    names = solver.lp.names
    rows = []
    for name, role, al_, bl, cl in zip(names, solver.lp_roles, a, b, cert["c"]):
        rows += [Row(name, "multiplier", "width", -Q(al_)), Row(name, "init_std", "width", -Q(bl)),
                 Row(name, "lr", "width", -cl, note=f"{role}; measured alignment")]
    meta = ", ".join(f"{k}={v}" for k, v in table.meta.items() if k != "fits")
    notes = [f"alignments measured by `align` ({meta}), rounded to {decimals} decimals",
             f"sum c = {cert['objective']} proven optimal by an exact dual certificate; the point re-checked "
             "against every constraint of Everett et al.'s system"]
    r = {k: point[k] for k in system.variables if k.startswith("r_")}
    return ExponentTable(f"{table.param}-measured", table.optimizer, "measured", SOURCE, rows,
                         title=f"{table.param} with measured alignment",
                         derived={"c": c, "r": r, "objective (sum c)": cert["objective"], "certified": True},
                         notes=notes, system=system,
                         convention="Everett et al. abc: W = n^-a w, w ~ N(0, n^-2b), per-layer LR eta_l n^-c_l")
