"""``alignment_sweep.sweep``: the exponent handed to the LP is the slope of the log-ratio across widths in RMS mode
and the slope **plus 1** in spectral mode (a spectral ratio rho reads 1 + log rho / log n, ``torch/alignment.py``, so
its width exponent is the ratio's slope + 1); ``--device`` reaches the model.

Expected values: the identity exponent = slope (+1 in spectral mode) of arXiv 2407.05872 Sec. 3's alignment
exponents as this toolkit reads them; the fitted slopes come from the same run, so the test checks the mapping, not a
measured value.

Kind: independent computation (the mapping from fitted slopes to LP exponents), planted-bug guard (without the +1
the spectral triples equal the slopes).
"""

from __future__ import annotations

import pytest

from scaling_exponents.verifier import alignment_sweep as A


class _Capture:
    """Stands in for the LP solver: records the triples it is given."""

    def __init__(self):
        self.triples = None

    def table(self, triples, meta=None, strict=True):
        self.triples, self.meta = triples, meta
        return self


@pytest.mark.parametrize("mode, shift", [("rms", 0.0), ("spectral", 1.0)])
def test_lp_exponent_is_slope_plus_shift(mode, shift, monkeypatch):
    cap = _Capture()
    monkeypatch.setattr(A, "solver_for", lambda setup, measured, optimizer: cap)
    _, fits = A.sweep("mlp", [32, 64], 2, seeds=(0, 1), mode=mode, n_boot=20, lr=1e-3)
    names = list(fits)
    assert len(cap.triples) == len(names) == 4
    checked = 0
    for name, trip in zip(names, cap.triples):
        for sym, value in zip(("alpha", "omega", "u"), trip):
            fit = fits[name][sym]
            if fit is None:
                assert value is None
                continue
            assert value == pytest.approx(fit.slope + shift, abs=1e-12)
            checked += 1
    assert checked >= 7  # the embedding has alpha only; the three Linear layers have all three
    assert cap.meta["device"] == "cpu" and cap.meta["mode"] == mode
