"""The diagnosis files (``evidence/diagnoses.py``): ``papers/diagnoses/*.csv`` read, validated line by line and
matched to failed rows by fnmatch globs, first line wins.

Where the expected values come from: **independent computation** -- every CSV is written by the test itself, and
the expected matches follow the format stated in the module docstring (parametrization, sweep, model and
``layer|quantity`` globs must all match); the error messages must name ``file:line``.

Kind: independent computation.
"""

from __future__ import annotations

import pytest

from scaling_exponents.errors import UserError
from scaling_exponents.evidence import diagnoses as D

HEADER = "parametrization,sweep,model,row,class,reason,evidence\n"


def _folder(tmp_path, *lines, name="a.csv"):
    folder = tmp_path / name.replace(".csv", "")
    folder.mkdir()
    (folder / name).write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return folder


def test_a_diagnosis_matches_by_glob_and_the_first_line_wins(tmp_path):
    folder = _folder(tmp_path, "torch-muon-*,width,mlp,*|kernel_move,probe limitation,kernel probe,cmd A",
                     "torch-muon-original,*,*,*|*,table wrong,catch-all,cmd B")
    ds = D.load(folder)
    assert [d.where for d in ds] == ["a.csv:2", "a.csv:3"]
    hit = D.match("torch-muon-original", "width", "mlp", "features|kernel_move", ds)
    assert (hit.klass, hit.reason, hit.evidence) == ("probe limitation", "kernel probe", "cmd A")
    assert D.match("torch-muon-original", "width", "mlp", "head|act_delta", ds).klass == "table wrong"
    assert D.match("torch-muon-match-rms", "width", "gpt", "features|kernel_move", ds) is None  # model gpt
    assert D.match("muon-keller", "width", "mlp", "features|kernel_move", ds) is None
    assert D.match("torch-muon-match-rms", "depth", "mlp", "features|kernel_move", ds) is None  # sweep depth


@pytest.mark.parametrize("line,message", [
    ("sp,width,mlp,head|act_delta,wrong class,r,e", "a.csv:2: class 'wrong class' is not one of"),
    ("sp,breadth,mlp,head|act_delta,table wrong,r,e", "a.csv:2: sweep 'breadth'"),
    ("sp,width,cnn,head|act_delta,table wrong,r,e", "a.csv:2: model 'cnn'"),
    ("sp,width,mlp,head,table wrong,r,e", "a.csv:2: row 'head' must be a layer|quantity glob"),
    ("sp,width,mlp,head|act_delta,table wrong,,e", "a.csv:2: empty reason"),
    ("sp,width,mlp,head|act_delta,table wrong,r", "a.csv:2: 6 fields, expected 7"),
    ("no-such-table,width,mlp,head|act_delta,table wrong,r,e", "a.csv:2: unknown parametrization"),
    ("zz-*,width,mlp,head|act_delta,table wrong,r,e", "a.csv:2: parametrization glob 'zz-\\*' matches no"),
    ("sp,width,mlp,head|act_delta,table wrong," + "x" * 201 + ",e", "a.csv:2: reason has 201 characters"),
])
def test_a_bad_line_is_a_user_error_naming_file_and_line(tmp_path, line, message):
    folder = _folder(tmp_path, line)
    with pytest.raises(UserError, match=message):
        D.load(folder)


def test_a_bad_header_names_line_one_and_a_missing_folder_is_empty(tmp_path):
    folder = tmp_path / "h"
    folder.mkdir()
    (folder / "h.csv").write_text("parametrization,row,class\nsp,head|act_delta,table wrong\n", encoding="utf-8")
    with pytest.raises(UserError, match="h.csv:1: the header must be"):
        D.load(folder)
    assert D.load(tmp_path / "absent") == ()


def test_the_default_folder_is_the_repositorys_papers_diagnoses():
    assert D.FOLDER == D.ROOT / "papers" / "diagnoses" and (D.ROOT / "scaling_exponents").is_dir()
    ds = D.load()  # the committed files parse, and every class is in the vocabulary
    assert ds and all(d.klass in D.CLASSES for d in ds)
