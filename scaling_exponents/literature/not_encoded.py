"""Papers in the bibliography that the toolkit does NOT encode as a table, each with the reason (shown in the
catalog's literature list).  A reason names what is missing: no scaling rule stated, or a rule whose exponents
could not be read (UNVERIFIED).  ``tests/literature/test_not_encoded.py`` checks every key is in the bibliography
and has no parametrization."""

from __future__ import annotations

NOT_ENCODED: dict[str, str] = {
    "kosson2025weight": (
        "empirical finding (abstract): with AdamW, independent weight decay rather than muP's LR scaling governs "
        "LR transfer in practice; it states no new exponent rule (the weight-decay rules encoded are "
        "adamw-timescale, wd-layerwise, wd-compute-optimal)"),
    "chickering2026gqa": (
        "GQA-muP (arXiv 2605.15290): spectral-norm conditions as the definition of feature learning and an expected "
        "operator norm for rank-deficient (repeated key/value) matrices give muP across the GQA repetition factor; "
        "only the abstract and the OpenReview reviews were readable (they quote AdamW weight decay Theta(1) input / "
        "Theta(n) hidden and output, and CompleteP depth, both encoded elsewhere), not the per-matrix exponents in "
        "the repetition factor (UNVERIFIED), so no GQA table is encoded"),
    "innocenti2025mupc": (
        "muPC (arXiv 2505.13124, abstract read) trains predictive-coding networks with the Depth-muP "
        "parameterisation (encoded as depth-mup, arXiv 2310.02244); the scaling of the activity (inference) "
        "learning rate, the only PC-specific hyperparameter, is not stated in the abstract and the body was not read"),
    "li2025maximal": (
        "muTransfer-FNO (arXiv 2506.19396): the rule across the number of Fourier modes K is logarithmic, not a power "
        "law -- init variance Theta(1/(d log K)) and Adam LR Theta(1/sqrt(d log K)) (VERIFIED-2nd: a paper review "
        "on themoonlight.io quoting the theorem) -- so it has no exponent in K to encode (every power would be 0)"),
}
