"""What one run is (:class:`RunConfig`, whose ``to_dict()`` is the result store's key), the device and precision
checks, and building a reference model with the project's :class:`~scaling_exponents.torch.Parametrization`.
"""

from __future__ import annotations

from functools import lru_cache
from dataclasses import asdict, dataclass

import torch
from torch import nn

from ...errors import UserError
from ...evidence.hints import GPT_VOCAB


@dataclass
class RunConfig:
    """Everything that determines one run (one width/depth point, all seeds batched)."""

    param: str
    model: str = "mlp"  # "mlp" | "gpt"
    optimizer: str = "adam"
    alignment: str | None = None
    width: int = 64
    depth: int = 2
    base_width: int = 64
    base_depth: int | None = None
    lr: float = 1e-2
    steps: int = 3
    seeds: tuple = (0, 1, 2, 3, 4)
    batch: int = 64
    dtype: str = "float32"  # float32 | bfloat16 | tf32
    device: str = "cpu"
    ntk_points: int = 8
    block: int = 32  # GPT sequence length
    head_dim: int = 16  # GPT: n_head = width / head_dim
    bias: bool = False  # the predictions are for weights; biases add a width-constant term to the logits
    #: "full": every quantity of :mod:`.predict` (what the verifier fits); "l1": only what microsoft/mup's
    #: ``get_coord_data`` records by default -- the mean |output| of every weight layer and activation per step
    stats: str = "full"
    #: GPT architecture: "classic" (learned positions, GELU) or "modern" (:meth:`GPT.modern`: RoPE, QK-norm, ReLU²,
    #: bf16 autocast); kept out of the store key when "classic"
    arch: str = "classic"
    #: base optimizer eps/damping at the base width (None: 1e-8 where the table has damping rows); kept out of the
    #: store key when None
    eps: float | None = None

    def to_dict(self):
        """The config as the result store's key: fields added after results were stored (``stats``, ``arch``,
        ``eps``) are left out at their defaults, so older ``results.jsonl`` rows still resume."""
        d = asdict(self)
        d["seeds"] = list(self.seeds)
        if d["stats"] == "full":  # the default stays out of the store key (results.jsonl keys predate the field)
            del d["stats"]
        if d["arch"] == "classic":
            del d["arch"]
        if d["eps"] is None:
            del d["eps"]
        return d


def check_device(device: str) -> torch.device:
    """``cpu`` or ``cuda[:i]``; a CUDA request without a GPU is a user error, not a traceback."""
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise UserError(f"--device {device} requested but torch.cuda.is_available() is False; use --device cpu")
    elif device != "cpu":
        raise UserError(f"--device must be cpu or cuda[:i], got {device!r}")
    return torch.device(device)


def describe_device(device: str) -> str:
    """The device in words for a report: ``"NVIDIA H100 80GB HBM3 (cuda:0), torch 2.13.0"`` or ``"cpu (2 threads),
    torch 2.13.0"`` -- every GPU figure names the card it came from."""
    dev = check_device(str(device))
    if dev.type == "cuda":
        idx = dev.index if dev.index is not None else torch.cuda.current_device()
        what = f"{torch.cuda.get_device_name(idx)} (cuda:{idx})"
    else:
        what = f"cpu ({torch.get_num_threads()} threads)"
    return f"{what}, torch {torch.__version__}"


def set_precision(dtype: str, device: torch.device) -> torch.dtype:
    """Configure TF32 (CUDA only) and return the parameter dtype."""
    if dtype not in ("float32", "bfloat16", "tf32", "float64"):
        raise UserError(f"--dtype must be float32, tf32, bfloat16 or float64, got {dtype!r}")
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = dtype == "tf32"
        torch.backends.cudnn.allow_tf32 = dtype == "tf32"
    elif dtype == "tf32":
        raise UserError("--dtype tf32 needs --device cuda")
    return {"bfloat16": torch.bfloat16, "float64": torch.float64}.get(dtype, torch.float32)


def make_model(cfg: RunConfig, d_in: int = 64, d_out: int = 10) -> nn.Module:
    """The reference model ``cfg`` names (MLP, ResMLP or GPT at its width and depth); widths or depths out of range
    are a :class:`UserError`."""
    from ..models import GPT, MLP
    from ..models import ResMLP

    if cfg.width < 1 or cfg.depth < (0 if cfg.model == "mlp" else 1):
        raise UserError(f"width must be >= 1 and depth >= 1 (>= 0 for the MLP), got width={cfg.width}, "
                        f"depth={cfg.depth}")
    if cfg.model == "mlp":
        return MLP(d_in, cfg.width, d_out, depth=cfg.depth, bias=cfg.bias)
    if cfg.model == "resmlp":
        return ResMLP(d_in, cfg.width, d_out, depth=cfg.depth, bias=cfg.bias)
    if cfg.model == "gpt":
        if cfg.width % cfg.head_dim:
            raise UserError(f"GPT width {cfg.width} must be a multiple of head_dim {cfg.head_dim}")
        if cfg.arch == "modern":
            return GPT.modern(GPT_VOCAB, cfg.width, cfg.depth, head_dim=cfg.head_dim, block_size=cfg.block, bias=cfg.bias)
        if cfg.arch != "classic":
            raise UserError(f"--arch is classic or modern, got {cfg.arch!r}")
        return GPT(GPT_VOCAB, cfg.width, cfg.depth, head_dim=cfg.head_dim, block_size=cfg.block, bias=cfg.bias)
    raise UserError(f"--model must be mlp, resmlp or gpt, got {cfg.model!r}")


@lru_cache(maxsize=64)
def table_for(param: str, optimizer: str | None, alignment: str | None):
    """The derived table, once per (param, optimizer, alignment): deriving solves an LP (~0.1-1 s).  A table with
    no optimizer choice (a stated rule such as am-mup) ignores ``optimizer``: the run still trains with it.  A
    ``table:<label>@<sha8>`` name is a custom table (:mod:`scaling_exponents.theory.custom_tables`), used as filed."""
    from ...systems.registry import derive, get
    from ...theory.custom_tables import is_custom, lookup

    if is_custom(param):  # a table from `verify --table FILE.json` or a calibration plant (content-digest key)
        return lookup(param)
    if not get(param).optimizers or get(param).optimizers == ("",):
        optimizer = None
    return derive(param, optimizer=optimizer, alignment=alignment)


def parametrize(model: nn.Module, cfg: RunConfig):
    """Apply the project's Parametrization (init, multipliers) and return it (its param_groups carry LRs)."""
    from ...torch.parametrize import Parametrization

    kw = dict(param=table_for(cfg.param, cfg.optimizer, cfg.alignment), optimizer=cfg.optimizer, alignment=cfg.alignment, width=cfg.width,
              base_width=cfg.base_width, lr=cfg.lr)
    if cfg.base_depth is not None:
        kw.update(depth=cfg.depth, base_depth=cfg.base_depth)
    return Parametrization(model, **{k: v for k, v in kw.items() if v is not None})
