"""``python -m scaling_exponents``: see :mod:`scaling_exponents.cli`.

After the command has finished and its output is flushed, the process exits with ``os._exit``: tearing
down the cvxpy/scipy/sympy module graph costs ~0.15 s and buys nothing (every file the commands write is
closed by then).
"""

import os
import sys

from .cli import main

code = main()
try:
    sys.stdout.flush()
    sys.stderr.flush()
except BrokenPipeError:
    pass
os._exit(code)
