"""Shared test fixtures, and Hypothesis settings that keep the working tree clean.

Hypothesis stores failing examples and a constants cache in ``.hypothesis/`` under the current directory by
default.  Here its home directory is moved to the system temp dir (``set_hypothesis_home_dir``) and the "tests"
profile keeps no example database (``database=None``), so running the suite writes nothing into the repository.
The examples stay reproducible: ``derandomize=True`` draws the same cases on every run.
"""

import tempfile
from pathlib import Path

import pytest

try:
    from hypothesis import settings as _hyp_settings
    from hypothesis.configuration import set_hypothesis_home_dir
except ImportError:  # hypothesis is a dev extra; tests that use it import it themselves
    _hyp_settings = None
else:
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "scaling_exponents-hypothesis")
    _hyp_settings.register_profile("tests", database=None, derandomize=True)
    _hyp_settings.load_profile("tests")


@pytest.fixture
def one_torch_thread():
    """Tiny torch models run faster on one thread, and much faster on a busy 2-core box."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def two_torch_threads():
    """The verifier's sweeps use both cores; pin it so timing does not depend on an earlier test's setting."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(n)
