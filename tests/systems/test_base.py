"""What a named parametrization is: its defaults come from the lists its paper supports.

Kind: paper table -- ``mup`` is Everett et al. (arXiv 2407.05872), whose first optimizer and alignment are Adam and
full alignment (the defaults ``derive -p mup`` uses); TP4's ``tp4-mup`` (arXiv 2011.14522) is SGD-only with no
alignment.  The ParamSpec built here by hand checks the empty-string convention.
"""

from scaling_exponents.systems.base import Option, ParamSpec
from scaling_exponents.systems.registry import get as get_spec
from scaling_exponents.theory.table import Source


def test_defaults_of_registered_specs():
    mup = get_spec("mup")
    assert (mup.default_optimizer, mup.default_alignment) == ("adam", "full")
    assert get_spec("tp4-mup").default_alignment is None


def test_empty_lists_mean_no_default():
    spec = ParamSpec("x", "X", Source("k"), build=lambda *a, **k: None, options=(Option("alpha", "help", 1),))
    assert spec.default_optimizer is None and spec.default_alignment is None
    assert spec.options[0].parse("1/2") == "1/2"  # options parse as strings unless told otherwise
