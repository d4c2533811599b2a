"""The held-out protocol: corpus plus extra folders in a separate index, scored in one command."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from rag.errors import ConfigError
from rag.eval.heldout import combine, eval_folders
from tests.test_cli import PROJECT_ROOT, run_cli


def _folder(root: Path, name: str, files: dict[str, str], manifest: list[dict]) -> Path:
    d = root / name
    d.mkdir()
    for fname, text in files.items():
        (d / fname).write_text(text, encoding="utf-8")
    (d / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return d


def test_combine_merges_documents_and_manifests(tmp_path: Path) -> None:
    a = _folder(tmp_path, "a", {"one.txt": "深圳。"}, [{"id": "one", "title": "一"}])
    b = _folder(tmp_path, "b", {"two.html": "<p>嘉兴。</p>"}, [{"id": "two", "title": "二"}])
    out = combine([a, b], tmp_path / "out")
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "one.txt", "two.html"]
    assert [e["id"] for e in json.loads((out / "manifest.json").read_text(encoding="utf-8"))] == ["one", "two"]
    # a document dropped from a source folder leaves the combined one too
    (b / "two.html").unlink()
    assert sorted(p.name for p in combine([a, b], out).iterdir()) == ["manifest.json", "one.txt"]


def test_same_id_in_two_folders_and_a_missing_folder_are_refused(tmp_path: Path) -> None:
    a = _folder(tmp_path, "a", {"one.txt": "甲。"}, [])
    b = _folder(tmp_path, "b", {"one.md": "乙。"}, [])
    with pytest.raises(ConfigError, match="'one' is in both"):
        combine([a, b], tmp_path / "out")
    with pytest.raises(ConfigError, match="corpus folder not found"):
        eval_folders(tmp_path, a, [tmp_path / "nope"])


def test_the_real_corpus_is_never_written(tmp_path: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in (PROJECT_ROOT / "docs_corpus").iterdir()}
    corpus, index = eval_folders(tmp_path, PROJECT_ROOT / "docs_corpus", [PROJECT_ROOT / "eval" / "heldout" / "corpus"])
    assert corpus.parent == index.parent and str(corpus).startswith(str(tmp_path))
    assert {p.name: p.stat().st_mtime_ns for p in (PROJECT_ROOT / "docs_corpus").iterdir()} == before


@pytest.mark.slow
def test_eval_with_extra_folder_scores_the_new_documents(tmp_path: Path, e5_dir: Path) -> None:
    """One command: the shipped corpus plus the held-out documents (HTML, PDF, English, pinyin-annotated)."""
    env = {"POLICYQA_CACHE_DIR": str(tmp_path), "POLICYQA_EMBED_MODEL_DIR": str(e5_dir)}
    r = run_cli("eval", "--retrieval-only", "--corpus-extra", "eval/heldout/corpus",
                "--questions", "eval/heldout/questions.jsonl", "--out", str(tmp_path / "rows.jsonl"), env_extra=env)
    assert r.returncode == 0, r.stderr
    assert "12 documents" in r.stderr  # five shipped plus seven held-out
    rows = [json.loads(line) for line in (tmp_path / "rows.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 30
    hit5 = float(next(line for line in r.stdout.splitlines() if line.startswith("| all |")).split("|")[5])
    assert hit5 >= 0.8, r.stdout
    assert not os.path.exists(PROJECT_ROOT / "docs_corpus" / "jiaxing-2024-ai-implementation-plan.txt")
