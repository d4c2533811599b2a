from __future__ import annotations

import pytest

from rag.text.regional import build, table
from rag.text.textnorm import normalize


def test_taiwan_and_hong_kong_words_meet_their_mainland_form() -> None:
    assert normalize("人工智慧軟體與網路") == normalize("人工智能软件与网络")
    assert normalize("機械人") == "机器人"


def test_common_mainland_words_are_left_alone() -> None:
    # tw2sp on whole texts would turn these into 内核, 文档, 添加, 数据
    for word in ("核心", "文件", "新增", "资料", "指标"):
        assert normalize(word) == word


@pytest.mark.slow
def test_shipped_table_is_what_the_libraries_give() -> None:
    assert table() == build()
