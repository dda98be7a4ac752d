"""Errors a user can act on. The CLI prints them as one line and exits with status 2."""


class UserError(ValueError):
    """Bad input from the user: the message names the bad value and the fix."""


class SolverError(RuntimeError):
    """The LP solver or the exact re-check failed; the message says which constraint."""
