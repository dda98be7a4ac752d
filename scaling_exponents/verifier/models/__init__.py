"""Reference models with stable module names for the verifier (one module each) -- also handy examples of
models :class:`~scaling_exponents.torch.Parametrization` applies to.

* :class:`MLP` (:mod:`.mlp`), :class:`GPT` (:mod:`.gpt`), :class:`ResMLP` (:mod:`.resmlp`), :class:`MoENet` (:mod:`.moe`).
"""

from .gpt import GPT
from .mlp import MLP
from .moe import MoENet
from .resmlp import ResMLP

__all__ = ["MLP", "GPT", "ResMLP", "MoENet"]
