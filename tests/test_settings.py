from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.guard import clean_question
from rag.errors import ConfigError
from rag.settings import Settings


def test_environment_overrides_defaults_and_paths_expand() -> None:
    s = Settings.from_env({"POLICYQA_TOP_K": "7", "POLICYQA_CACHE_DIR": "~/x", "POLICYQA_GENERATOR": "extractive"})
    assert s.top_k == 7 and s.generator == "extractive" and s.cache_dir == Path("~/x").expanduser()
    assert s.embed_path == s.cache_dir / "models" / "multilingual-e5-small"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"POLICYQA_TOP_K": "0"}, "top_k must be between 1 and 50, got 0"),
        ({"POLICYQA_TOP_K": "many"}, "must be a number"),
        ({"POLICYQA_GENERATOR": "gpt"}, "generator must be one of auto, local, openai, extractive"),
        ({"POLICYQA_COLOUR": "red"}, "unknown environment variable(s) POLICYQA_COLOUR"),
    ],
)
def test_invalid_settings_say_what_is_valid(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env(env)


def test_replace_refuses_unknown_keys() -> None:
    with pytest.raises(ConfigError, match="unknown setting"):
        Settings().replace(colour="red")


def test_api_key_is_read_from_the_environment_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYQA_OPENAI_API_KEY", "sk-secret")
    s = Settings.from_env()
    assert s.openai_api_key == "sk-secret" and "sk-secret" not in repr(s)


def test_question_cleaning() -> None:
    assert clean_question("  深圳\u200b 人工智能？ ") == "深圳 人工智能？"
    with pytest.raises(Exception, match="limit is 1000"):
        clean_question("字" * 1001)
    with pytest.raises(Exception, match="control character"):
        clean_question("abc\x1b[31m")


def test_boolean_settings_read_common_spellings_and_refuse_others() -> None:
    assert Settings.from_env({"POLICYQA_INT8_QUERIES": "off"}).int8_queries is False
    assert Settings.from_env({"POLICYQA_INT8_QUERIES": "1"}).int8_queries is True
    with pytest.raises(ConfigError, match="true or false"):
        Settings.from_env({"POLICYQA_INT8_QUERIES": "maybe"})


@pytest.mark.parametrize(("env", "message"), [
    ({"POLICYQA_RRF_K": "-1"}, "rrf_k must be between 1 and 1000, got -1"),
    ({"POLICYQA_MAX_QUESTION_CHARS": "-5"}, "max_question_chars must be between 1 and 100000, got -5"),
    ({"POLICYQA_MAX_FILE_MB": "0"}, "max_file_mb must be between 0.001 and 4096 (MB), got 0.0"),
    ({"POLICYQA_INDEX_LOCK_WAIT_S": "-1"}, "index_lock_wait_s must be between 0 and 86400 seconds, got -1.0"),
])
def test_numeric_settings_out_of_range_name_the_valid_range(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env(env)


def test_every_numeric_setting_is_range_checked() -> None:
    import dataclasses

    numeric = [f.name for f in dataclasses.fields(Settings) if str(f.type) in ("int", "float")]
    assert "rrf_k" in numeric and "max_question_chars" in numeric
    for name in numeric:
        for bad in (-(10**9), 10**9):
            with pytest.raises(ConfigError, match=name):
                Settings().replace(**{name: bad})


def test_out_of_range_setting_on_the_command_line_is_one_line() -> None:
    import os
    import subprocess
    import sys

    from rag.settings import PROJECT_ROOT

    out = subprocess.run([sys.executable, "-m", "rag", "stats"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                         env={**os.environ, "POLICYQA_RRF_K": "-1"}, timeout=120)
    assert out.returncode == 2 and out.stderr == "error: rrf_k must be between 1 and 1000, got -1\n"
