"""scaling_exponents: how hyperparameters must scale with width, depth and other model dimensions.

The theory layer (:mod:`scaling_exponents.theory`, :mod:`scaling_exponents.systems`) derives exact
exponent tables from each paper's constraint system; :mod:`scaling_exponents.torch` applies them to
PyTorch models. Importing this package is cheap: nothing heavy (cvxpy, torch) is imported here.
"""

__version__ = "0.1.0"


def derive(param, optimizer=None, alignment=None, **options):
    """Derive the exponent table of a named parametrization (see ``python -m scaling_exponents list``)."""
    from .systems.registry import derive as _derive

    return _derive(param, optimizer=optimizer, alignment=alignment, **options)
