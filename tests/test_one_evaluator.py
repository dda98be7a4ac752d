"""One evaluator of ``(size/base)^power`` and no hand-built optimizer groups in the probes.

Structural checks on the package source, rebuilt from the AST (docstrings and comments do not count):

* every power ``x ** e`` whose exponent is not a numeric literal lives in ``theory/factors.py`` (the one evaluator)
  or is in :data:`NOT_A_SIZE_FACTOR` with the reason it is not a ``(size/base)^power`` factor;
* no probe module (``verifier/probes/*.py``) writes an optimizer param-group dict by hand (a dict literal with an
  ``"lr"`` key): the probes take their groups from ``Parametrization.param_groups``;
* no probe sets init, multipliers or LRs by hand (issue 22 item 5, :func:`_by_hand`): no init call
  (``nn.init.normal_``, ``w.normal_``, ``kaiming_*``, ...) with a computed std/bound, no write of a per-parameter LR
  (``lr[name] = ...``, ``group["lr"] = ...``), no import or call of the evaluator (``theory.factors``,
  ``table.combined_factor``: a factor is read from the Parametrization), no multiplier set by hand
  (``set_multipliers``, ``set_out_scale``, ``x.out_scale = ...``) -- except the sites of :data:`BY_HAND_OK`, each
  with the reason it is not a hand-made scaling rule.

Kind: independent computation (the AST of every module is walked here; the planted-source tests show that each
check finds what it forbids, including the lines the SSM and MoE probes and ``nngp_run`` had before issue 22 item 5).
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


#: (probe module, enclosing function, what) -> why a site :func:`_by_hand` finds is not a hand-made scaling rule
BY_HAND_OK = {
    ("coord_fast.py", "_build_mlp_seeds", "init kaiming_uniform_"):
        "replays PyTorch's default Linear init for the other seeds, times the Parametrization's own init_scale "
        "(bitwise equal to one Parametrization per seed, tests/verifier/test_coord_fast.py)",
    ("seeds.py", "_group_hparams", "lr store"): "copies Parametrization.param_groups into per-parameter dicts",
    ("seeds.py", "_group_hparams", "eps store"): "copies Parametrization.param_groups into per-parameter dicts",
    ("seeds.py", "_group_hparams", "wd store"): "copies Parametrization.param_groups into per-parameter dicts",
    ("lora.py", "make", "evaluator import factor"):
        "the BASE model's sigma_A = n_0^s (the table's exponent at the base width); the Parametrization rescales it",
    ("lora.py", "make", "evaluator call factor"):
        "the BASE model's sigma_A = n_0^s (the table's exponent at the base width); the Parametrization rescales it",
}
#: init functions (``nn.init.X(tensor, ...)`` or ``tensor.X(...)``) whose scale arguments must be literals in a probe
INIT_FUNCS = ("normal_", "uniform_", "trunc_normal_", "kaiming_normal_", "kaiming_uniform_", "xavier_normal_",
              "xavier_uniform_", "orthogonal_", "constant_", "fill_")
#: names of the evaluator (theory/factors.py) and of ExponentTable's factor methods
EVALUATOR_NAMES = ("evaluate", "factor", "scale_factor", "terms", "combined_factor", "factors")
#: per-parameter HP stores a probe must not write: ``lr[name] = ...`` and ``group["lr"] = ...``
HP_STORES = {"lr": "lr", "eps": "eps", "wd": "weight_decay", "weight_decay": "weight_decay"}


def _by_hand(source: str) -> list[tuple[int, str, str]]:
    """``(line, enclosing function, what)`` of every site in ``source`` that sets an init, a multiplier or an LR by
    hand, or evaluates a size factor itself (module doc)."""
    out = []

    def visit(node, func):
        for child in ast.iter_child_nodes(node):
            where = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else func
            what = _site(child)
            if what:
                out.append((child.lineno, where, what))
            visit(child, where)

    visit(ast.parse(source), "<module>")
    return out


def _site(node) -> str | None:
    if isinstance(node, ast.Call):
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        if name in INIT_FUNCS:
            # nn.init.X(tensor, scale...) or tensor.X(scale...): any non-literal scale is a std computed by hand
            scale = node.args[1:] if isinstance(f, ast.Attribute) and ast.unparse(f.value) in ("nn.init", "init",
                                                                                              "torch.nn.init") else node.args
            if any(not _literal(a) for a in list(scale) + [k.value for k in node.keywords]):
                return f"init {name}"
        if name in EVALUATOR_NAMES and not (isinstance(f, ast.Attribute) and ast.unparse(f.value) in ("pz", "self")):
            return f"evaluator call {name}"
        if name.startswith("set_") and ("scale" in name or "mult" in name):
            return f"multiplier {name}"
    if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("theory.factors"):
        return "evaluator import " + ",".join(a.name for a in node.names)
    if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("theory") and any(
            a.name == "factors" for a in node.names):
        return "evaluator import factors"
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
        node, (ast.AugAssign, ast.AnnAssign)) else []
    for t in [e for t in targets for e in (t.elts if isinstance(t, ast.Tuple) else [t])]:
        if isinstance(t, ast.Subscript):
            key = t.slice.value if isinstance(t.slice, ast.Constant) else None
            base = t.value.id if isinstance(t.value, ast.Name) else None
            store = HP_STORES.get(key) if isinstance(key, str) else HP_STORES.get(base)
            if store:
                return f"{'eps' if store == 'eps' else 'lr' if store == 'lr' else 'wd'} store"
        if isinstance(t, ast.Attribute) and ("scale" in t.attr or "mult" in t.attr):
            return f"multiplier attribute {t.attr}"
    return None


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


def test_no_probe_sets_init_multipliers_or_lrs_by_hand():
    found, used = [], set()
    for path in sorted((PKG / "verifier" / "probes").glob("*.py")):
        for line, func, what in _by_hand(path.read_text(encoding="utf-8")):
            if (path.name, func, what) in BY_HAND_OK:
                used.add((path.name, func, what))
            else:
                found.append(f"{path.name}:{line} ({func}): {what}")
    assert not found, ("probes take init, multipliers and LRs from Parametrization (roles via layers=, sizes via "
                       "sizes=), not by hand: " + "; ".join(found))
    assert used == set(BY_HAND_OK), f"stale BY_HAND_OK entries: {sorted(set(BY_HAND_OK) - used)}"


@pytest.mark.parametrize("source, what", [
    # the lines issue 22 item 5 removed: verifier/probes/ssm.py, moe.py and kernels.nngp_run before the change
    ("from ...theory.factors import evaluate\n", "evaluator import evaluate"),
    ("model = DiagonalSSM(n, n, b_std=evaluate([(n / base, b_init)]) / math.sqrt(base), seed=seed)\n",
     "evaluator call evaluate"),
    ("scale = table.combined_factor('moe_output', 'multiplier', sizes(cfg)) / cfg.base_topk\n",
     "evaluator call combined_factor"),
    ("m.set_out_scale(scale)\n", "multiplier set_out_scale"),
    ("lr[n] = 0.0\n", "lr store"),
    ("nn.init.normal_(lin.weight, std=math.sqrt(2.0 / lin.in_features))\n", "init normal_"),
    # and other ways of writing the same
    ("g['lr'] = cfg.lr * f\n", "lr store"),
    ("group['weight_decay'] *= f\n", "wd store"),
    ("w.normal_(0.0, sigma * f)\n", "init normal_"),
    ("torch.nn.init.trunc_normal_(w, std=s)\n", "init trunc_normal_"),
    ("b.moe.out_scale = 0.5\n", "multiplier attribute out_scale"),
    ("from ...theory import factors\n", "evaluator import factors"),
    ("set_multipliers(mod, output=r)\n", "multiplier set_multipliers"),
])
def test_the_by_hand_check_finds_a_planted_site(source, what):
    assert [w for _, _, w in _by_hand(source)] == [what]


def test_the_by_hand_check_passes_the_product_and_names_the_function():
    ok = ("opt = torch.optim.Adam(pz.param_groups)\nlr = pz.lr_of('B')\nmodel.B -= pz.lr_of('B') * torch.sign(g)\n"
          "mult = get_multipliers(mod)\nnn.init.zeros_(b)\nw.normal_()\nnn.init.normal_(w, 0.0, 0.02)\n"
          "f = pz.factor('hidden', 'lr', info)\nu = torch.randn(3, generator=g)\n")
    assert _by_hand(ok) == []
    assert _by_hand("def make(cfg):\n    x = 1\n    lr[n] = 0.0\n") == [(3, "make", "lr store")]
