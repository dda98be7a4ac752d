"""Vocabulary probe (:func:`vocab_run`): one vocabulary size V of the reference GPT at a fixed width, one model and
one real optimizer per seed, measuring the quantities of :mod:`scaling_exponents.evidence.predict_vocab`.

**Data.**  Token ids drawn i.i.d. UNIFORMLY from ``{0, ..., V-1}`` by a ``torch.Generator`` seeded with
``data_seed`` (default 0; the same batch for every model seed), ``batch`` sequences of ``block + 1`` tokens; inputs
are the first ``block``, targets the next token.  The stream is noise (no structure to learn): the probe measures
the size of the first ``steps`` updates on a fixed batch, as the width coordinate checks do, and uniform ids make
"a token seen in the batch" the same event at every V (each seen once or more; the expected count per token falls
as ``batch * block / V``).  Byte text is not used because it has 256 symbols only.

**HPs: the product.**  Each seed's GPT gets the table through :class:`~scaling_exponents.torch.Parametrization`
(:data:`ROLES`: token embedding, the blocks' matrices, readout; positions and LayerNorm gains ``default``; width
fixed: ``base_width = width``; the vocabulary as a dimension: ``sizes={"vocab": (V, V0)}``) and the optimizers are
built from its ``param_groups``.  ``muon``: ``torch.optim.Muon`` (``adjust_lr_fn="original"``, i.e.
``sqrt(max(1, A/B))`` on ``A, B = shape[:2]``, momentum 0.95, Nesterov, no weight decay) on the groups of the three
matrix roles -- token embedding, hidden matrices, readout -- with the LRs the table's ``lr`` rows give; the
``default`` groups (positions, LayerNorm gains) go to ``torch.optim.AdamW`` at the base LR.  ``adam``:
``torch.optim.Adam`` on every group.  Init: PyTorch's default (``nn.Embedding`` N(0, 1), ``nn.Linear``
U(±1/sqrt(fan_in)) with fan_in = n) -- ``init=None``, so the tables' init rows are not applied (the Parametrization's
``explain`` lists them): nothing depends on V at init but the readout's number of rows, and only the LR rows act
(Adam and Muon updates do not depend on the gradient's scale).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

from ...errors import UserError
from .config import check_device, table_for

#: roles of the reference GPT's parameters (``layers=`` of the Parametrization); ``default``: base LR, no rule
#: Version of what vocab_run records, kept in each stored run's provenance
#: (:func:`scaling_exponents.evidence.store.provenance`): bump it whenever the metrics it records change, so
#: stored runs of the old version are recomputed instead of silently reused.
VERSION = 1


ROLES = {"embed.weight": "embedding", "blocks.*.attn.*.weight": "hidden", "blocks.*.mlp.*.weight": "hidden",
         "head.weight": "readout", "pos.weight": "default", "blocks.*.ln*.weight": "default", "ln_f.weight": "default"}
#: the roles Muon trains (2-D matrices)
MATRIX_ROLES = ("embedding", "hidden", "readout")


@dataclass
class VocabConfig:
    """One vocabulary point (all seeds); ``to_dict()`` is the result store's key."""

    param: str
    optimizer: str
    vocab: int
    base_vocab: int
    width: int = 64
    depth: int = 2
    lr: float = 2e-2
    steps: int = 3
    seeds: tuple = (0, 1, 2)
    batch: int = 64
    block: int = 32
    head_dim: int = 16
    data_seed: int = 0
    device: str = "cpu"

    def to_dict(self):
        """The config as the result store's key (seeds as a list)."""
        d = asdict(self)
        d["seeds"] = list(self.seeds)
        return d


def uniform_tokens(vocab: int, batch: int, block: int, seed: int = 0):
    """``(x, y)``: ``batch`` sequences of i.i.d. uniform token ids in ``[0, vocab)``, y = x shifted by one."""
    if vocab < 2 or batch < 1 or block < 1:
        raise UserError(f"vocab must be >= 2, batch and block >= 1; got vocab={vocab}, batch={batch}, block={block}")
    g = torch.Generator().manual_seed(int(seed))
    ids = torch.randint(0, vocab, (batch, block + 1), generator=g)
    return ids[:, :-1], ids[:, 1:]


def parametrize(model, cfg: VocabConfig):
    """The table applied to the GPT by :class:`~scaling_exponents.torch.Parametrization` (module doc)."""
    from ...torch.parametrize import Parametrization

    table = table_for(cfg.param, cfg.optimizer, None)
    return Parametrization(model, table, cfg.optimizer, layers=ROLES, width=cfg.width, base_width=cfg.width,
                           sizes={"vocab": (cfg.vocab, cfg.base_vocab)}, lr=cfg.lr, settings={"init": None, "strict": True})


def build(model, cfg: VocabConfig):
    """The optimizers of one seed, fed from the Parametrization's ``param_groups`` (module doc)."""
    groups = parametrize(model, cfg).param_groups
    if cfg.optimizer == "adam":
        return [torch.optim.Adam(groups)]
    if cfg.optimizer == "muon":
        mats = [g for g in groups if g["role"] in MATRIX_ROLES]
        return [torch.optim.Muon(mats, momentum=0.95, weight_decay=0.0, adjust_lr_fn="original"),
                torch.optim.AdamW([g for g in groups if g["role"] not in MATRIX_ROLES], lr=cfg.lr, weight_decay=0.0)]
    raise UserError(f"the vocabulary probe runs muon or adam; got {cfg.optimizer!r}")


def _rms(t: torch.Tensor) -> float:
    return float(t.float().pow(2).mean().sqrt())


def vocab_run(cfg: VocabConfig) -> dict:
    """Train each seed ``cfg.steps`` steps on the fixed batch; ``{"metrics": {"layer|quantity": [per seed]}}``.

    ``head|dW_spec``/``dW_rms``: of ``W_t - W_0``; ``head|own_delta``: RMS over positions and the V logits of
    ``(W_t - W_0) x_0`` (x_0 = the readout's input at init); ``head|act_delta``: RMS of the total logit change;
    ``hidden|dW_rms``: RMS entry over every matrix inside the blocks; ``embed|dW_seen``: RMS entry of the rows of
    the tokens in the batch; ``embed|act_delta``: RMS of the embedding output change over the batch's positions.
    """
    from ..models import GPT

    device = check_device(cfg.device)
    x, y = (t.to(device) for t in uniform_tokens(cfg.vocab, cfg.batch, cfg.block, cfg.data_seed))
    seen = torch.unique(x)
    per_seed = []
    for s in cfg.seeds:
        torch.manual_seed(int(s))
        model = GPT(cfg.vocab, cfg.width, cfg.depth, head_dim=cfg.head_dim, block_size=cfg.block, bias=False).to(device)
        opts = build(model, cfg)
        hidden = {n: m for n, m in model.named_modules() if n.startswith("blocks.") and isinstance(m, nn.Linear)}
        w0 = {n: p.detach().clone() for n, p in model.named_parameters() if p.dim() == 2}
        store = {}
        hook = model.head.register_forward_hook(lambda mod, a, o: store.__setitem__("x", a[0].detach()))
        try:
            logits0 = model(x).detach()
            x0 = store["x"]
            for _ in range(cfg.steps):
                for o in opts:
                    o.zero_grad(set_to_none=True)
                loss = F.cross_entropy(model(x).reshape(-1, cfg.vocab), y.reshape(-1))
                loss.backward()
                for o in opts:
                    o.step()
            with torch.no_grad():
                logits = model(x)
        finally:
            hook.remove()
        with torch.no_grad():
            d = {n: p.detach() - w0[n] for n, p in model.named_parameters() if p.dim() == 2}
            dh, de = d["head.weight"], d["embed.weight"]
            hid = [d[n + ".weight"] for n in hidden]
            m = {"head|dW_spec": float(torch.linalg.matrix_norm(dh, ord=2)), "head|dW_rms": _rms(dh),
                 "head|own_delta": _rms(F.linear(x0, dh)), "head|act_delta": _rms(logits - logits0),
                 "hidden|dW_rms": math.sqrt(sum(float(h.pow(2).sum()) for h in hid) / sum(h.numel() for h in hid)),
                 "embed|dW_seen": _rms(de[seen]), "embed|act_delta": _rms(de[x]),
                 "loss": float(loss.detach())}
        per_seed.append(m)
    metrics = {k: [p[k] for p in per_seed] for k in per_seed[0]}
    bad = [k for k, v in metrics.items() if not all(math.isfinite(z) for z in v)]
    return {"metrics": metrics, "nonfinite": bad, "seen_tokens": int(seen.numel())}
