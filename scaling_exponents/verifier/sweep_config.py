"""``--config sweep.yaml``: a sweep's options in a YAML file, with the same keys as the command-line flags.

What: :func:`apply_config` reads the file named by ``--config`` (``yaml.safe_load``: plain data, no code), checks
every key against the command's own flags (``widths`` or ``base-width``/``base_width`` for ``--widths`` /
``--base-width``) and every value against the flag's type and choices, and makes the file's values the
parser's defaults -- so a flag on the command line overrides the file.  Lists are accepted where a flag takes
a comma-separated list (``widths: [64, 128, 256]``).  Why: a sweep you launch on a cluster is a file you keep
next to its results; an unknown key or a wrong type is one line naming the key and the accepted ones, never a
silently ignored typo.  Examples: ``examples/coord_width.yaml``, ``examples/transfer_width_lr.yaml``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import UserError


def add_arguments(p) -> None:
    """``--config SWEEP.yaml``: sweep options from a YAML file with the flags' keys; the command line overrides it."""
    p.add_argument("--config", metavar="SWEEP.yaml",
                   help="YAML file of options with the same keys as these flags (e.g. widths: [64, 128]); "
                        "flags given on the command line override it")


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """Every option a file may set, by its flag name without dashes (``base-width``)."""
    out = {}
    for a in parser._actions:
        longs = [s for s in a.option_strings if s.startswith("--")]
        if longs and a.dest not in ("help", "config"):
            out[longs[0][2:]] = a
    return out


def _kind(action: argparse.Action) -> str:
    if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
        return "bool"
    return {int: "int", float: "float"}.get(action.type, "str")


def _convert(key: str, value, action: argparse.Action, src: str):
    kind = _kind(action)
    what = {"bool": "true or false", "int": "an integer", "float": "a number",
            "str": "a string or a list (joined with commas)"}[kind]
    bad = UserError(f"{src}: {key!r} must be {what}" + (f" ({', '.join(map(str, action.choices))})" if action.choices
                    else "") + f", got {value!r} ({type(value).__name__})")
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad
        return value
    if isinstance(value, bool) or value is None or isinstance(value, dict):
        raise bad
    if kind == "int":
        if not isinstance(value, int):
            raise bad
    elif kind == "float":
        if not isinstance(value, (int, float)):
            raise bad
        value = float(value)
    else:
        if isinstance(value, list):
            if not value or any(isinstance(v, (bool, list, dict)) or v is None for v in value):
                raise bad
            value = ",".join(str(v) for v in value)
        elif not isinstance(value, (str, int, float)):
            raise bad
        value = str(value)
    if action.choices is not None and value not in action.choices:
        raise bad
    return value


class _DuplicateKey(Exception):
    def __init__(self, key, first: int, line: int):
        super().__init__(key)
        self.key, self.first, self.line = key, first, line


def _unique_keys_loader(yaml):
    """``yaml.SafeLoader`` (plain data, no code) that refuses a mapping key given twice -- YAML's own rule (1.2,
    Sec. 3.2.1.1), which PyYAML does not enforce: it silently keeps the last value."""

    class Loader(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            seen = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise _DuplicateKey(key, seen[key], line)
                seen[key] = line
            return super().construct_mapping(node, deep=deep)

    return Loader


def load(path: str | Path, parser: argparse.ArgumentParser) -> dict:
    """Validated ``{dest: value}`` from a sweep file for ``parser``'s flags (UserError on any bad key or value)."""
    path = Path(path)
    src = str(path)
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML is a dependency of the torch extra
        raise UserError("--config needs PyYAML: pip install pyyaml") from None
    try:
        data = yaml.load(path.read_text(), Loader=_unique_keys_loader(yaml))
    except OSError as e:
        raise UserError(f"--config {src}: cannot read it ({e.strerror})") from None
    except _DuplicateKey as e:
        raise UserError(f"--config {src}: key {e.key!r} is given twice (line {e.first} and line {e.line}); keep one") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        raise UserError(f"--config {src}: not valid YAML{at} ({getattr(e, 'problem', e)})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(f"--config {src}: expected a mapping of option: value, got a {type(data).__name__}")
    opts = _options(parser)
    out = {}
    for key, value in data.items():
        name = str(key).replace("_", "-")
        if name not in opts:
            raise UserError(f"{src}: unknown key {key!r}; accepted: {', '.join(sorted(opts))}")
        out[opts[name].dest] = _convert(str(key), value, opts[name], src)
    return out


def apply_config(parser: argparse.ArgumentParser, argv: list[str]) -> None:
    """If ``argv`` names ``--config FILE``, make the file's values ``parser``'s defaults (flags still override)."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config")
    known, _ = pre.parse_known_args(argv)
    if not known.config:
        return
    values = load(known.config, parser)
    for a in parser._actions:
        if a.dest in values:
            a.required = False  # given by the file
    parser.set_defaults(**values)
