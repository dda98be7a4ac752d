"""Papers in the bibliography that the toolkit does NOT encode as a table, each with the reason (shown in the
catalog's literature list).  A reason names what is missing: no scaling rule stated, or a rule whose exponents
could not be read (UNVERIFIED).  ``tests/literature/test_not_encoded.py`` checks every key is in the bibliography
and has no parametrization."""

from __future__ import annotations

NOT_ENCODED: dict[str, str] = {
    "bjorck2024scaling": (
        "rule LR*(D) = B D^(-beta) (and LR*(N, D) = C N^(-alpha) D^(-beta)) with beta FITTED per setting; the fitted "
        "values and the rule-of-thumb constant could not be read (UNVERIFIED), so no exponent is encoded"),
    "mlodozeniec2025completed": (
        "Complete^(d)P (width, depth, batch, duration; per-module; QK-norm epsilon rule): only the abstract was "
        "readable, the per-module exponents are UNVERIFIED"),
    "kosson2025weight": (
        "empirical finding (abstract): with AdamW, independent weight decay rather than muP's LR scaling governs "
        "LR transfer in practice; it states no new exponent rule (the weight-decay rules encoded are "
        "adamw-timescale, wd-layerwise, wd-compute-optimal)"),
}
