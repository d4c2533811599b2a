"""The generator contracts: every chat backend and every answer generator passes the same tests.

Chat backends (``Generator``): the scripted fake, the in-process GGUF model, an OpenAI-compatible
server (a real llama.cpp server on 127.0.0.1) and the pool of such servers. Answer generators
(``AnswerGenerator``): the extractive answer and a chat model over numbered evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from rag.errors import GeneratorError, ModelNotAvailableError
from rag.generators.base import NOT_IN_CORPUS, AnswerGenerator, Generator
from rag.generators.extractive import ExtractiveGenerator
from rag.generators.fake import FakeGenerator
from rag.generators.llm import LLMAnswerGenerator
from rag.generators.local import LocalGenerator
from rag.generators.openai import OpenAIGenerator
from rag.generators.pool import ServerPool
from rag.settings import Settings
from rag.types import Evidence, GenerationRequest
from tests.generators import llama

MSGS = [{"role": "user", "content": "Reply with one word: hello."}]
EVIDENCE = (
    Evidence("sz-plan", "sz-plan-c1", 0, 40, "到2026年，深圳人工智能企业数量超过3000家。", 0.9, 1),
    Evidence("sz-news", "sz-news-c4", 0, 30, "深圳已有人工智能企业2800余家。", 0.7, 2),
)
REQUEST = GenerationRequest(question="深圳到2026年人工智能企业数量目标是多少？", language="zh-Hans", evidence=EVIDENCE,
                            terms=("深圳", "人工智能", "企业", "2026"))


class ChatGeneratorContract:
    """What the chain relies on from every chat backend."""

    def make(self, request: pytest.FixtureRequest) -> Generator:
        raise NotImplementedError

    def broken(self, request: pytest.FixtureRequest) -> Generator:
        """The same kind of backend with nothing behind it."""
        raise NotImplementedError

    def test_is_a_named_generator_and_cheap_to_construct(self, request: pytest.FixtureRequest) -> None:
        # constructing one with nothing behind it succeeds: no model is loaded, no server contacted yet
        for gen in (self.broken(request), self.make(request)):
            assert isinstance(gen, Generator)
            assert isinstance(gen.name, str) and gen.name

    def test_streams_a_reply_in_text_pieces(self, request: pytest.FixtureRequest) -> None:
        pieces = list(self.make(request).stream(MSGS, max_tokens=16, temperature=0.0))
        assert pieces and all(isinstance(p, str) for p in pieces)
        assert "".join(pieces).strip()

    def test_a_dead_backend_raises_an_error_saying_why(self, request: pytest.FixtureRequest) -> None:
        # GeneratorError when the backend fails; ModelNotAvailableError when a model is not set up
        with pytest.raises((GeneratorError, ModelNotAvailableError)) as info:
            list(self.broken(request).stream(MSGS, max_tokens=8))
        assert str(info.value).strip()


class TestFakeChat(ChatGeneratorContract):
    def make(self, request: pytest.FixtureRequest) -> Generator:
        return FakeGenerator(["Hello."])

    def broken(self, request: pytest.FixtureRequest) -> Generator:
        return FakeGenerator([GeneratorError("the scripted backend is down")])


@pytest.mark.slow
@pytest.mark.llm
class TestLocalChat(ChatGeneratorContract):
    def make(self, request: pytest.FixtureRequest) -> Generator:
        llama.need_llama()
        return LocalGenerator(Settings.from_env())

    def broken(self, request: pytest.FixtureRequest) -> Generator:
        missing = request.getfixturevalue("tmp_path") / "missing.gguf"
        return LocalGenerator(Settings.from_env().replace(llm_model_path=missing))


def _closed_port_settings() -> Settings:
    return Settings(openai_base_url=f"http://127.0.0.1:{llama.free_port()}/v1", llm_timeout_s=5.0)


@pytest.mark.slow
@pytest.mark.llm
class TestOpenAIChat(ChatGeneratorContract):
    def make(self, request: pytest.FixtureRequest) -> Generator:
        base = request.getfixturevalue("llama_server")
        return OpenAIGenerator(Settings(openai_base_url=base, openai_model="qwen", llm_timeout_s=120))

    def broken(self, request: pytest.FixtureRequest) -> Generator:
        return OpenAIGenerator(_closed_port_settings())


@pytest.mark.slow
@pytest.mark.llm
class TestPoolChat(ChatGeneratorContract):
    def make(self, request: pytest.FixtureRequest) -> Generator:
        base = request.getfixturevalue("llama_server")
        settings = Settings(openai_base_url=base, openai_model="qwen", llm_timeout_s=120)
        return ServerPool([(base, OpenAIGenerator(settings, base_url=base))])

    def broken(self, request: pytest.FixtureRequest) -> Generator:
        settings = _closed_port_settings()
        return ServerPool([(settings.openai_base_url, OpenAIGenerator(settings))])


_MARKER = re.compile(r"\[(\d{1,2})\]")


class AnswerGeneratorContract:
    """What the chain relies on from every answer generator: text that cites the evidence it was
    given by number, or says the evidence does not answer."""

    def make(self, request: pytest.FixtureRequest) -> AnswerGenerator:
        raise NotImplementedError

    def answer(self, request: pytest.FixtureRequest) -> str:
        pieces: Iterator[str] = self.make(request).generate(REQUEST)
        return "".join(pieces)

    def test_is_a_named_answer_generator(self, request: pytest.FixtureRequest) -> None:
        gen = self.make(request)
        assert isinstance(gen, AnswerGenerator)
        assert isinstance(gen.name, str) and gen.name

    def test_cites_only_evidence_it_was_given(self, request: pytest.FixtureRequest) -> None:
        text = self.answer(request)
        assert text.strip()
        if NOT_IN_CORPUS in text:
            return  # allowed by the protocol; the chain decides what to show
        cited = {int(n) for n in _MARKER.findall(text)}  # none at all: the chain cites [1]
        assert cited <= set(range(1, len(EVIDENCE) + 1)), text


class TestExtractiveAnswers(AnswerGeneratorContract):
    def make(self, request: pytest.FixtureRequest) -> AnswerGenerator:
        return ExtractiveGenerator()

    def test_states_the_figure_of_the_best_evidence_and_cites_it(self, request: pytest.FixtureRequest) -> None:
        text = self.answer(request)
        assert "3000" in text and "[1]" in text, text


class TestScriptedModelAnswers(AnswerGeneratorContract):
    def make(self, request: pytest.FixtureRequest) -> AnswerGenerator:
        return LLMAnswerGenerator(FakeGenerator(["深圳的目标是到2026年人工智能企业超过3000家 [1]。"]))


@pytest.mark.slow
@pytest.mark.llm
class TestLocalModelAnswers(AnswerGeneratorContract):
    def make(self, request: pytest.FixtureRequest) -> AnswerGenerator:
        llama.need_llama()
        return LLMAnswerGenerator(LocalGenerator(Settings.from_env()))
