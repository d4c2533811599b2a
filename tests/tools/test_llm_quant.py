"""The local model's Q4_0 copy: made from the verified original, refused when its marker does not vouch for it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.errors import ModelNotAvailableError
from rag.generators.local import check_model_file
from rag.settings import Settings
from rag.tools.llm_quant import check_fast_copy, fast_path, is_fast_copy, requantize


def test_the_fast_copy_lives_beside_the_original() -> None:
    assert fast_path(Path("/m/qwen2.5-coder-0.5b.gguf")) == Path("/m/qwen2.5-coder-0.5b-q4_0.gguf")
    assert is_fast_copy(fast_path(Path("/m/x.gguf"))) and not is_fast_copy(Path("/m/x.gguf"))


def test_an_unmarked_or_foreign_copy_is_refused_with_the_command_that_makes_it(tmp_path: Path) -> None:
    copy = tmp_path / "qwen2.5-coder-0.5b-q4_0.gguf"
    copy.write_bytes(b"GGUF not really")
    with pytest.raises(ModelNotAvailableError, match=r"rag\.tools\.llm_quant --model qwen2\.5-coder-0\.5b"):
        check_fast_copy(copy, "qwen2.5-coder-0.5b")
    (tmp_path / (copy.name + ".json")).write_text(json.dumps(
        {"source_sha256": "0" * 64, "sha256": "0" * 64, "size": copy.stat().st_size}), encoding="utf-8")
    with pytest.raises(ModelNotAvailableError, match="not the Q4_0 copy of the pinned"):
        check_model_file(copy, "qwen2.5-coder-0.5b")


def test_requantizing_a_file_that_is_not_the_pinned_model_fails_cleanly(tmp_path: Path) -> None:
    fake = tmp_path / "qwen2.5-coder-0.5b.gguf"
    fake.write_bytes(b"not a model")
    with pytest.raises(ModelNotAvailableError, match="is not the pinned"):
        requantize("qwen2.5-coder-0.5b", fake)
    assert not fast_path(fake).exists() and list(tmp_path.iterdir()) == [fake]


def test_settings_load_the_fast_copy_when_it_was_made(tmp_path: Path) -> None:
    original = tmp_path / "models" / "qwen2.5-coder-0.5b.gguf"
    original.parent.mkdir()
    original.write_bytes(b"x")
    s = Settings(cache_dir=tmp_path)
    assert s.llm_path == original  # no copy yet: the original, and LocalGenerator warns
    fast_path(original).write_bytes(b"y")
    assert s.llm_path == fast_path(original)
    assert Settings(cache_dir=tmp_path, local_quant="original").llm_path == original


def test_the_installed_fast_copy_is_vouched_for_and_answers() -> None:
    """After `make setup`: the Q4_0 copy exists, its marker ties it to the pinned original, and it loads."""
    settings = Settings.from_env()
    original = settings.llm_original_path
    if not original.is_file():
        pytest.skip(f"{original} not assembled (make setup)")
    copy = fast_path(original)
    assert copy.is_file(), "make setup makes the Q4_0 copy (python -m rag.tools.llm_quant)"
    check_fast_copy(copy, settings.local_model)
    assert settings.llm_path == copy
