"""In-process generator: a pinned GGUF run by llama-cpp-python on the CPU.

Why these choices: the constructor does nothing costly so the CLI and UI can build one just
to show its name; the model is loaded on first use and shared per (path, threads) because a
load costs seconds and hundreds of MB; a file whose sha256 is not the registry's is refused,
since any other GGUF (or a truncated join) gives silently different answers; the chat format
is fixed to ChatML, never the Jinja template inside the file (untrusted, and not needed).

The system prompt is the same for every answer, so its KV cache is kept warm: ``keep_warm``
names it, ``load`` evaluates it once right after the model loads (the UI loads at start-up), and
llama.cpp's prefix match then reuses it for every question instead of re-reading ~200 tokens.
"""

from __future__ import annotations

import atexit
import threading
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rag.errors import GeneratorError, ModelNotAvailableError
from rag.generators.base import Message
from rag.settings import Settings
from rag.tools.llm_models import LLAMA_CPP_INSTALL, SETUP_HINT, file_sha256, get_model
from rag.tools.llm_quant import check_fast_copy, is_fast_copy

N_CTX = 4096
CHAT_FORMAT = "chatml"

_LOAD_LOCK = threading.Lock()
_MODELS: dict[tuple[str, int], tuple[Any, threading.Lock]] = {}


@atexit.register
def _close_models() -> None:
    """Free models while llama.cpp is still loaded: left to __del__ at interpreter teardown,
    its cleanup runs after the library's functions are gone and prints a traceback."""
    while _MODELS:
        _, (llm, _lock) = _MODELS.popitem()
        try:
            llm.close()
        except Exception:  # best effort on the way out
            pass


_WARNED: list[Path] = []  # the missing fast copy is named once per process
_QUIET: list[Any] = []  # the log callback handed to llama.cpp, kept alive here


def _import_llama() -> Any:
    try:
        import llama_cpp
        from llama_cpp import Llama
    except ImportError as exc:
        raise ModelNotAvailableError(
            f"llama-cpp-python is not installed ({exc}); {SETUP_HINT}, or: {LLAMA_CPP_INSTALL}"
        ) from None
    if not _QUIET:  # llama.cpp's own messages: errors only, through Python's stderr
        import sys

        @llama_cpp.llama_log_callback
        def quiet(level: int, text: bytes, user_data: Any) -> None:
            if level == 3:  # GGML_LOG_LEVEL_ERROR
                print(text.decode("utf-8", "replace"), end="", file=sys.stderr, flush=True)

        llama_cpp.llama_log_set(quiet, None)
        _QUIET.append(quiet)
    return Llama


def _construct(llama_cls: Any, **kwargs: Any) -> Any:
    """``Llama(**kwargs)`` without its ``verbose=False`` path, which points file descriptors 1 and 2
    at /dev/null while the model loads: process-wide, so whatever another thread printed
    meanwhile (the CLI's answer, given after the model's time budget) was lost. Its Python-side
    chatter during the load goes to a buffer instead; afterwards it is quiet."""
    import contextlib
    import io

    with contextlib.redirect_stderr(io.StringIO()):
        llm = llama_cls(**kwargs, verbose=True)
    llm.verbose = False
    return llm


def check_model_file(path: Path, model_name: str) -> None:
    """Refuse a missing, wrong-sized or wrong-hash GGUF (hash computed once per process); a fast
    copy (``<name>-q4_0.gguf``) is checked against the marker that ties it to the pinned original."""
    if is_fast_copy(path):
        check_fast_copy(path, model_name)
        return
    model = get_model(model_name)
    fix = f"{SETUP_HINT}, or: python -m rag.tools.llm_models assemble --model {model_name}"
    if not path.is_file():
        raise ModelNotAvailableError(f"local model file {path} not found; {fix}")
    if path.stat().st_size != model.size or file_sha256(path) != model.sha256:
        raise ModelNotAvailableError(
            f"local model file {path} is not the pinned {model_name} (sha256 mismatch); "
            f"delete it and {fix} --force"
        )


def _load(path: Path, model_name: str, threads: int) -> tuple[Any, threading.Lock]:
    key = (str(path.resolve()), threads)
    with _LOAD_LOCK:
        if key not in _MODELS:
            llama_cls = _import_llama()
            check_model_file(path, model_name)
            try:
                # flash attention: the prompt is read ~10% faster on the CPU (README, "Local model speed")
                llm = _construct(llama_cls, model_path=str(path), n_ctx=N_CTX, n_threads=threads,
                                 n_threads_batch=threads, chat_format=CHAT_FORMAT, seed=0, flash_attn=True)
            except Exception as exc:  # llama.cpp reports load failures as ValueError/RuntimeError
                raise GeneratorError(f"cannot load local model {path}: {exc}") from exc
            _MODELS[key] = (llm, threading.Lock())
        return _MODELS[key]


class LocalGenerator:
    """``Generator`` backed by llama_cpp.Llama; one inference at a time per loaded model."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.model_name = settings.local_model
        self.path = settings.llm_path
        if settings.local_quant == "q4_0" and not is_fast_copy(self.path) and settings.llm_model_path is None \
                and self.path.is_file() and not _WARNED:
            _WARNED.append(self.path)
            warnings.warn(f"no Q4_0 copy of {self.model_name} beside {self.path}: the first token comes about twice "
                          f"as late; make it with: python -m rag.tools.llm_quant --model {self.model_name}", stacklevel=2)
        self.name = f"local:{self.model_name}"
        self.system_prompt: str | None = None

    def keep_warm(self, system_prompt: str) -> None:
        """Name the system prompt whose KV cache ``load`` prepares (cheap: nothing runs now)."""
        self.system_prompt = system_prompt

    def load(self) -> Any:
        """Load (or reuse) the model now, with the kept system prompt evaluated; returns the ``Llama``."""
        llm, busy = _load(self.path, self.model_name, self.settings.threads)
        if self.system_prompt:
            with busy:
                self._warm(llm)
        return llm

    def _warm(self, llm: Any) -> None:
        """Evaluate the system turn exactly as ChatML renders it, unless the cache already starts with it."""
        if not self.system_prompt:
            return
        prefix = f"<|im_start|>system\n{self.system_prompt}<|im_end|>\n<|im_start|>user\n"
        tokens = llm.tokenize(prefix.encode("utf-8"), add_bos=False, special=True)
        if llm.n_tokens >= len(tokens) and list(llm.input_ids[: len(tokens)]) == tokens:
            return  # the last prompt began with this turn: llama.cpp's prefix match reuses it
        try:
            llm.reset()
            llm.eval(tokens)
        except Exception as exc:  # a failed warm-up only costs speed; the answer evaluates it again
            llm.reset()
            raise GeneratorError(f"{self.name} failed to read the system prompt: {exc}") from exc

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str]:
        llm, busy = _load(self.path, self.model_name, self.settings.threads)
        # A half-consumed stream keeps the lock until it is closed or collected: bound the wait.
        if not busy.acquire(timeout=self.settings.llm_timeout_s):
            raise GeneratorError(f"{self.name} is busy with another answer; try again")
        try:
            chunks = llm.create_chat_completion(
                messages=[dict(m) for m in messages],
                max_tokens=max_tokens,
                temperature=temperature,
                stop=list(stop) if stop else None,
                stream=True,
            )
            for chunk in chunks:
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece
        except GeneratorExit:
            raise
        except Exception as exc:  # context overflow, decode failure, ...
            raise GeneratorError(f"{self.name} failed: {exc}") from exc
        finally:
            busy.release()
