"""literature/not_encoded.py: every 'no derivable rule' entry is a bibliography key with no parametrization and a
reason; the catalog's literature list shows it.

Expected values: the keys must exist in papers/references.bib and be absent from the registry (both read at test
time). The required keys, the > 40-character reason and the 'fail' / 'UNVERIFIED' wording of the Vankadara et
al. (NeurIPS 2024, SSM) entry are regression: the project's own curation, not a paper value.  Bjorck et al.
(token horizon, `token-horizon`) and Complete^(d)P (`completed-p`) are encoded now, from secondary sources, so
they must NOT be listed.
"""

import pytest

pytest.importorskip("bibtexparser")

from scaling_exponents.literature.bibliography import load_bibliography  # noqa: E402
from scaling_exponents.literature.not_encoded import NOT_ENCODED  # noqa: E402
from scaling_exponents.systems.registry import all_specs  # noqa: E402


def test_entries_are_bib_keys_without_tables():
    bib = load_bibliography()
    encoded = {s.source.key for s in all_specs()}
    assert {"vankadara2024feature", "kosson2025weight"} <= set(NOT_ENCODED)
    assert not {"bjorck2024scaling", "mlodozeniec2025completed"} & set(NOT_ENCODED)
    assert {"bjorck2024scaling", "mlodozeniec2025completed"} <= encoded
    for key, reason in NOT_ENCODED.items():
        assert key in bib and key not in encoded, key
        assert len(reason) > 40, key
    # the SSM entry documents the failure of muP for Mamba-type models
    assert "fail" in NOT_ENCODED["vankadara2024feature"] and "UNVERIFIED" in NOT_ENCODED["vankadara2024feature"]
