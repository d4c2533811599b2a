"""Typed settings with offline defaults; environment variables override, unknown keys are errors."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from rag.errors import ConfigError

GENERATORS = ("auto", "local", "openai", "extractive")
QUERY_ENCODERS = ("onnx", "torch")
LOCAL_MODELS = ("qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b")
LOCAL_QUANTS = ("q4_0", "original")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# read where they are used, never stored in settings, printed or written
SECRET_VARS = ("POLICYQA_OPENAI_API_KEY", "POLICYQA_UI_USER", "POLICYQA_UI_PASSWORD", "POLICYQA_MILVUS_TOKEN")
STORES = ("faiss", "milvus")
INTERNAL_VARS = ("POLICYQA_FAULT_AT",)  # crash-test hook of index builds (rag.retrieval.index_files)


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "policy-qa"


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Paths may be given as str; they are normalised to Path."""

    corpus_dir: Path = PROJECT_ROOT / "docs_corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    cache_dir: Path = dataclasses.field(default_factory=_default_cache)
    embed_model_dir: Path | None = None  # default: <cache_dir>/models/multilingual-e5-small
    chunk_size: int = 220  # characters of cleaned text per chunk (target, sentence-aligned)
    chunk_overlap: int = 1  # sentences shared by neighbouring chunks
    top_k: int = 5
    rrf_k: int = 60
    # extractive: on the held-out splits at least as accurate as either local model, at 50 ms instead
    # of 2.4-5.8 s (README, "Generators"); local, openai and auto (local when installed) are one setting away
    generator: str = "extractive"
    local_model: str = "qwen2.5-coder-0.5b"
    llm_model_path: Path | None = None  # default: <cache_dir>/models/<local_model>.gguf
    # "q4_0": the local model's Q4_0 copy made at install time (`python -m rag.tools.llm_quant`),
    # first token 1.8 s -> 0.8 s on the held-out questions, accuracy unchanged (README); "original":
    # the Q4_K_M file as the PyPI parts hold it. Without the copy the original is used, with a warning
    local_quant: str = "q4_0"
    openai_base_url: str = "http://127.0.0.1:8000/v1"
    openai_model: str = "local"
    llm_timeout_s: float = 60.0
    # a failed or hung OpenAI-compatible server is skipped this long (openai_base_url may list several)
    llm_cooldown_s: float = 30.0
    store: str = "faiss"  # where vectors and BM25 are searched: local FAISS files or a Milvus server
    milvus_uri: str = "http://127.0.0.1:19530"
    milvus_timeout_s: float = 10.0
    max_question_chars: int = 1000
    max_file_mb: float = 50.0  # larger corpus files are skipped with a warning naming this setting
    index_lock_wait_s: float = 0.0  # how long `rag index` waits for another build of the same folder
    # least evidence support to answer rather than abstain (calibrated: `python -m rag eval --calibrate`)
    abstain_threshold: float = 0.10
    # requests scored below this by rag.answer.scope (outside the product's purpose) get a short decline;
    # 0 turns it off. Calibrated on eval/scope/dev.jsonl + the devset: `python -m rag.answer.scope --calibrate`
    scope_threshold: float = 0.5
    threads: int = 2
    # single queries through an int8 copy of e5: 2x faster, hit@1 0.94 -> 0.88, hit@5 unchanged (measured)
    int8_queries: bool = True
    # what single queries run on: "onnx" (the int8 ONNX graph built by `make e5-onnx`; 1.7x / 2.8x
    # faster than torch int8 on eval / held-out questions, cosine >= 0.99 to float32, same hit@5;
    # bench/bench_query_encoder.py)
    # or "torch"; a missing graph falls back to torch with a warning naming the make target
    query_encoder: str = "onnx"
    # the UI: largest file one may upload; how often a running app looks for a new index
    # version; first delay after a wrong login (doubling per failure, per client address)
    upload_max_mb: int = 20
    index_poll_s: float = 2.0
    login_backoff_s: float = 1.0

    def __post_init__(self) -> None:
        for name in ("corpus_dir", "index_dir", "cache_dir", "embed_model_dir", "llm_model_path"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Path):
                object.__setattr__(self, name, Path(value).expanduser())
        self._check()

    def _check(self) -> None:
        if not 50 <= self.chunk_size <= 1200:
            raise ConfigError(f"chunk_size must be between 50 and 1200 characters, got {self.chunk_size}")
        if not 0 <= self.chunk_overlap <= 3:
            raise ConfigError(f"chunk_overlap must be between 0 and 3 sentences, got {self.chunk_overlap}")
        if not 1 <= self.top_k <= 50:
            raise ConfigError(f"top_k must be between 1 and 50, got {self.top_k}")
        if self.generator not in GENERATORS:
            raise ConfigError(f"generator must be one of {', '.join(GENERATORS)}, got {self.generator!r}")
        if self.local_model not in LOCAL_MODELS:
            raise ConfigError(f"local_model must be one of {', '.join(LOCAL_MODELS)}, got {self.local_model!r}")
        if self.local_quant not in LOCAL_QUANTS:
            raise ConfigError(f"local_quant must be one of {', '.join(LOCAL_QUANTS)}, got {self.local_quant!r}")
        if not 1 <= self.threads <= 256:
            raise ConfigError(f"threads must be between 1 and 256, got {self.threads}")
        if self.query_encoder not in QUERY_ENCODERS:
            raise ConfigError(f"query_encoder must be one of {', '.join(QUERY_ENCODERS)}, got {self.query_encoder!r}")
        if not 0.0 <= self.abstain_threshold <= 1.0:
            raise ConfigError(f"abstain_threshold must be between 0 and 1, got {self.abstain_threshold}")
        if not 0.0 <= self.scope_threshold <= 1.0:
            raise ConfigError(f"scope_threshold must be between 0 and 1, got {self.scope_threshold}")
        if not 0 < self.llm_timeout_s <= 3600:
            raise ConfigError(f"llm_timeout_s must be in (0, 3600], got {self.llm_timeout_s}")
        if not 0 <= self.llm_cooldown_s <= 3600:
            raise ConfigError(f"llm_cooldown_s must be between 0 and 3600, got {self.llm_cooldown_s}")
        if self.store not in STORES:
            raise ConfigError(f"store must be one of {', '.join(STORES)}, got {self.store!r}")
        if not self.milvus_uri.startswith(("http://", "https://", "tcp://", "unix:")):
            raise ConfigError(f"milvus_uri must be an http(s):// address such as http://127.0.0.1:19530, "
                              f"got {self.milvus_uri!r}")
        if not 0 < self.milvus_timeout_s <= 600:
            raise ConfigError(f"milvus_timeout_s must be in (0, 600], got {self.milvus_timeout_s}")
        if not 1 <= self.rrf_k <= 1000:
            raise ConfigError(f"rrf_k must be between 1 and 1000, got {self.rrf_k}")
        if not 1 <= self.max_question_chars <= 100_000:
            raise ConfigError(f"max_question_chars must be between 1 and 100000, got {self.max_question_chars}")
        if not 0.001 <= self.max_file_mb <= 4096:
            raise ConfigError(f"max_file_mb must be between 0.001 and 4096 (MB), got {self.max_file_mb}")
        if not 0 <= self.index_lock_wait_s <= 86400:
            raise ConfigError(f"index_lock_wait_s must be between 0 and 86400 seconds, got {self.index_lock_wait_s}")
        if not 1 <= self.upload_max_mb <= 50:
            raise ConfigError(f"upload_max_mb must be between 1 and 50 (MB), got {self.upload_max_mb}")
        if not 0.1 <= self.index_poll_s <= 3600:
            raise ConfigError(f"index_poll_s must be between 0.1 and 3600 seconds, got {self.index_poll_s}")
        if not 0.0 <= self.login_backoff_s <= 60:
            raise ConfigError(f"login_backoff_s must be between 0 and 60 seconds, got {self.login_backoff_s}")

    @property
    def models_dir(self) -> Path:
        return self.cache_dir / "models"

    @property
    def embed_path(self) -> Path:
        return self.embed_model_dir or self.models_dir / "multilingual-e5-small"

    @property
    def llm_original_path(self) -> Path:
        return self.llm_model_path or self.models_dir / f"{self.local_model}.gguf"

    @property
    def llm_path(self) -> Path:
        """The GGUF the local model loads: its fast copy when asked for and made, else the original."""
        original = self.llm_original_path
        if self.local_quant == "original" or self.llm_model_path is not None:
            return original
        from rag.tools.llm_quant import fast_path

        fast = fast_path(original)
        return fast if fast.is_file() or not original.is_file() else original

    @property
    def openai_api_key(self) -> str:
        """Read from the environment on use; never stored or written anywhere."""
        return os.environ.get("POLICYQA_OPENAI_API_KEY") or os.environ.get("OPENAI_API_KEY") or "not-needed"

    @property
    def milvus_token(self) -> str:
        """Read from the environment on use; never stored or written anywhere."""
        return os.environ.get("POLICYQA_MILVUS_TOKEN", "")

    def replace(self, **changes: Any) -> Settings:
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ConfigError(f"unknown setting(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}")
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``POLICYQA_<NAME>`` environment variables, then explicit overrides."""
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        types = {f.name: f.type for f in fields(cls)}
        for name, typ in types.items():
            key = f"POLICYQA_{name.upper()}"
            if key in env and env[key] != "":
                values[name] = _coerce(name, str(typ), env[key])
        unknown_env = sorted(
            k for k in env if k.startswith("POLICYQA_") and k[9:].lower() not in types and k not in SECRET_VARS and k not in INTERNAL_VARS
        )
        if unknown_env:
            raise ConfigError(
                f"unknown environment variable(s) {', '.join(unknown_env)}; valid: "
                + ", ".join(f"POLICYQA_{n.upper()}" for n in sorted(types))
            )
        values.update({k: v for k, v in overrides.items() if v is not None})
        known = set(types)
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown setting(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}")
        return cls(**values)


def _coerce(name: str, typ: str, raw: str) -> Any:
    if typ.startswith("bool"):
        flags = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}
        if raw.strip().lower() not in flags:
            raise ConfigError(f"POLICYQA_{name.upper()} must be true or false (1/0, yes/no, on/off), got {raw!r}")
        return flags[raw.strip().lower()]
    try:
        if typ.startswith("int"):
            return int(raw)
        if typ.startswith("float"):
            return float(raw)
    except ValueError:
        raise ConfigError(f"POLICYQA_{name.upper()} must be a number ({typ}), got {raw!r}") from None
    return raw
