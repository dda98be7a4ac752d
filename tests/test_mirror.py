"""The tests mirror the package: every module with behaviour has a test module (issue 25 item 5).

A module has behaviour when it defines a public function or class at module level (a package ``__init__`` that only
re-exports, and a data-only module, do not).  It is tested when ``tests/<package>/test_<module>.py`` exists (the
package path in full, or only its top-level package: ``scaling_exponents/verifier/probes/seeds.py`` ->
``tests/verifier/probes/test_seeds.py`` or ``tests/verifier/test_seeds.py``; a package's ``__init__`` ->
``test_<package>.py``), or when :data:`COVERED_BY` names the test file that covers it under another name.  A map
entry is checked here, not trusted: the named file must import the module (directly, through another module's
re-export of a name it defines -- ``from .x import Name`` at module level -- or by ``importorskip`` /
``import_module``), or pass its CLI command to the CLI, or -- for a module reached by a registered name (a
parametrization in the registry, an ``--emit`` framework, an executor) -- hold that name as a string constant that
the module (or its package ``__init__``) also holds.

Kind: independent computation (modules and tests are parsed here with ``ast``; a planted package with a tested, a
mapped and an untested module must be sorted correctly).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG_NAME = "scaling_exponents"

#: Modules tested by a file of another name: ``module -> test file`` (the file imports it or runs its CLI command)
#: or ``module -> (test file, name)`` (the file reaches the module through the registered ``name``).
COVERED_BY = {
    "cli.args": "tests/cli/test_size_flags.py",
    "cli.catalog": "tests/literature/test_catalog.py",  # `catalog --check` on the committed catalog
    "cli.derive": "tests/cli/test_cli.py",
    "cli.transfer": "tests/cli/test_help_screen.py",  # `transfer --help`
    "cli.verify": "tests/cli/test_help_screen.py",  # `verify --help`, `--help-all`
    "cli.listing": "tests/cli/test_list_dimension.py",  # `list --dimension`
    "errors": "tests/cli/test_bad_input.py",
    "evidence.calibrate": "tests/evidence/test_verdicts.py",
    "evidence.fans": "tests/verifier/test_umup_verify.py",
    "evidence.fit": "tests/evidence/test_fit_verdict.py",
    "evidence.hints": "tests/evidence/test_predict_fixes.py",
    "evidence.predict": "tests/evidence/test_predict_fixes.py",
    "evidence.predict_decay": "tests/verifier/test_decay.py",
    "evidence.predict_density": "tests/verifier/test_verify_density.py",
    "evidence.predict_depth": "tests/verifier/test_verify_depth.py",
    "evidence.predict_lora": "tests/verifier/test_verify_lora.py",
    "evidence.predict_matrix": "tests/evidence/test_predict_fixes.py",
    "evidence.predict_moe": "tests/verifier/test_moe_model.py",
    "evidence.predict_sam": "tests/verifier/test_sam.py",
    "evidence.predict_unit": "tests/verifier/test_umup_verify.py",
    "evidence.predict_vocab": "tests/verifier/test_verify_vocab.py",
    "evidence.report": "tests/cli/test_output.py",
    "evidence.summary": "tests/evidence/test_verdicts.py",
    "evidence.transfer_verdict": "tests/torch/test_am_mup_roles.py",
    "frameworks": "tests/cli/test_emit.py",
    "frameworks.hf": ("tests/cli/test_emit.py", "hf"),  # frameworks.emit(table, "hf", ...)
    "frameworks.megatron": "tests/cli/test_emit.py",
    "frameworks.nanogpt_mup": ("tests/cli/test_emit.py", "nanogpt-mup"),
    "literature.catalog.dimensions": "tests/literature/test_catalog_dimensions.py",
    "literature.catalog.evidence": "tests/literature/test_catalog_evidence.py",
    "literature.catalog.files": "tests/literature/test_catalog_dimensions.py",
    "literature.catalog.oracle_check": "tests/literature/test_oracle_regression_rows.py",
    "literature.markdown": "tests/literature/test_catalog.py",
    "literature.oracles": "tests/literature/test_oracle_regression_rows.py",
    # parametrizations derived by their registry name
    "systems.am_mup": ("tests/systems/test_supar_am_mup.py", "am-mup"),
    "systems.completed_p": ("tests/systems/test_horizon.py", "completed-p"),
    "systems.lora_plus": "tests/systems/test_lora.py",
    "systems.lora_rank": ("tests/systems/test_lora.py", "lora-mua"),
    "systems.matrix_optimizers": ("tests/systems/test_spectral.py", "shampoo"),
    "systems.supar": ("tests/systems/test_supar_am_mup.py", "supar"),
    "systems.token_horizon": ("tests/systems/test_horizon.py", "token-horizon"),
    "systems.vocab_roles": "tests/systems/test_vocab.py",
    "systems.everett2024_aligned": "tests/systems/test_everett2024_fast.py",
    "systems.everett2024_fast_backends": "tests/systems/test_everett2024_fast.py",
    "verifier.sweeps._sizes": "tests/verifier/test_sweeps.py",
    "verifier.verify_width": "tests/verifier/test_verify.py",
    "theory.classify": "tests/systems/test_tp4.py",
    "theory.custom_tables": "tests/theory/test_table_json.py",
    "theory.cvxpy_backend": "tests/theory/test_highs_backend.py",  # both back ends on the same LPs
    "theory.symmetry": "tests/systems/test_tp5.py",
    "theory.system": "tests/theory/test_solve.py",
    "theory.table": "tests/theory/test_factors.py",
    "torch.explain": "tests/torch/test_nothing_silent.py",
    "torch.lr_guard": "tests/torch/test_nothing_silent.py",
    "torch.multiplier": "tests/verifier/test_verify_lora.py",
    "torch.presets.hf": "tests/torch/test_hf_presets.py",
    "torch.safety": "tests/torch/test_safe_application.py",
    "torch.tables": "tests/torch/test_am_mup_roles.py",
    "verifier.align": "tests/cli/test_align.py",
    "verifier.alignment_sweep": "tests/verifier/test_alignment_sweep_modes.py",
    "verifier.executors.local": "tests/verifier/test_executors.py",
    "verifier.executors.ray": "tests/verifier/test_executors.py",
    "verifier.executors.slurm": ("tests/verifier/test_executors.py", "slurm"),  # --executor slurm
    "verifier.models.gpt": "tests/verifier/test_gpt_modern.py",
    "verifier.models.lora": "tests/verifier/test_verify_lora.py",
    "verifier.models.mlp": "tests/verifier/test_muon_convention_lr.py",
    "verifier.models.moe": "tests/verifier/test_moe_model.py",
    "verifier.models.resmlp": "tests/verifier/test_sam.py",
    "verifier.models.ssm": "tests/verifier/test_ssm_probe.py",
    "verifier.moe_verify": "tests/verifier/test_moe_model.py",
    "verifier.probes.config": "tests/verifier/test_gpt_modern.py",
    "verifier.probes.coord": "tests/verifier/test_store_key.py",
    "verifier.probes.density": "tests/verifier/test_verify_density.py",
    "verifier.probes.depth": "tests/verifier/test_store_key.py",
    "verifier.probes.lora": "tests/verifier/test_verify_lora.py",
    "verifier.probes.moe": "tests/verifier/test_moe_model.py",  # build_moe_seeds: frozen embed/head get LR 0
    "verifier.probes.optim": "tests/verifier/test_store_key.py",
    "verifier.probes.ssm": "tests/verifier/test_ssm_probe.py",
    "verifier.probes.unit_scale": "tests/verifier/test_umup_verify.py",
    "verifier.probes.vocab": "tests/verifier/test_verify_vocab.py",
    "verifier.sweep": "tests/verifier/test_sweep_store.py",
    "verifier.target": "tests/verifier/test_decay.py",  # Target, re-exported by verify
    "verifier.transfer": "tests/verifier/test_transfer_optimum.py",
    "verifier.unit_verify": "tests/verifier/test_umup_verify.py",
    "verifier.user_coord": "tests/verifier/test_user_model.py",
    "verifier.user_transfer": "tests/verifier/test_user_model.py",
    "verifier.verify_decay": "tests/verifier/test_decay.py",
    "verifier.verify_matrix": "tests/verifier/test_optimizers.py",
    "verifier.verify_sam": "tests/verifier/test_sam.py",
}

#: Modules with behaviour and no test module yet: each needs one (a real test asserting a value); remove the entry
#: when it is written (the test below fails on an entry once a same-named test file exists).  Empty since issue 25
#: item 5: a new module comes with its test.
UNTESTED: set[str] = set()


def module_name(path: Path, pkg: Path) -> str:
    """Dotted name of ``path`` relative to the folder holding the package ``pkg``."""
    parts = list(path.relative_to(pkg.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def has_behaviour(path: Path) -> bool:
    """True when the module defines a public function or class at module level."""
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not n.name.startswith("_")
               for n in ast.parse(path.read_text(encoding="utf-8")).body)


def all_modules(pkg: Path) -> dict[str, Path]:
    """Every module of the package (``__main__`` aside), by dotted name."""
    return {module_name(p, pkg): p for p in sorted(pkg.rglob("*.py")) if p.name != "__main__.py"}


def same_named(mod: str, path: Path, tests: Path) -> list[Path]:
    """The test files that would mirror ``mod`` by name."""
    parts = mod.split(".")[1:]
    if not parts:
        return [tests / f"test_{mod}.py"]
    name = parts[-1]
    out = [tests.joinpath(*parts[:-1], f"test_{name}.py"), tests.joinpath(parts[0], f"test_{name}.py")]
    if path.name == "__init__.py":
        out.append(tests.joinpath(*parts, f"test_{name}.py"))
    return out


def _reexports(mod: str, modules: dict[str, Path]) -> dict[str, str]:
    """``{name: module}`` for the names ``mod`` imports from a sibling module (``from .x import Name``): a package
    re-exporting its submodules, or a module re-exporting a helper it was split from."""
    path = modules.get(mod)
    if path is None:
        return {}
    pkg = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    out = {}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # a package may re-export lazily (``__getattr__`` importing on first use); a module only at module level
    for node in (ast.walk(tree) if path.name == "__init__.py" else tree.body):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            for a in node.names:
                if f"{pkg}.{node.module}" in modules:
                    out[a.asname or a.name] = f"{pkg}.{node.module}"
    return out


def imported_modules(test: Path, modules: dict[str, Path]) -> set[str]:
    """Package modules a test file imports: ``import``/``from`` (a name re-exported by a package counts for the
    module that defines it), ``pytest.importorskip("m")`` and ``importlib.import_module("m")``."""
    found = set()
    for node in ast.walk(ast.parse(test.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("importorskip", "import_module")):
            targets = [node.args[0].value]
        else:
            continue
        for t in targets:
            if t in modules:
                found.add(t)
            stem, _, name = t.rpartition(".")
            sub = _reexports(stem, modules).get(name)
            if sub in modules:
                found.add(sub)
    return found


def string_constants(path: Path) -> set[str]:
    """Every string constant in a file."""
    return {n.value for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def commands() -> dict[str, str]:
    """``{module: CLI command}`` from the CLI's own table, plus the verifier module a torch command's CLI module
    hands the run to (``cli.align`` -> ``verifier.align``, read from its imports)."""
    from scaling_exponents.cli import COMMANDS

    out = {module: name for name, module, _ in COMMANDS}
    for name, module, _ in COMMANDS:
        path = PKG.joinpath(*module.split(".")[1:]).with_suffix(".py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):  # from ..verifier.align import run
            if isinstance(node, ast.ImportFrom) and node.level == 2 and node.module == f"verifier.{name}":
                out.setdefault(f"{PKG_NAME}.verifier.{name}", name)
    return out


def covers(test: Path, mod: str, modules: dict[str, Path], via: str | None = None,
           cli: dict[str, str] | None = None) -> bool:
    """Whether ``test`` covers ``mod``: it imports it, or passes its CLI command to the CLI it imports, or (with
    ``via``) it holds the registered name ``via`` that ``mod`` or its package ``__init__`` also holds."""
    if not test.is_file():
        return False
    imported = imported_modules(test, modules)
    if mod in imported:
        return True
    consts = string_constants(test)
    command = (cli or {}).get(mod)
    if command and command in consts and any(m == f"{PKG_NAME}.cli" for m in imported):
        return True
    if via is not None and via in consts:
        owners = [modules[mod]] + [modules[p] for p in (mod.rpartition(".")[0],) if p in modules]
        return any(via in string_constants(o) for o in owners)
    return False


def uncovered(pkg: Path, tests: Path, covered_by: dict, untested: set[str], cli=None) -> list[str]:
    """Modules with behaviour that have neither a same-named test, nor an entry in ``covered_by``, nor one in
    ``untested`` (names relative to the package; ``""`` is the package itself)."""
    out = []
    for mod, path in all_modules(pkg).items():
        short = mod.partition(".")[2]
        if not has_behaviour(path) or any(p.is_file() for p in same_named(mod, path, tests)):
            continue
        if short not in covered_by and short not in untested:
            out.append(short)
    return out


def dishonest(pkg: Path, root: Path, covered_by: dict, cli=None) -> list[str]:
    """Map entries whose test file does not cover the module (see :func:`covers`)."""
    modules = all_modules(pkg)
    bad = []
    for short, entry in covered_by.items():
        test, via = (entry, None) if isinstance(entry, str) else entry
        mod = f"{pkg.name}.{short}"
        if mod not in modules or not covers(root / test, mod, modules, via, cli):
            bad.append(f"{short} -> {entry}")
    return bad


PKG = ROOT / PKG_NAME
TESTS = ROOT / "tests"


def test_every_module_with_behaviour_has_a_test():
    missing = uncovered(PKG, TESTS, COVERED_BY, UNTESTED)
    assert not missing, (f"no test module for {missing}: write tests/<package>/test_<module>.py (or name the file "
                         "that covers it in COVERED_BY)")


def test_the_map_is_checked_not_trusted():
    bad = dishonest(PKG, ROOT, COVERED_BY, commands())
    assert not bad, f"these COVERED_BY files do not import the module, run its command or name it: {bad}"


def test_untested_lists_only_untested_modules():
    modules = all_modules(PKG)
    stale = []
    for short in sorted(UNTESTED):
        mod = f"{PKG_NAME}.{short}" if short else PKG_NAME
        if mod not in modules or not has_behaviour(modules[mod]):
            stale.append(f"{short!r} (no such module with behaviour)")
        elif any(p.is_file() for p in same_named(mod, modules[mod], TESTS)) or short in COVERED_BY:
            stale.append(f"{short!r} (has a test now: remove it from UNTESTED)")
    assert not stale, stale


@pytest.fixture
def planted(tmp_path):
    pkg = tmp_path / "pk"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from .sub.b import B\n")  # re-export only: no behaviour
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "data.py").write_text("TABLE = {'x': 1}\n")  # data only
    (pkg / "a.py").write_text("def a():\n    return 1\n")
    (pkg / "sub" / "b.py").write_text("class B:\n    pass\n")
    (pkg / "sub" / "c.py").write_text("NAME = 'c-name'\n\ndef c():\n    return 3\n")
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_a.py").write_text("from pk.a import a\n")
    (tests / "test_other.py").write_text("from pk import B\nUSE = 'c-name'\n")
    return pkg, tests


def test_the_check_sorts_a_planted_package(planted):
    pkg, tests = planted
    assert uncovered(pkg, tests, {}, set()) == ["sub.b", "sub.c"]
    assert uncovered(pkg, tests, {"sub.b": "tests/test_other.py"}, {"sub.c"}) == []
    # the re-export of B makes test_other.py an importer of pk.sub.b; it names c's registered name, not its module
    assert dishonest(pkg, tests.parent, {"sub.b": "tests/test_other.py"}) == []
    assert dishonest(pkg, tests.parent, {"sub.c": "tests/test_other.py"}) == ["sub.c -> tests/test_other.py"]
    assert dishonest(pkg, tests.parent, {"sub.c": ("tests/test_other.py", "c-name")}) == []
    assert dishonest(pkg, tests.parent, {"sub.c": ("tests/test_a.py", "c-name")}) != []
    assert dishonest(pkg, tests.parent, {"sub.b": "tests/test_a.py"}) == ["sub.b -> tests/test_a.py"]
