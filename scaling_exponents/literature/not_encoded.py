"""Papers in the bibliography that the toolkit does NOT encode as a table, each with the reason (shown in the
catalog's literature list).  A reason names what is missing: no scaling rule stated, or a rule whose exponents
could not be read (UNVERIFIED).  ``tests/literature/test_not_encoded.py`` checks every key is in the bibliography
and has no parametrization."""

from __future__ import annotations

NOT_ENCODED: dict[str, str] = {
    "vankadara2024feature": (
        "muP and the spectral condition fail to give feature learning for Mamba-type SSMs (selection mechanism, "
        "structured transition matrix; not representable as a Tensor Program -- abstract); the corrected scaling "
        "is derived by signal propagation, but its per-parameter exponents were not readable (UNVERIFIED)"),
    "kosson2025weight": (
        "empirical finding (abstract): with AdamW, independent weight decay rather than muP's LR scaling governs "
        "LR transfer in practice; it states no new exponent rule (the weight-decay rules encoded are "
        "adamw-timescale, wd-layerwise, wd-compute-optimal)"),
}
