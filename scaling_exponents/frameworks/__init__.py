"""What other training stacks would do with a derived table: ``derive NAME --emit FRAMEWORK`` (torch-free).

Each framework module describes, as exponents, what its muP switch trains (``implied``), which knobs
(flags / config keys) it offers, and renders the flags that come closest to the table at a given width
ratio.  :func:`compare` then sorts every (role, quantity, dimension) into *reproduced* (same power) and
*cannot express* (different power, with what the framework does instead), so nothing is dropped silently.

* :mod:`.megatron` -- NVIDIA Megatron-LM ``--use-mup`` (PR #3058) / ``--scaling-recipe mup``; also the
  derivation of its untied-output learning rate and :func:`.megatron.as_megatron` (its behaviour as a table).
* :mod:`.nanogpt_mup` -- EleutherAI/nanoGPT-mup ``GPTConfig`` keys (branch ``completep`` @3904404).
* :mod:`.hf` -- Hugging Face transformers: PR #45848's ``config.mup`` (open, UNVERIFIED), and this toolkit's
  preset path, which expresses every row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from ..errors import UserError
from ..theory.exponents import fmt
from ..theory.table import SYMBOL, ExponentTable

FRAMEWORKS = ("megatron", "nanogpt-mup", "hf")


@dataclass
class Emission:
    """Flags/config entries for one framework, and every row sorted into reproduced / cannot express."""

    framework: str
    title: str
    lines: list[str]
    reproduced: list[tuple] = field(default_factory=list)   # (key, power)
    missing: list[tuple] = field(default_factory=list)      # (key, table power, framework power or None, why)
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        """The emission as the text ``derive --emit`` prints: the framework's lines, then the table rows it
        reproduces and every row it cannot express, with the value it trains instead -- nothing dropped silently."""
        out = [f"# {self.title}"] + self.lines
        out.append(f"# rows reproduced ({len(self.reproduced)}):")
        out += [f"#   {_key(k)} = {_pow(k, p)}" for k, p in self.reproduced] or ["#   none"]
        out.append(f"# rows {self.framework} cannot express ({len(self.missing)}):")
        for k, want, got, why in self.missing:
            has = "no such knob" if got is None else f"it trains {_pow(k, got)}"
            out.append(f"#   {_key(k)}: table {_pow(k, want)}, {has}" + (f" ({why})" if why else ""))
        if not self.missing:
            out.append("#   none")
        out += [f"# note: {n}" for n in self.notes]
        return "\n".join(out)


def _key(k) -> str:
    role, quantity, dim = k
    return f"{role} {quantity} [{dim}]"


def _pow(k, p) -> str:
    sym = SYMBOL.get(k[2], k[2])
    p = sympy.Rational(p)
    return "1" if p == 0 else (f"{sym}^{fmt(p)}" if p.q == 1 else f"{sym}^({fmt(p)})")


def compare(table: ExponentTable, implied: dict, known_roles, why: dict | None = None):
    """Sort rows: ``implied`` maps (role, quantity, dimension) -> the framework's power (``None``: it has no
    such quantity).  Rows of the table (non-zero or not) and of ``implied`` are compared; a role the
    framework does not know is 'cannot express'.  Returns ``(reproduced, missing)``."""
    why = why or {}
    keys = {r.key() for r in table.rows} | {k for k, v in implied.items() if v is not None and v != 0}
    reproduced, missing = [], []
    for k in sorted(keys):
        want = table.power(*k)
        if k[0] not in known_roles:
            if want != 0:
                missing.append((k, want, None, f"{k[0]!r} is not a role this framework has"))
            continue
        got = implied.get(k, 0)
        if got is not None and sympy.Rational(got) == want:
            reproduced.append((k, want))
        elif got is None and want == 0:
            continue
        else:
            missing.append((k, want, got, why.get(k, "")))
    return reproduced, missing


def emit(table: ExponentTable, framework: str, sizes: dict, lr: float | None = None,
         options: dict | None = None) -> Emission:
    """The :class:`Emission` of ``table`` for ``framework`` at ``sizes = {"width": (N, N0), ...}``; ``options``
    (the paper options ``table`` was derived with) go into the hf ``Parametrization`` line."""
    if framework not in FRAMEWORKS:
        raise UserError(f"unknown framework {framework!r} for --emit; choose one of {', '.join(FRAMEWORKS)}")
    if "width" not in sizes:
        raise UserError(f"--emit {framework} needs --width and --base-width (the width ratio goes into the flags)")
    if framework == "megatron":
        from . import megatron as mod
    elif framework == "nanogpt-mup":
        from . import nanogpt_mup as mod
    else:
        from . import hf as mod

        return mod.emit(table, sizes, lr=lr, options=options)
    return mod.emit(table, sizes, lr=lr)
