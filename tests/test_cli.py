"""The CLI: one-line errors with a non-zero exit, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rag.__main__ import main
from rag.settings import PROJECT_ROOT


def run_cli(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    env = dict(os.environ, **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "rag", *args], capture_output=True, text=True, cwd=PROJECT_ROOT,
                          env=env, timeout=300)


@pytest.mark.parametrize("query", ["", "   ", "\x07bell"])
def test_bad_query_is_one_line_error(query: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", query]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: question") and "\n" not in err


def test_missing_index_folder_is_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "深圳", "--index", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err.strip()
    assert "no index" in err and "python -m rag index" in err and "Traceback" not in err


def test_missing_corpus_folder_is_one_line_error(tmp_path: Path) -> None:
    proc = run_cli("index", "--corpus", str(tmp_path / "none"), "--index", str(tmp_path / "ix"))
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: corpus folder not found") and "Traceback" not in proc.stderr


def test_k_out_of_range_names_the_valid_range() -> None:
    proc = run_cli("search", "深圳", "-k", "0")
    assert proc.returncode == 2 and "between 1 and 50" in proc.stderr


def test_unknown_setting_in_environment_is_refused() -> None:
    proc = run_cli("stats", env_extra={"POLICYQA_TOP_KK": "3"})
    assert proc.returncode == 2 and "POLICYQA_TOP_KK" in proc.stderr and "POLICYQA_TOP_K" in proc.stderr


@pytest.mark.slow
def test_index_and_search_with_the_real_model(tmp_path: Path, e5_dir: Path) -> None:
    ix = str(tmp_path / "ix")
    built = run_cli("index", "--index", ix)
    assert built.returncode == 0, built.stderr
    assert "5 documents" in built.stdout
    again = run_cli("index", "--index", ix)
    assert "up to date" in again.stdout
    found = run_cli("search", "人工智能終端產品產量", "-k", "3", "--index", ix, "--json")
    assert found.returncode == 0, found.stderr
    import json

    data = json.loads(found.stdout)
    assert any("1.5億" in h["text"] for h in data["hits"])
    assert {"doc_id", "start", "end", "score", "text"} <= set(data["hits"][0])


def test_missing_embedding_model_names_the_prepare_command_and_writes_no_index(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "note.txt").write_text("深圳计划到2026年人工智能企业数量超过3000家。\n", encoding="utf-8")
    missing = tmp_path / "no-model"
    proc = run_cli("index", "--corpus", str(corpus), "--index", str(tmp_path / "ix"),
                   env_extra={"POLICYQA_EMBED_MODEL_DIR": str(missing)})
    assert proc.returncode != 0
    err = proc.stderr.strip().splitlines()[-1]
    assert "embedding model not found" in err and str(missing) in err
    assert "make setup" in err and "python -m rag.tools.e5convert" in err
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "ix" / "CURRENT").exists()


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory: pytest.TempPathFactory, e5_dir: Path) -> str:
    ix = str(tmp_path_factory.mktemp("cli") / "ix")
    built = run_cli("index", "--index", ix)
    assert built.returncode == 0, built.stderr
    return ix


@pytest.mark.slow
@pytest.mark.parametrize("question", ["深圳のAI企業は何社ありますか？", "선전의 인공지능 기업은 몇 개입니까?", "🚀🚀🚀",
                                      "深圳\u200b人工智能企业有多少家？😀"])
def test_unusual_questions_through_the_cli(cli_index: str, question: str) -> None:
    proc = run_cli("ask", question, "--index", cli_index, "--generator", "extractive", "--json")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    import json

    answer = json.loads(proc.stdout)
    assert answer["answer"] and answer["language"] in ("en", "zh-Hans", "zh-Hant")


@pytest.mark.slow
@pytest.mark.llm
def test_a_budget_shorter_than_the_model_load_ends_with_the_extractive_answer(cli_index: str) -> None:
    """A fresh process whose model cannot even load within POLICYQA_LLM_TIMEOUT_S: the answer
    comes when the budget ends, whole, with its notice, and the process exits cleanly although
    llama.cpp is still loading on the abandoned thread."""
    import importlib.util
    import json

    from rag.settings import Settings

    settings = Settings.from_env()
    if importlib.util.find_spec("llama_cpp") is None or not settings.llm_path.is_file():
        pytest.skip(f"local model not assembled at {settings.llm_path} (make setup)")
    proc = run_cli("ask", "深圳到2026年人工智能企业数量目标是多少？", "--index", cli_index, "--generator", "local",
                   "--json", env_extra={"POLICYQA_LLM_TIMEOUT_S": "1"})
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.stdout.strip(), f"nothing printed; stderr: {proc.stderr[-2000:]}"
    answer = json.loads(proc.stdout)
    assert "3000" in answer["answer"] and "took too long" in answer["notice"]
    assert answer["timings_ms"]["generate_ms"] < 2000  # the budget plus under a second
