"""A ``--help`` that fits one screen for the commands with many flags (``verify``, ``transfer``), and ``--help-all``.

What: :func:`compact` keeps the full help of the flags a user reaches for first (``keep``) and folds every other flag
into one line per help group (``depth sweep: --depths --width --base-depth``), with the usage shortened to match;
``--help-all`` restores every flag's own help and prints it.  Why: ``verify`` has ~45 flags (each sweep declaration
adds its own); argparse's flat listing ran to 180 lines, and the sweeps' groups are what a user has to see first.
"""

from __future__ import annotations

import argparse

#: the group argparse puts flags in when none is given
_DEFAULT_GROUP = "options"


class _HelpAll(argparse.Action):
    """``--help-all``: every flag's own help (undoing :func:`compact`), then exit."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        for action in parser._actions:
            if hasattr(action, "full_help"):
                action.help = action.full_help
        for group in parser._action_groups:
            if hasattr(group, "full_description"):
                group.description = group.full_description
        parser.usage = None
        parser.print_help()
        parser.exit()


def _flag(action) -> str:
    """``--depths LIST``-style short form of a flag: its metavar, or its choices, or N/X/V by its type."""
    name = max(action.option_strings, key=len)
    if action.nargs == 0:
        return name
    if action.metavar:
        meta = action.metavar
    elif action.choices:
        meta = "{" + ",".join(map(str, action.choices)) + "}"
    else:
        meta = {int: "N", float: "X"}.get(action.type, "LIST" if action.dest.endswith("s") and not action.dest.endswith("ss") else "V")
    return f"{name}\u00a0{meta}"  # a no-break space: a flag and its value stay on one line


def _columns(margin: int) -> int:
    """The terminal's width less ``margin`` (at least 40): argparse prints raw usage and descriptions as given."""
    import shutil

    return max(40, shutil.get_terminal_size((100, 24)).columns - margin)


def _wrap(flags: list[str]) -> str:
    """The flags as lines that fit the terminal, each flag with its value on one line."""
    import textwrap

    lines = textwrap.wrap("   ".join(flags), width=_columns(4), break_on_hyphens=False, break_long_words=False)
    return "\n".join(lines).replace("\u00a0", " ")


def _fill(text: str, indent: int = 0) -> str:
    """``text`` wrapped to the terminal (argparse prints raw usage and descriptions as given); continuation lines
    indented by ``indent``."""
    import textwrap

    return textwrap.fill(text, width=_columns(2) - indent, subsequent_indent=" " * indent, break_on_hyphens=False,
                         break_long_words=False)


def compact(parser: argparse.ArgumentParser, keep: set[str], usage: str) -> None:
    """Fold every flag whose dest is not in ``keep`` into its group's one-line description (a new "more options"
    group for the ungrouped ones); ``usage`` replaces argparse's generated usage; adds ``--help-all``."""
    more = parser.add_argument_group("more options")
    for group in list(parser._action_groups):
        hidden = [a for a in group._group_actions if a.option_strings and a.dest not in keep
                  and a.help is not argparse.SUPPRESS and not isinstance(a, argparse._HelpAction)]
        for a in hidden:
            a.full_help, a.help = a.help, argparse.SUPPRESS
        if not hidden:
            continue
        target = more if group.title == _DEFAULT_GROUP else group
        target.full_description = group.description if target is group else None
        target.folded = getattr(target, "folded", []) + [_flag(a) for a in hidden]
        target.description = _wrap(target.folded)
    parser.usage = _fill(usage % {"prog": parser.prog}, indent=len("usage: "))
    parser.description = _fill(parser.description or "")
    parser.add_argument("--help-all", action=_HelpAll, help="every flag with its own help (this screen folds the "
                                                            "less common ones into one line per group)")
