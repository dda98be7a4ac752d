"""Sizes and settings of ``Parametrization`` (torch/settings.py): one parse for every spelling of a size, a frozen
settings value, and a misspelled keyword named with the closest name.

Kind: independent computation -- each spelling is compared with the others (``width=256, base_width=64`` ==
``width=(256, 64)`` == ``sizes={"width": (256, 64)}``), and the errors name the bad keyword.
"""

from __future__ import annotations

import dataclasses

import pytest

from scaling_exponents.errors import UserError
from scaling_exponents.torch import Parametrization
from scaling_exponents.torch.settings import Settings, sizes_from, split_keywords
from scaling_exponents.verifier.models import MLP


def test_size_spellings_are_one_thing_and_a_misspelled_keyword_is_named():
    assert sizes_from({"width": 256, "base_width": 64}) == sizes_from({"width": (256, 64)})
    assert sizes_from({"sizes": {"width": (256, 64)}}) == sizes_from({"width": (256, 64)})
    assert sizes_from({"experts": (8, 2)}).other == {"experts": (8, 2)}
    with pytest.raises(TypeError, match="'widht'; did you mean 'width'"):
        Parametrization(MLP(8, 64, 4), "mup-table3", widht=64, base_width=16)
    with pytest.raises(TypeError, match="'init'; it is a field of settings="):
        Parametrization(MLP(8, 64, 4), "mup-table3", base_width=16, init=None)
    with pytest.raises(UserError, match="'experts' needs both its size and its base"):
        sizes_from({"experts": 8})
    with pytest.raises(UserError, match="contradicts"):
        sizes_from({"width": 256, "sizes": {"width": (128, 64)}})


def test_settings_are_frozen_and_a_bad_key_is_named():
    s = Settings.of({"weight_decay": 0.1, "no_weight_decay": "norm"})
    assert s.no_weight_decay == ("norm",) and Settings.of(s) is s and Settings.of(None) == Settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.weight_decay = 0.0
    with pytest.raises(UserError, match="settings has no field 'initt'; did you mean 'init'"):
        Settings.of({"initt": None})


def test_flat_keywords_split_into_settings_and_the_rest():
    rest, settings = split_keywords({"layers": {"*": "auto"}, "init": None, "strict": True, "width": 64})
    assert rest == {"layers": {"*": "auto"}, "width": 64} and settings == {"init": None, "strict": True}
    assert Settings.of(settings).init is None and Settings.of(settings).strict
