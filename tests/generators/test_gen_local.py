"""LocalGenerator: fast tests with a stand-in Llama class, then slow ones on the real GGUFs."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest

from rag.errors import GeneratorError, ModelNotAvailableError
from rag.generators import local
from rag.generators.base import Generator, complete
from rag.generators.local import LocalGenerator
from rag.settings import Settings
from rag.tools import llm_models
from rag.tools.llm_models import REGISTRY, LocalModel

MSGS = [{"role": "user", "content": "hi"}]
BLOB = b"GGUF-not-really-a-model" * 10


class FakeLlama:
    """Records constructor kwargs and streams a fixed reply in create_chat_completion's shape."""

    instances: ClassVar[list[FakeLlama]] = []

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.calls: list[dict[str, Any]] = []
        FakeLlama.instances.append(self)

    def create_chat_completion(self, **kwargs: Any):
        self.calls.append(kwargs)
        if kwargs["messages"][-1]["content"] == "explode":
            raise ValueError("Requested tokens (5000) exceed context window of 4096")
        yield {"choices": [{"delta": {"role": "assistant"}}]}
        for piece in ("Hel", "lo"):
            yield {"choices": [{"delta": {"content": piece}}]}
        yield {"choices": [{"delta": {}, "finish_reason": "stop"}]}


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Registry entry of the 0.5B model swapped for a tiny file; stand-in Llama; empty cache."""
    path = tmp_path / "tiny.gguf"
    path.write_bytes(BLOB)
    entry = LocalModel("qwen2.5-coder-0.5b", (), hashlib.sha256(BLOB).hexdigest(), len(BLOB))
    monkeypatch.setitem(REGISTRY, "qwen2.5-coder-0.5b", entry)
    monkeypatch.setattr(local, "_MODELS", {})
    monkeypatch.setattr(local, "_import_llama", lambda: FakeLlama)
    FakeLlama.instances = []
    return Settings(llm_model_path=path, threads=2, cache_dir=tmp_path)


def test_constructor_is_cheap_and_named(tmp_path: Path) -> None:
    gen = LocalGenerator(Settings(llm_model_path=tmp_path / "absent.gguf", local_model="qwen2.5-coder-1.5b"))
    assert isinstance(gen, Generator)
    assert gen.name == "local:qwen2.5-coder-1.5b"


def test_missing_file_names_the_setup_command(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(local, "_import_llama", lambda: FakeLlama)
    gen = LocalGenerator(Settings(llm_model_path=tmp_path / "absent.gguf"))
    with pytest.raises(ModelNotAvailableError, match=r"not found.*make setup.*assemble --model qwen2.5-coder-0.5b"):
        complete(gen, MSGS)


def test_refuses_a_file_with_the_wrong_hash(tiny: Settings) -> None:
    tiny.llm_path.write_bytes(BLOB[:-1] + b"!")  # same size, other content
    with pytest.raises(ModelNotAvailableError, match="sha256 mismatch"):
        complete(LocalGenerator(tiny), MSGS)
    assert FakeLlama.instances == []


def test_loads_once_with_fixed_options_and_streams(tiny: Settings) -> None:
    first, second = LocalGenerator(tiny), LocalGenerator(tiny)
    assert list(first.stream(MSGS, max_tokens=9, stop=["\n"])) == ["Hel", "lo"]
    assert complete(second, MSGS) == "Hello"
    assert len(FakeLlama.instances) == 1
    kw = FakeLlama.instances[0].kwargs
    assert kw["chat_format"] == "chatml" and kw["n_ctx"] == 4096 and kw["n_threads"] == 2
    assert kw["model_path"] == str(tiny.llm_path)
    # verbose=False would point fds 1 and 2 at /dev/null during the load, for every thread
    assert kw["verbose"] is True and FakeLlama.instances[0].verbose is False
    call = FakeLlama.instances[0].calls[0]
    assert call["stream"] is True and call["max_tokens"] == 9 and call["stop"] == ["\n"]


def test_hash_is_checked_once_per_process(tiny: Settings, monkeypatch) -> None:
    monkeypatch.setattr(llm_models, "_HASH_CACHE", {})
    reads = []
    real_open = Path.open

    def counting_open(self: Path, *args: Any, **kwargs: Any):
        if self == tiny.llm_path:
            reads.append(self)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", counting_open)
    local.check_model_file(tiny.llm_path, "qwen2.5-coder-0.5b")
    local.check_model_file(tiny.llm_path, "qwen2.5-coder-0.5b")
    assert len(reads) == 1


def test_runtime_errors_become_generator_errors(tiny: Settings) -> None:
    with pytest.raises(GeneratorError, match=r"local:qwen2.5-coder-0.5b failed: .*context window"):
        complete(LocalGenerator(tiny), [{"role": "user", "content": "explode"}])
    assert complete(LocalGenerator(tiny), MSGS) == "Hello"  # the lock was released


def test_missing_llama_cpp_names_the_install_command(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes `import llama_cpp` fail
    with pytest.raises(ModelNotAvailableError) as info:
        local._import_llama()
    assert "llama-cpp-python[server]==0.3.36" in str(info.value)
    assert "GGML_NATIVE=OFF" in str(info.value)


CONTEXT_ZH = (
    "[1] 《职工带薪年休假条例》第三条：职工累计工作已满1年不满10年的，年休假5天；"
    "已满10年不满20年的，年休假10天；已满20年的，年休假15天。\n"
    "[2] 国家法定休假日、休息日不计入年休假的假期。"
)


@pytest.mark.slow
@pytest.mark.llm
def test_real_model_answers_in_chinese() -> None:
    # the model `make setup` assembles, found where the settings say (POLICYQA_CACHE_DIR included);
    # the optional 1.5B model is compared in bench/, not here
    settings = Settings.from_env()
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (make setup)")
    if not settings.llm_path.is_file():
        pytest.skip(f"{settings.llm_path} not assembled (make setup)")
    messages = [
        {"role": "system", "content": "只根据资料回答，并注明来源编号，例如 [1]。"},
        {"role": "user", "content": f"资料：\n{CONTEXT_ZH}\n\n问题：工作满12年的职工有几天年休假？"},
    ]
    answer = complete(LocalGenerator(settings), messages, max_tokens=48)
    # Wiring, not accuracy: both small models are known to misread this table at times.
    assert answer.strip()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in answer), answer


class WarmLlama(FakeLlama):
    """FakeLlama that also records what is evaluated outside a chat completion."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.evaluated: list[list[int]] = []
        self.input_ids: list[int] = []  # what the KV cache holds, as in llama_cpp.Llama
        self.n_tokens = 0

    def tokenize(self, data: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
        assert special and not add_bos  # ChatML markers must become their special tokens
        return list(data)

    def reset(self) -> None:
        self.n_tokens = 0

    def eval(self, tokens: list[int]) -> None:
        self.evaluated.append(list(tokens))
        self.input_ids = self.input_ids[: self.n_tokens] + list(tokens)
        self.n_tokens = len(self.input_ids)

    def create_chat_completion(self, **kwargs: Any):
        rendered = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in kwargs["messages"])
        self.input_ids = list(rendered.encode())  # the prompt now fills the cache
        self.n_tokens = len(self.input_ids)
        yield from super().create_chat_completion(**kwargs)


def test_system_prompt_is_evaluated_once_at_load(tiny: Settings, monkeypatch) -> None:
    from rag.generators.llm import SYSTEM_PROMPT, LLMAnswerGenerator

    monkeypatch.setattr(local, "_import_llama", lambda: WarmLlama)
    chat = LocalGenerator(tiny)
    LLMAnswerGenerator(chat)  # names the fixed system prompt; nothing runs yet
    assert WarmLlama.instances == []
    llm = chat.load()
    expected = f"<|im_start|>system\n{SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\n".encode()
    assert llm.evaluated == [list(expected)]
    chat.load()
    assert complete(chat, [{"role": "system", "content": SYSTEM_PROMPT}, *MSGS]) == "Hello"
    chat.load()
    assert len(llm.evaluated) == 1  # still warm: the answer's prompt began with the same turn
    assert complete(chat, MSGS) == "Hello"  # another prompt takes over the cache...
    chat.load()
    assert len(llm.evaluated) == 2  # ...so the next load warms the system turn again
    llm.reset()
    chat.load()
    assert len(llm.evaluated) == 3
