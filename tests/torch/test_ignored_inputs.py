"""``Parametrization`` arguments that used to be accepted and then dropped or misread (issue 23, "an option
accepted and ignored, a number taken without a check"): each is now applied, refused with a one-line
``UserError``, or named in the warning (an error with ``strict=True``).

* ``alignment`` on a table with no alignment choice (TP5's Table 8 is one table): dropped -> refused.
* ``options`` / another ``alignment`` with an already-derived :class:`ExponentTable`: dropped -> refused.
* ``init=0``: every weight resampled with std 0 (nothing can train) -> refused.
* ``block_size`` on a table without rows along the preconditioner blocks, ``base_head_dim`` on a table without
  the attention logit-scale row: ignored -> warned (strict: error).
* ``base_width=True`` (read as 1: every factor x width) and ``base_width="32"`` (a TypeError deep inside) ->
  refused.
* ``no_weight_decay`` naming a role no parameter of the model has (``"norm"`` on an MLP): changed nothing ->
  warned, naming the role and the model's roles (strict: error).
* an explicit optimizer other than the default ``"adam"`` on a table with no optimizer choice (am-mup, ssm-mup,
  multipath-depth, umup-ops): dropped -> refused.

AM-muP (arXiv 2510.04327 abstract): one LR ``eta ∝ L^-3/2`` for every parameter, 1/8 at depth 8 over base depth 2.

Expected values: the hidden Adam LR factor of TP5 Table 8 (arXiv 2203.03466) is ``1/m`` (0.25 at 4x);
Everett et al.'s 'no'-alignment hidden LR is ``m^-1/2`` (arXiv 2407.05872 Table 1); error strings are
regression (the project's own output).

Kind: regression (one-line errors and warnings) + paper table (the factors above).
"""

import warnings

import pytest

from scaling_exponents.errors import UserError
from scaling_exponents.systems.registry import derive
from scaling_exponents.torch import Parametrization
from scaling_exponents.torch.safety import ParametrizationWarning
from scaling_exponents.verifier.models import MLP, ResMLP

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def mlp(width=128):
    return MLP(16, width, 8, depth=2)


def test_alignment_on_a_table_without_that_choice_is_refused():
    with pytest.raises(UserError, match=r"mup-table8 \(yang2022tensor\) has no alignment choice: drop alignment='no'"):
        Parametrization(mlp(), "mup-table8", "adam", "no", base_width=32)
    # without it: Table 8's hidden Adam LR 1/m; Everett's 'no' alignment, which has the choice, gives m^-1/2
    assert Parametrization(mlp(), "mup-table8", "adam", base_width=32).records["hidden.0.weight"].lr_scale == 0.25
    assert Parametrization(mlp(), "mup", "adam", "no", base_width=32).records["hidden.0.weight"].lr_scale == 0.5


def test_a_derived_table_takes_no_options_or_other_alignment():
    table = derive("depth-mup", "adamw", alpha="1/2")
    with pytest.raises(UserError, match=r"options=\{'alpha': '1'\} apply when a table is derived by name"):
        Parametrization(mlp(), table, settings={"options": {"alpha": "1"}}, base_width=32, depth=2, base_depth=2)
    full = derive("mup", "adam", "full")
    with pytest.raises(UserError, match=r"alignment='no', but this mup table was derived with alignment 'full'"):
        Parametrization(mlp(), full, "adam", "no", base_width=32)
    p = Parametrization(mlp(), full, "adam", "full", base_width=32)  # the same alignment is fine
    assert p.records["hidden.0.weight"].lr_scale == 0.25  # Everett Table 1, Adam full alignment: hidden 1/m


def test_init_zero_is_refused():
    with pytest.raises(UserError, match=r"^init=0 resamples every weight with std 0"):
        Parametrization(mlp(), "mup", "adam", base_width=32, settings={"init": 0.0})
    with pytest.raises(UserError, match=r"^init must be 'rescale', a base std \(finite float > 0\)"):
        Parametrization(mlp(), "mup", "adam", base_width=32, settings={"init": -0.02})


def test_block_size_and_base_head_dim_that_change_nothing_are_named():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        Parametrization(mlp(), "mup", "adam", base_width=32, base_head_dim=8, settings={"block_size": 16})
    text = " ".join(str(x.message) for x in w if issubclass(x.category, ParametrizationWarning))
    assert "block_size=16 changes nothing: mup has no rows along blocks/block_in/block_out" in text
    assert "base_head_dim=8 changes nothing: mup has no attention logit_scale row along head_dim" in text
    with pytest.raises(UserError, match=r"strict=True: block_size=16 changes nothing"):
        Parametrization(mlp(), "mup", "adam", base_width=32, settings={"block_size": 16, "strict": True})
    with warnings.catch_warnings():  # a table with block rows takes it silently (Shampoo, per-matrix)
        warnings.simplefilter("error", ParametrizationWarning)
        p = Parametrization(ResMLP(16, 128, 10, depth=2, bias=False), "shampoo", optimizer="shampoo", width=128,
                            base_width=32, depth=2, base_depth=2, settings={"block_size": 16})
    hidden = [i for i in p.records.values() if i.dims and i.shape == (128, 128)][0]
    assert hidden.dims["blocks"] == (64, 4)  # (128/16)^2 blocks, base (32/16)^2


@pytest.mark.parametrize("bad", [True, "32", float("inf")])
def test_base_width_must_be_a_number(bad):
    with pytest.raises(UserError, match=rf"^base_width must be a finite number .*got {bad!r}$".replace("+", r"\+")):
        Parametrization(mlp(), "mup", "adam", base_width=bad)


@pytest.mark.parametrize("table_opt, optimizer", [("adam", "SGD"), ("sgd", "AdamW")])
def test_an_optimizer_of_the_other_family_is_named_at_its_first_step(table_opt, optimizer):
    """Before: torch.optim.SGD over an Adam table's groups trained silently with Adam's LR exponents (TP5 Table 8:
    hidden LR 1/m under Adam, 1 under SGD -- lr_scale 0.25 vs 1 at 4x here)."""
    import torch

    from scaling_exponents.torch.lr_guard import OptimizerMismatchWarning

    model = mlp()
    p = Parametrization(model, "mup-table8", table_opt, base_width=32)
    assert p.records["hidden.0.weight"].lr_scale == (0.25 if table_opt == "adam" else 1.0)
    opt = getattr(torch.optim, optimizer)(p.param_groups)
    model(torch.randn(4, 16)).sum().backward()
    other = "sgd" if table_opt == "adam" else "adam"
    with pytest.warns(OptimizerMismatchWarning, match=rf"^{optimizer} trains Parametrization groups derived for "
                                                      rf"optimizer '{table_opt}'.*optimizer='{other}'\)"):
        opt.step()
    with warnings.catch_warnings():  # the matching family is silent
        warnings.simplefilter("error", OptimizerMismatchWarning)
        q = Parametrization(mlp(), "mup-table8", other, base_width=32)
        getattr(torch.optim, optimizer)(q.param_groups).step()


def test_base_width_next_to_base_model_is_refused():
    """Before: base_model's fans won and base_width=16 was dropped (hidden Adam LR 1/n: x1/2 = 64/128, Everett
    et al. Table 1, not x1/8 = 16/128)."""
    base = MLP(16, 64, 8, depth=2)
    with pytest.raises(UserError, match=r"not both: base_width=16 would be ignored next to base_model="):
        Parametrization(mlp(), "mup", "adam", base_model=base, base_width=16)
    assert Parametrization(mlp(), "mup", "adam", base_model=base).records["hidden.0.weight"].lr_scale == 0.5


def _decay_by_role(p):
    return {g["role"]: g["weight_decay"] for g in p.param_groups}


def test_no_weight_decay_naming_a_role_the_model_lacks_is_named():
    """Before: ("norm",) on an MLP without norms was accepted and changed nothing, without a word."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        p = Parametrization(mlp(), "mup", "adam", base_width=32, settings={"weight_decay": 0.1,
                                                                          "no_weight_decay": ("norm", "hidden")})
    text = " ".join(str(x.message) for x in w if issubclass(x.category, ParametrizationWarning))
    assert ("no_weight_decay=('norm', 'hidden') changes nothing for role(s) norm: no parameter of this model has "
            "them (its roles: bias, embedding, hidden, readout)") in text
    # the role the model has is applied: hidden decay 0; the others keep wd x wd_scale (mup has no wd rows: x1)
    assert _decay_by_role(p) == {"embedding": 0.1, "bias": 0.1, "hidden": 0.0, "readout": 0.1}
    with pytest.raises(UserError, match=r"^strict=True: no_weight_decay=\('norm',\) changes nothing for role\(s\) "
                                        r"norm: no parameter of this model has them"):
        Parametrization(mlp(), "mup", "adam", base_width=32, settings={"no_weight_decay": "norm", "strict": True})
    with pytest.raises(UserError, match=r"^no_weight_decay names unknown role 'norms'; roles: "):  # kept: an error
        Parametrization(mlp(), "mup", "adam", base_width=32, settings={"no_weight_decay": ("norms",)})
    with warnings.catch_warnings():  # roles the model has: silent
        warnings.simplefilter("error", ParametrizationWarning)
        Parametrization(mlp(), "mup", "adam", base_width=32, settings={"no_weight_decay": ("hidden", "bias")})


@pytest.mark.parametrize("name", ["am-mup", "ssm-mup", "multipath-depth", "umup-ops"])
@pytest.mark.parametrize("optimizer", ["sgd", "AdamW", "muon"])
def test_an_optimizer_on_a_table_without_optimizer_choice_is_refused(name, optimizer):
    """Before: Parametrization(model, "ssm-mup", "sgd") derived the one table and dropped "sgd" silently."""
    with pytest.raises(UserError, match=rf"^{name} \(\w+\) has no optimizer choice: it is one table for .+; drop "
                                        rf"optimizer='{optimizer}' \(or pass optimizer=None\)$"):
        Parametrization(mlp(), name, optimizer, base_width=32)


def test_the_default_adam_and_none_on_a_table_without_optimizer_choice_are_the_same_table():
    """``"adam"`` is Parametrization's default and cannot be told from an explicit one: accepted, as is None; both
    apply AM-muP's one LR factor (8/2)^(-3/2) = 1/8 (arXiv 2510.04327 abstract)."""
    for optimizer in ("adam", None):
        p = Parametrization(ResMLP(16, 32, 8, depth=8, bias=False), "am-mup", optimizer, width=32, base_width=32,
                            depth=8, base_depth=2)
        assert p.table.optimizer is None
        assert [i.lr_scale for i in p.records.values()] == pytest.approx([0.125] * (1 + 3 * 8 + 2))  # every one


def test_an_explicit_optimizer_other_than_a_derived_tables_is_refused():
    """Expected values: regression (issue 23: an option accepted and ignored): an already-derived table keeps its own
    optimizer's LR rows, so an explicit other optimizer was silently dropped (h8's note)."""
    from scaling_exponents.systems.registry import derive
    from scaling_exponents.torch import Parametrization
    from scaling_exponents.verifier.models import MLP

    with pytest.raises(UserError, match="derived for adam: derive it with optimizer='sgd'"):
        Parametrization(MLP(16, 128, 8, depth=2), derive("mup-table8", "adam"), "sgd", base_width=32)
    Parametrization(MLP(16, 128, 8, depth=2), derive("mup-table8", "adam"), "adamw", base_width=32)  # same table
    Parametrization(MLP(16, 128, 8, depth=2), derive("mup-table8", "sgd"), "sgd", base_width=32)
