from __future__ import annotations

import pytest

from rag.text.lexicon import AT_LEAST, AT_MOST, bound, nearest_bound, support_role


@pytest.mark.parametrize(("before", "after", "direction"), [
    ("上限不超过", "", AT_MOST),  # never read as 超过
    ("给予最高", "", AT_MOST),
    ("financial support up to", "", AT_MOST),
    ("企业数量超过", "", AT_LEAST),
    ("", "以上", AT_LEAST),
    ("", "以内", AT_MOST),
    ("规模达", "", ""),
])
def test_bound_direction(before: str, after: str, direction: str) -> None:
    assert bound(before, after) == direction


def test_nearest_bound_in_a_clause_and_support_roles() -> None:
    assert nearest_bound("按不超过合同金额的") == AT_MOST
    assert support_role("每年总额不超过1000万元的算力券") == {"budget", "support"}
    assert support_role("产业规模突破1000亿元") == set()
