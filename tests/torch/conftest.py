"""Fixtures of the torch-layer tests: the plan of a model under TP5 Table 3's muP (Adam), made step by step."""

from __future__ import annotations

import pytest

#: the width and base width the plan/apply tests use (factors: hidden LR x 1/4, readout std x 1/2, ...)
WIDTH, BASE = 256, 64


@pytest.fixture
def table3_plan():
    """``make(model)``: the :class:`~scaling_exponents.torch.plan.Plan` of ``model`` under mup-table3 (Adam) at width
    :data:`WIDTH` over base :data:`BASE`, built from the three steps the front door runs (table, roles, shapes)."""
    from scaling_exponents.torch.plan import Plan
    from scaling_exponents.torch.roles import resolve_roles
    from scaling_exponents.torch.shapes import BaseShapes
    from scaling_exponents.torch.tables import resolve_table

    def make(model):
        table = resolve_table("mup-table3", "adam", None, {})
        shapes = BaseShapes(table, model, WIDTH, BASE, None, None, None, None, {})
        return Plan.from_table(table, model, resolve_roles(model), shapes)

    return make
