"""Is SOAP's damping negligible on the verifier's MLP?  Counts the hidden gradient's singular values above the eps
the damped SOAP run uses (issue 22, diagnosis of matrix_optimizers_soap_damped).

App. B.5 of Qiu et al. (arXiv 2512.05620) predicts SOAP's update entries from a rank-k gradient whose k nonzero
rotated coordinates the Adam step normalises to +-1 (eps << |G_rot|), so ``dW_rms ∝ sqrt(k)/n`` with k fixed.  In the
eigenbasis of ``G G^T`` / ``G^T G`` those coordinates are G's singular values; the ones below eps are divided by eps
(linear in the gradient), not normalised.  This prints, per width, the rank of the first gradient of
``hidden.0`` on the verifier's fixed batch (64 examples) and how many singular values exceed the run's eps
(the table's damping factor times ``--eps 1e-3``).  One model per width, seed 0; a few seconds.

    PYTHONPATH=. python benchmarks/soap_damping_check.py

Measured (CPU, float64 SVD of the float32 gradient): width 64: rank 64, 38 above eps; 128: 64, 53; 256: 64, 64;
512: 64, 64 (largest singular value 0.043 -> 0.132, ∝ n^0.5): the normalised share grows with the width, which is
why the damped run's hidden ``dW_rms`` falls as n^-0.75, not n^-1 (float64 runs give the same slope).
"""

from __future__ import annotations

import torch


def main() -> None:
    from scaling_exponents.verifier.probes.config import RunConfig, make_model
    from scaling_exponents.verifier.probes.optim import parametrize_for_optimizer
    from scaling_exponents.verifier.probes.seeds import _loss, _task_data

    for w in (64, 128, 256, 512):
        cfg = RunConfig(param="soap", model="mlp", optimizer="soap", alignment=None, width=w, depth=2, base_width=64,
                        base_depth=2, lr=0.003, steps=3, seeds=(0,), batch=64, dtype="float32", device="cpu", eps=1e-3)
        x, y, d_in, d_out = _task_data(cfg, "cpu")
        torch.manual_seed(0)
        model = make_model(cfg, d_in, d_out)
        pz = parametrize_for_optimizer(model, cfg)
        _loss(model(x), y).backward()
        s = torch.linalg.svdvals(model.hidden[0].weight.grad.double())
        eps = next(g["eps"] for g in pz.param_groups if "hidden.0.weight" in (g.get("param_names") or []))
        print(f"width {w}: eps {eps:g}, rank {int((s > 1e-6 * s[0]).sum())}, singular values above eps "
              f"{int((s > eps).sum())}, largest {float(s[0]):.3g}")


if __name__ == "__main__":
    main()
