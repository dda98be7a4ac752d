"""The experiments (torch): reference models (:mod:`.models`), probes that measure coordinate sizes, updates,
kernels and depth behaviour, sweeps over a resumable store, LR transfer and the data they train on.

Commands: ``python -m scaling_exponents verify`` (:mod:`.verify`) and ``transfer`` (:mod:`.transfer`).
What they predict and how they judge lives in :mod:`scaling_exponents.evidence` (torch-free).
"""
