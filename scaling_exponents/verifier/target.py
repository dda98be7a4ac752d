"""What one verify entry is: :class:`Target` (a parametrization name or a ``--table`` key, its optimizer, its label).

Kept apart from :mod:`.verify` so that :mod:`.verify_table` can make targets without importing the command
(no import cycle); :mod:`.verify` re-exports it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Target:
    """``param``: a registered name or a custom-table key (``table:<label>@<sha8>``); ``label``: its report name."""

    param: str
    optimizer: str | None
    label: str
    #: table to predict from instead of the one run (None: the same); see :mod:`.verify_table`
    expect: object = None
