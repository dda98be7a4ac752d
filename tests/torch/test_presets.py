"""Presets: a model family's roles and sizes, found only for the families they know.

Kind: independent computation -- a plain ``nn.Sequential`` is no Hugging Face family, so no preset applies and the
sizes pass through unchanged; giving both a base model and a base config is refused in one line.
"""

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from scaling_exponents.errors import UserError  # noqa: E402
from scaling_exponents.systems.registry import derive  # noqa: E402
from scaling_exponents.torch import presets  # noqa: E402


def test_no_preset_for_a_plain_model():
    net = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2))
    assert presets.find(net) is None
    assert presets.resolve(derive("mup"), net, None, None, None, 8, 4, None, None) == (None, None, 8, None, None)


def test_layers_given_skip_the_preset_and_two_bases_are_refused():
    net = nn.Sequential(nn.Linear(4, 8))
    assert presets.resolve(derive("mup"), net, {"0": "hidden"}, None, None, None, None, None, None)[0] is None
    with pytest.raises(UserError, match="give base_model= or base_config=, not both"):
        presets.resolve(derive("mup"), net, None, object(), net, None, None, None, None)
