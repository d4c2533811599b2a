"""The scripted fake generator: replay order, recorded prompts, piecewise streaming, errors."""

from __future__ import annotations

import pytest

from rag.errors import GeneratorError
from rag.generators.base import Generator, complete
from rag.generators.fake import FakeGenerator

MSGS = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "年假有几天？"}]


def test_is_a_generator_and_replays_in_order() -> None:
    gen = FakeGenerator()
    assert isinstance(gen, Generator)
    assert gen.name == "fake"
    gen.enqueue("第一个答案", "second answer")
    assert complete(gen, MSGS) == "第一个答案"
    assert complete(gen, MSGS) == "second answer"
    assert gen.pending == 0


def test_streams_small_pieces() -> None:
    gen = FakeGenerator(["abcdefgh"], piece_chars=3)
    assert list(gen.stream(MSGS)) == ["abc", "def", "gh"]


def test_records_what_it_received() -> None:
    gen = FakeGenerator(["ok"])
    msgs = [dict(m) for m in MSGS]
    complete(gen, msgs, max_tokens=7, temperature=0.5, stop=["\n"])
    msgs[1]["content"] = "changed later"
    assert gen.last_messages == MSGS
    assert gen.received == [MSGS]
    call = gen.calls[0]
    assert (call.max_tokens, call.temperature, call.stop) == (7, 0.5, ["\n"])


def test_cuts_at_first_stop_string() -> None:
    gen = FakeGenerator(["answer [1]\nQuestion: more END"])
    assert complete(gen, MSGS, stop=["END", "\nQuestion:"]) == "answer [1]"


def test_empty_queue_raises_generator_error() -> None:
    gen = FakeGenerator()
    with pytest.raises(GeneratorError, match="fake generator has no queued answer"):
        complete(gen, MSGS)
    assert len(gen.calls) == 1


def test_is_lazy_like_real_backends_and_can_script_errors() -> None:
    gen = FakeGenerator()
    it = gen.stream(MSGS)  # nothing happens until iteration, as with the real generators
    assert gen.calls == []
    gen.enqueue_error(GeneratorError("backend down"))
    with pytest.raises(GeneratorError, match="backend down"):
        next(it)


def test_a_long_evidence_sentence_is_cut_around_what_was_asked() -> None:
    from rag.generators.llm import focus_window

    head = "一、《深圳市加快打造人工智能先鋒城市行動計劃(2025-2026年)》:到2026年全市人工智能企業數量超3000家,"
    tail = "推出10個以上產業集聚效應明顯的人工智能和具身智能機器人創新孵化器,形成良性循環。"
    text = head + "獨角獸企業超10家," * 6 + tail
    cut = focus_window(text, ("孵化器",), 80)
    assert len(cut) <= 82 and "孵化器" in cut and "10個以上" in cut and cut.startswith("…")
    assert focus_window("短句。", ("孵化器",), 80) == "短句。"
