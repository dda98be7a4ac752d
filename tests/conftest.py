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
