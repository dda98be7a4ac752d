"""Reference models with stable module names for the verifier (one module each) -- also handy examples of
models :class:`~scaling_exponents.torch.Parametrization` applies to.

* :class:`MLP` (:mod:`.mlp`), :class:`GPT` (:mod:`.gpt`), :class:`ResMLP` (:mod:`.resmlp`), :class:`MoENet` (:mod:`.moe`),
  :class:`DiagonalSSM` (:mod:`.ssm`, latent-state probe only).
"""

from .gpt import GPT
from .mlp import MLP
from .moe import MoENet
from .resmlp import ResMLP
from .ssm import DiagonalSSM

__all__ = ["MLP", "GPT", "ResMLP", "MoENet", "DiagonalSSM"]
