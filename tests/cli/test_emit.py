"""``derive NAME --emit megatron|nanogpt-mup|hf``: flags with the width ratio, every row sorted into
reproduced / cannot express; the derivation of Megatron's untied-output LR from Everett et al.'s constraints
(arXiv 2407.05872 Sec. 3); :func:`as_megatron` for comparison runs.  Torch-free.

Expected values: Megatron-LM flags and exponents restated from its code (PRs #3058/#4381,
``get_mup_config_overrides``; read, not run: Megatron is not installed), EleutherAI/nanoGPT-mup branch ``completep``
model.py @3904404 keys, and transformers PR #45848 (open, UNVERIFIED); the readout rows are TP5 Table 8 (arXiv
2203.03466). The untied-output LR (LP c = 0 vs Megatron c = 1, logit exponent 1) is an independent computation from
Everett et al.'s logit-update exponent min(1, c, c) (arXiv 2407.05872 Sec. 3).
"""

import subprocess
import sys

import pytest

from scaling_exponents.cli import main
from scaling_exponents.frameworks import emit
from scaling_exponents.frameworks.megatron import as_megatron, untied_output_derivation
from scaling_exponents.systems.registry import derive


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _missing(e):
    return {k: (str(want), None if got is None else str(got)) for k, want, got, _ in e.missing}


def test_megatron_flags_and_rows_for_table8(capsys):
    code, out, _ = run(capsys, "derive", "-p", "mup-table8", "-o", "adam", "--emit", "megatron", "--width", "1024",
                       "--base-width", "256", "--lr", "3e-3")
    assert code == 0
    for line in ("--scaling-recipe mup", "--scaling-base-hidden-size 256", "width_mult = 4",
                 "--mup-attn-scale-power 1", "--decoupled-lr 0.003"):
        assert line in out
    e = emit(derive("mup-table8", "adam"), "megatron", {"width": (1024, 256)})
    # tied head (Megatron's default): only the hidden Adam eps differs (Megatron /m, Table 8 constant)
    assert _missing(e) == {("hidden", "adam_eps", "width"): ("0", "-1")}
    assert ("readout", "lr", "width") in dict(e.reproduced)
    assert any("untied: readout lr differs: table 0, Megatron -1" in n for n in e.notes)


def test_megatron_untied_output_lr_is_stable_but_not_maximal():
    d = untied_output_derivation()
    assert d["lp_c"] == [0, 1, 0]                 # the LP's readout LR exponent for (a, b) = (1, 1/2) is 0
    assert d["table"]["logit_exponent"] == 0 and d["table"]["violations"] == []
    assert d["megatron"]["c_readout"] == 1
    assert d["megatron"]["logit_exponent"] == 1   # logits move as m^-1: the output layer stops learning
    assert d["megatron"]["violations"] == []      # ... yet every stability constraint holds


def test_as_megatron_divides_the_readout_lr_once_more():
    t = as_megatron(derive("mup-table8", "adam"))
    assert t.power("readout", "lr") == -1 and t.power("hidden", "lr") == -1
    assert t.power("readout", "multiplier") == -1
    with pytest.raises(Exception, match="Adam rule"):
        as_megatron(derive("mup-table8", "sgd"))


def test_nanogpt_mup_keys_and_limits(capsys):
    code, out, _ = run(capsys, "derive", "-p", "completep", "--emit", "nanogpt-mup", "--width", "1024",
                       "--base-width", "256", "--depth", "24", "--base-depth", "6")
    assert code == 0
    for line in ("mup_enabled = True", "mup_width_multiplier = 4", "depth_alpha_enabled = True",
                 "depth_multiplier = 4", "depth_alpha_exp = 1"):
        assert line in out
    e = emit(derive("completep", "adamw"), "nanogpt-mup", {"width": (1024, 256), "depth": (24, 6)})
    assert set(_missing(e)) == {("bias", "adam_eps", "width"), ("bias", "adam_eps", "depth")}
    t8 = emit(derive("mup-table8", "adam"), "nanogpt-mup", {"width": (512, 256)})
    miss = _missing(t8)
    assert miss[("hidden", "adam_eps", "width")] == ("0", "-1") and miss[("hidden", "weight_decay", "width")] == ("0", "1")
    assert not any(k[2] == "depth" for k in miss)


def test_hf_emits_pr_config_and_the_preset_line(capsys):
    code, out, _ = run(capsys, "derive", "-p", "mup", "-o", "adam", "--emit", "hf", "--width", "512",
                       "--base-width", "128")
    assert code == 0 and '"mup_base_width": 128' in out
    assert "Parametrization(model, 'mup', 'adam', 'full', base_width=128" in out
    e = emit(derive("mup", "adam"), "hf", {"width": (512, 128)})
    assert _missing(e)[("readout", "lr", "width")] == ("-1/2", "0")   # Everett's muP vs PR #45848 (Table 8)
    assert emit(derive("mup-table8", "adam"), "hf", {"width": (512, 128)}).missing == []


def test_emit_needs_the_width_ratio(capsys):
    code, _, err = run(capsys, "derive", "-p", "mup-table8", "--emit", "megatron")
    assert code == 2 and "needs --width and --base-width" in err


def test_emit_is_torch_free():
    code = ("import sys\nfrom scaling_exponents.cli import main\n"
            "main(['derive', '-p', 'mup-table8', '--emit', 'megatron', '--width', '8', '--base-width', '2'])\n"
            "assert 'torch' not in sys.modules, 'emit imported torch'\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_as_megatron_trains_with_the_toolkit_for_comparison():
    torch = pytest.importorskip("torch")
    from scaling_exponents.torch import Parametrization
    from scaling_exponents.verifier.models import GPT

    torch.manual_seed(0)
    table = derive("mup-table8", "adam")
    ours = Parametrization(GPT(64, 64, 2, n_head=4, block_size=16), table, base_width=16, base_head_dim=4, lr=1e-2)
    meg = Parametrization(GPT(64, 64, 2, n_head=4, block_size=16), as_megatron(table), base_width=16,
                          base_head_dim=4, lr=1e-2)
    assert ours.lr_of("head.weight") == pytest.approx(1e-2) and meg.lr_of("head.weight") == pytest.approx(1e-2 / 4)
    assert meg.lr_of("blocks.0.mlp.up.weight") == ours.lr_of("blocks.0.mlp.up.weight") == pytest.approx(1e-2 / 4)
