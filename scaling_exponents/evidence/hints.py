"""Finite-size hints for verdicts: a failed row that a known pre-asymptotic effect explains says so.

* **vocab >= width.**  The spectral norm of an ``n x V`` Gaussian matrix is ``~ sigma (sqrt(n) + sqrt(V))``
  (Vershynin, arXiv 1011.3027, Thm. 5.32 / Cor. 5.35), so an embedding or readout with vocabulary ``V`` only
  shows the large-width slope ``max(p_in, p_out)/2`` (:mod:`.predict`, spectral rows) once ``n >> V``; the
  GPT reference model has ``V = 256`` (:data:`GPT_VOCAB`).
* **widths below a minimum.**  Coordinate checks (TP5 App. D, arXiv 2203.03466) use widths from 64 upward;
  a fit that includes smaller widths is dominated by ``O(1/sqrt(n))`` corrections (:data:`MIN_WIDTH`).

Torch-free: used by :mod:`.report` when rendering verdicts.
"""

from __future__ import annotations

#: Vocabulary of the GPT reference model (:func:`scaling_exponents.verifier.probes.config.make_model`).
GPT_VOCAB = 256
#: Smallest width whose coordinate check is taken at face value (TP5's coord checks start at 64).
MIN_WIDTH = 64
#: Layers of the reference models that have a vocabulary / data side.
VOCAB_LAYERS = ("embed", "head", "embedding", "readout", "wte", "lm_head")
SPECTRAL_QUANTITIES = ("W_spec", "dW_spec")


def hint(row: dict, summary: dict) -> str:
    """A short finite-size hint for a failed ``row`` of a width ``summary``, or ``""``."""
    if row.get("verdict") in ("pass", "info") or "widths" not in summary:
        return ""
    if summary.get("dimension", "width") != "width":  # vocabulary/rank/density sweeps: the width is fixed there
        return ""
    widths = summary.get("widths") or []
    if not widths:
        return ""
    lo = min(widths)
    layer = str(row.get("layer", "")).split(".")[-1]
    if (summary.get("model") == "gpt" and row.get("quantity") in SPECTRAL_QUANTITIES and layer in VOCAB_LAYERS
            and lo <= GPT_VOCAB):
        return (f"finite size: vocab {GPT_VOCAB} >= width {lo}, so the spectral norm follows the vocab side until "
                f"width >> {GPT_VOCAB}; rerun with widths above {GPT_VOCAB}")
    if lo < MIN_WIDTH:
        return f"finite size: widths from {lo} (< {MIN_WIDTH}) are pre-asymptotic; rerun with widths >= {MIN_WIDTH}"
    return ""


def vocab_slope(widths, vocab: int = GPT_VOCAB) -> float:
    """Least-squares slope of ``log sqrt(max(n, V))`` on ``log n`` over ``widths``: what the width adds to
    ``||W||_2`` of an ``n x V`` Gaussian matrix as the probe measures it.

    ``E||W||_2 ≈ sigma (sqrt(n) + sqrt(V))`` (Vershynin, arXiv 1011.3027, Thm. 5.32 / Cor. 5.35); the probe divides
    by ``(sqrt(n) + sqrt(V)) / sqrt(max(n, V))`` (:func:`scaling_exponents.verifier.probes.seeds._weight_metrics`),
    so it records ``sigma sqrt(max(n, V))``: slope 0 while every width is <= V, 1/2 once every width is >= V."""
    import math

    xs = [math.log(w) for w in widths]
    ys = [0.5 * math.log(max(w, vocab)) for w in widths]
    if len(xs) < 2 or max(xs) == min(xs):
        return 0.5 if min(widths) >= vocab else 0.0
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def finite_vocab(preds, widths, vocab: int = GPT_VOCAB) -> None:
    """Replace the large-width ``W_spec`` prediction ``-(a+b) + 1/2`` of the GPT's token embedding and readout
    (one fan is the fixed vocabulary ``V``) by ``-(a+b) + vocab_slope(widths, V)`` -- the slope the swept widths
    can show (:func:`vocab_slope`) -- and say so in the row's formula.  ``preds``: :class:`.predict.Predictions`."""
    import sympy

    slope = vocab_slope(list(widths), vocab)
    exact = sympy.Rational(slope).limit_denominator(1000)
    for p in preds.items:
        if p.quantity != "W_spec" or p.layer not in ("embed", "head"):
            continue
        ab = p.exponent - sympy.Rational(1, 2)  # -(a+b): the large-width row is -(a+b) + max(p_in, p_out)/2, max 1
        p.exponent = ab + exact
        p.formula = (f"-(a+b) + slope of log sqrt(max(n, V={vocab})) over widths {min(widths)}..{max(widths)} = "
                     f"{slope:.3f} (n x V Gaussian: ||W||_2 ≈ sigma(sqrt n + sqrt V); the probe divides by "
                     "(sqrt n + sqrt V)/sqrt(max(n, V)))")
        p.source = "Vershynin, arXiv 1011.3027, Thm. 5.32"
