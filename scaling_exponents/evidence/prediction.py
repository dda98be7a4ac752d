"""The records a prediction is made of (torch-free): a weight layer as the theory sees it (:class:`LayerSpec`),
one predicted exponent with its formula and source (:class:`Prediction`), and all of them for one table and model
(:class:`Predictions`).

Why a module of its own: the width predictions (:mod:`.predict`), the depth predictions (:mod:`.predict_depth`)
and the per-feature ones (``predict_*``) all produce these records, and the verdicts read them; none of those
should have to import another's derivation to get the types.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from ..theory.exponents import fmt


@dataclass(frozen=True)
class LayerSpec:
    """One weight layer as the theory sees it: its table role and which of its fans grow with the width."""

    name: str
    role: str  # "embedding" | "hidden" | "readout"
    p_in: int = 1
    p_out: int = 1


@dataclass
class Prediction:
    """One predicted exponent: ``quantity`` of ``layer`` scales as ``size^exponent`` along ``dimension``, with the
    formula and the paper it comes from, so a verdict can say why the number is what it is."""

    layer: str
    quantity: str
    exponent: sympy.Rational
    formula: str
    source: str
    dimension: str = "width"
    spectral_condition: sympy.Rational | None = None  # the exponent 2310.17813 asks for, if it applies
    informational: str | None = None  # why this row is reported but not counted in the verdict

    def to_dict(self):
        """JSON-ready form (exponents as strings such as ``-1/2``) for reports and the result store."""
        d = {"layer": self.layer, "quantity": self.quantity, "dimension": self.dimension,
             "exponent": fmt(self.exponent), "formula": self.formula, "source": self.source}
        if self.spectral_condition is not None:
            d["spectral_condition"] = fmt(self.spectral_condition)
        if self.informational:
            d["informational"] = self.informational
        return d


@dataclass
class Predictions:
    """All predictions for one (table, model) with the intermediate exponents (r_l, eff_l) used."""

    parametrization: str
    optimizer: str
    alignment: str
    items: list[Prediction]
    r: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def get(self, layer, quantity) -> Prediction | None:
        """The prediction for ``(layer, quantity)``, or None when the model has no such row."""
        for p in self.items:
            if (p.layer, p.quantity) == (layer, quantity):
                return p
        return None

    def to_dict(self):
        """JSON-ready form: the table's names, the intermediate exponents, the notes and every prediction."""
        return {"parametrization": self.parametrization, "optimizer": self.optimizer, "alignment": self.alignment,
                "r": {k: fmt(v) for k, v in self.r.items()}, "notes": self.notes,
                "predictions": [p.to_dict() for p in self.items]}
