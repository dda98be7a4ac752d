"""Shared test fixtures."""

import pytest


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
