"""Pure parts of the citizen's account: the masked ID number."""

from __future__ import annotations

import pytest

from civicid.identity.account import mask_id_number


@pytest.mark.parametrize(("id_number", "masked"), [
    ("11010519491231002X", "110*************2X"),
    ("110105491231002", "110**********02"),
    ("12345", "*****"),
    ("", ""),
])
def test_mask_keeps_only_the_ends(id_number, masked):
    assert mask_id_number(id_number) == masked
    assert len(masked) == len(id_number)
