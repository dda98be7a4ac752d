"""One evaluator of ``(size/base)^power`` and no hand-built optimizer groups in the probes.

Structural checks on the package source, rebuilt from the AST (docstrings and comments do not count):

* every power ``x ** e`` whose exponent is not a numeric literal lives in ``theory/factors.py`` (the one evaluator)
  or is in :data:`NOT_A_SIZE_FACTOR` with the reason it is not a ``(size/base)^power`` factor;
* no probe module (``verifier/probes/*.py``) writes an optimizer param-group dict by hand (a dict literal with an
  ``"lr"`` key): the probes take their groups from ``Parametrization.param_groups``.

Kind: independent computation (the AST of every module is walked here; the planted-source tests show that each
check finds what it forbids).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "scaling_exponents"
EVALUATOR = "theory/factors.py"
#: (module, expression) -> why it is not a (size/base)^power factor of a table
NOT_A_SIZE_FACTOR = {
    ("torch/fold.py", "m ** k"): "folding a forward multiplier m into the LR (m^1 Adam, m^2 SGD), not a size ratio",
    ("verifier/models/gpt_modern.py", "base ** (-torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)"):
        "RoPE frequencies",
    ("verifier/probes/seeds.py", "b1 ** t"): "Adam's bias correction",
    ("verifier/probes/seeds.py", "b2 ** t"): "Adam's bias correction",
    ("verifier/transfer.py", "2.0 ** k"): "the LR grid of a transfer sweep (powers of two)",
    ("verifier/transfer.py", "2 ** o"): "the LR grid of a transfer sweep (powers of two)",
    ("evidence/lr_optimum.py", "2.0 ** k"): "the LR grid of a transfer sweep (powers of two)",
    ("verifier/user_transfer.py", "2 ** o"): "the optimum LR from its log2 (the transfer sweep's grid)",
    ("theory/dimensions.py", "base ** exp"): "reading one size written as a power (--size width=2^12/2^8), no ratio",
}


def _literal(e) -> bool:
    return isinstance(e.operand if isinstance(e, ast.UnaryOp) else e, ast.Constant)


def _powers(source: str) -> list[tuple[int, str]]:
    """``(line, expression)`` of every ``**`` -- and ``pow(x, e)``, ``math.pow``, ``np.power``, ``t.pow(e)`` -- whose
    exponent is not a (signed) numeric literal."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and not _literal(node.right):
            out.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Call) and node.args:
            f, call = node.func, ast.unparse(node.func)
            two = call in ("pow", "math.pow", "np.power", "numpy.power", "torch.pow") and len(node.args) == 2
            method = isinstance(f, ast.Attribute) and f.attr == "pow" and len(node.args) == 1  # tensor.pow(e)
            if (two or method) and not _literal(node.args[-1]):
                out.append((node.lineno, ast.unparse(node)))
    return out


def _hand_groups(source: str) -> list[int]:
    """Lines of dict literals with an ``"lr"`` key (a param group written by hand)."""
    return [node.lineno for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Dict)
            and any(isinstance(k, ast.Constant) and k.value == "lr" for k in node.keys)]


def test_powers_of_sizes_are_evaluated_only_by_the_evaluator():
    found = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG).as_posix()
        if rel == EVALUATOR:
            continue
        for line, expr in _powers(path.read_text(encoding="utf-8")):
            if (rel, expr) not in NOT_A_SIZE_FACTOR:
                found.append(f"{rel}:{line}: {expr}")
    assert not found, ("evaluate (size/base)^power with scaling_exponents.theory.factors (scale_factor, factor, "
                       "evaluate), not by hand: " + "; ".join(found))


def test_the_evaluator_itself_is_where_the_power_is():
    assert [e for _, e in _powers((PKG / EVALUATOR).read_text(encoding="utf-8"))] == ["float(ratio) ** float(power)"]


def test_no_probe_builds_a_param_group_by_hand():
    found = []
    for path in sorted((PKG / "verifier" / "probes").glob("*.py")):
        found += [f"{path.name}:{line}" for line in _hand_groups(path.read_text(encoding="utf-8"))]
    assert not found, "probes take LRs from Parametrization.param_groups, not hand-built groups: " + ", ".join(found)


@pytest.mark.parametrize("source, bad", [
    ("f = lr * (vocab / base) ** float(p)\n", True),
    ("x = (n / base) ** b_lr\n", True),
    ("r = math.pow(n / base, p)\n", True),
    ("r = np.power(ratio, power)\n", True),
    ("r = ratio.pow(power)\n", True),
    ("y = (a - b) ** 2\nz = w ** -0.5\nf(**kw)\nv = t.pow(2).mean()\nq = math.pow(x, 0.5)\n", False),
])
def test_the_power_check_finds_a_planted_site(source, bad):
    assert bool(_powers(source)) is bad


def test_the_group_check_finds_a_planted_group():
    assert _hand_groups('opt = Adam([{"params": [w], "lr": 0.1}])\n') == [1]
    assert _hand_groups("opt = Adam(pz.param_groups)\nlr = g.get('lr')\n") == []
