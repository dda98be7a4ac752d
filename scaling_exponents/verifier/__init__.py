"""The experiments (torch): reference models (:mod:`.models`), probes that measure coordinate sizes, updates,
kernels and depth behaviour, sweeps over a resumable store, LR transfer and the data they train on.

Commands: ``python -m scaling_exponents verify`` (:mod:`.verify`) and ``transfer`` (:mod:`.transfer`).  On your own
model (any factory returning an ``nn.Module``): :func:`coord_check` and :func:`lr_transfer` (also ``--model module:factory``).
What they predict and how they judge lives in :mod:`scaling_exponents.evidence` (torch-free).
"""

__all__ = ["coord_check", "lr_transfer"]


def __getattr__(name):
    """``coord_check`` / ``lr_transfer`` on a user's own model, imported (with torch) on first use."""
    if name == "coord_check":
        from .user_coord import coord_check

        return coord_check
    if name == "lr_transfer":
        from .user_transfer import lr_transfer

        return lr_transfer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
