"""Roles of a model's parameters: auto-detection in definition order, glob patterns, and unwrapping.

Kind: independent computation -- the expected roles follow the rule stated in :func:`roles.auto` (TP5, arXiv
2203.03466 Table 3: input weights, hidden weights, output weights; norms and biases apart), written out by hand for a
small model.
"""

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from scaling_exponents.errors import UserError  # noqa: E402
from scaling_exponents.torch import roles  # noqa: E402


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(11, 8)
        self.fc1 = nn.Linear(8, 8)
        self.fc2 = nn.Linear(8, 8)
        self.ln_f = nn.LayerNorm(8)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        return self.head(self.ln_f(self.fc2(self.fc1(self.tok(x)))))


def test_auto_roles_in_definition_order():
    found, mods, unmatched = roles.auto(Net())
    got = {a.name: a.role for a in found}
    assert got == {"tok.weight": "embedding", "fc1.weight": "hidden", "fc1.bias": "bias", "fc2.weight": "hidden",
                   "fc2.bias": "bias", "ln_f.weight": "final_norm", "ln_f.bias": "final_norm",
                   "head.weight": "readout", "head.bias": "bias"}
    assert mods == [] and unmatched == []
    assert {a.name: a.layer_role for a in found if a.role == "bias"} == {"fc1.bias": "hidden", "fc2.bias": "hidden",
                                                                        "head.bias": "readout"}


def test_patterns_assign_roles_and_report_what_matched_nothing():
    assigned, _, unmatched = roles.match(Net(), {"tok": "embedding", "fc*": "hidden", "nothing.*": "hidden"})
    assert {a.name for a in assigned if a.role == "hidden"} == {"fc1.weight", "fc2.weight"}
    assert unmatched == ["nothing.*"]


def test_model_hints_must_be_a_dict():
    class Bad(Net):
        def roles(self):
            return ["fc1"]

    with pytest.raises(UserError, match=r"Bad.roles\(\) must return a dict"):
        roles.auto(Bad())


def test_unwrap_dataparallel():
    net = Net()
    assert roles.unwrap(nn.DataParallel(net)) is net and roles.unwrap(net) is net
