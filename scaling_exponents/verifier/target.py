"""What one verify entry is: :class:`Target` (a parametrization name or a ``--table`` key, its optimizer, its label).

Kept apart from :mod:`.verify` so that :mod:`.verify_table` can make targets without importing the command
(no import cycle); :mod:`.verify` re-exports it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UserError


@dataclass
class Target:
    """``param``: a registered name or a custom-table key (``table:<label>@<sha8>``); ``label``: its report name."""

    param: str
    optimizer: str | None
    label: str
    #: table to predict from instead of the one run (None: the same); see :mod:`.verify_table`
    expect: object = None


#: Defaults of the built-in width and depth sweeps (``verify``): widths, tolerance on the CI, base LR per optimizer
DEFAULT_WIDTHS = "64,128,256,512,1024"
DEFAULT_TOL = 0.15
DEFAULT_LR = {"adam": 1e-2, "adamw": 1e-2, "adafactor": 1e-2, "sgd": 0.5}
#: the --dtype values :func:`.probes.config.set_precision` accepts (tf32 needs CUDA, checked with the device)
DTYPES = ("float32", "tf32", "bfloat16", "float64")


def parse_ints(text: str, what: str, minimum: int = 1) -> list[int]:
    """``"64,128"`` -> ``[64, 128]`` (sorted, distinct) for the flag ``--what``; a one-line error otherwise."""
    try:
        vals = [int(v) for v in str(text).replace(" ", "").split(",") if v]
    except ValueError:
        raise UserError(f"--{what} takes comma-separated integers, e.g. --{what} {DEFAULT_WIDTHS}; got {text!r}") from None
    if not vals or any(v < minimum for v in vals):
        raise UserError(f"--{what} needs integers >= {minimum}; got {text!r}")
    return sorted(set(vals))
