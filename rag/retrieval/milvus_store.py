"""The index's search side on a Milvus server: dense e5 vectors (HNSW) and BM25 over jieba tokens.

One collection per index version (``<prefix>_<version>``) holds every chunk: its row number in
``chunks.jsonl``, chunk and document ids, offsets, script, date, the dense vector and the
matching-form tokens, which Milvus analyses with its jieba tokenizer and turns into BM25 sparse
vectors itself. The collection's properties record the model, normaliser and pipeline it was
written with and, last of all, ``policyqa.complete``: a collection without it is never served.
The local index folder keeps everything else (chunks, documents, the BM25 statistics the
evidence selection weighs terms by), so ``CURRENT`` still names the live version.

The same client code talks to Milvus Lite (``milvus-lite server``), a standalone server or a
distributed cluster: only ``POLICYQA_MILVUS_URI`` and the token differ. Milvus Lite returns BM25
scores negated; only their order is used.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from rag.errors import IndexMismatchError, PolicyQAError
from rag.types import Chunk, Document

BATCH_ROWS = 2000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 256
MAX_TEXT_BYTES = 60_000  # VARCHAR limit is 65,535 bytes
CHECKED = ("model", "text_normalisation", "pipeline")  # a collection written otherwise is refused
REBUILD_CMD = "POLICYQA_STORE=milvus python -m rag index --rebuild"
INSTALL_CMD = 'pip install -e ".[milvus]"'

# pymilvus logs every failed call with a traceback; the one-line MilvusError says it all
logging.getLogger("pymilvus").setLevel(logging.CRITICAL)


class MilvusError(PolicyQAError):
    """The Milvus server cannot be reached, refused a call or holds no usable collection."""


@dataclass(frozen=True)
class MilvusSpec:
    """Where the collections live. The token is read from ``POLICYQA_MILVUS_TOKEN`` on use."""

    uri: str
    timeout_s: float = 10.0
    prefix: str = "policyqa"

    def collection(self, version: str) -> str:
        return f"{self.prefix}_{version}".replace("-", "_")


def _client(spec: MilvusSpec):  # type: ignore[no-untyped-def]
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise MilvusError(f"POLICYQA_STORE=milvus needs pymilvus: {INSTALL_CMD}") from None
    with calling(spec, "connect"):
        return MilvusClient(spec.uri, token=os.environ.get("POLICYQA_MILVUS_TOKEN", ""), timeout=spec.timeout_s)


@contextmanager
def calling(spec: MilvusSpec, what: str) -> Iterator[None]:
    """Turn any client failure into one line naming the server and the setting that chose it."""
    try:
        yield
    except PolicyQAError:
        raise
    except Exception as exc:  # pymilvus, grpc and socket errors come in many types
        msg = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        line = " ".join(str(msg).split())[:200]
        raise MilvusError(f"Milvus at {spec.uri} (POLICYQA_MILVUS_URI) failed to {what}: {line}") from None


def _schema(dim: int):  # type: ignore[no-untyped-def]
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    s = MilvusClient.create_schema(auto_id=False)
    s.add_field("row", DataType.INT64, is_primary=True)
    s.add_field("chunk_id", DataType.VARCHAR, max_length=128)
    s.add_field("doc_id", DataType.VARCHAR, max_length=256)
    s.add_field("start", DataType.INT64)
    s.add_field("end", DataType.INT64)
    s.add_field("script", DataType.VARCHAR, max_length=16)
    s.add_field("date", DataType.VARCHAR, max_length=32)
    s.add_field("text", DataType.VARCHAR, max_length=65535, enable_analyzer=True,
                analyzer_params={"tokenizer": "jieba"})
    s.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
    s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    s.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                            output_field_names=["sparse"]))
    return s


def _clip(text: str) -> str:
    raw = text.encode("utf-8")[:MAX_TEXT_BYTES]
    return raw.decode("utf-8", errors="ignore")


def write_version(spec: MilvusSpec, version: str, chunks: Sequence[Chunk], vectors: np.ndarray,
                  tokens: Sequence[Sequence[str]], docs: dict[str, Document], config: dict) -> dict:
    """Write (or reuse, when complete and written alike) the collection of ``version``; returns the
    manifest's ``store`` entry. Raises MilvusError: the caller must not switch ``CURRENT`` then."""
    client = _client(spec)
    name = spec.collection(version)
    wanted = {k: config.get(k) for k in CHECKED}
    with calling(spec, f"write collection {name}"):
        if client.has_collection(name):
            props = client.describe_collection(name).get("properties", {})
            if props.get("policyqa.complete") == "1" and json.loads(props.get("policyqa.config", "{}")) == wanted \
                    and int(props.get("policyqa.rows", -1)) == len(chunks):
                client.load_collection(name)
                return {"kind": "milvus", "uri": spec.uri, "collection": name}
            client.drop_collection(name)  # left by a build that did not finish
        index = client.prepare_index_params()
        index.add_index("dense", index_type="HNSW", metric_type="IP",
                        params={"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION})
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        props = {"policyqa.config": json.dumps(wanted, sort_keys=True), "policyqa.rows": str(len(chunks))}
        client.create_collection(name, schema=_schema(int(vectors.shape[1])), index_params=index,
                                 properties=props, timeout=spec.timeout_s)
        for a in range(0, len(chunks), BATCH_ROWS):
            rows = []
            for i in range(a, min(a + BATCH_ROWS, len(chunks))):
                c = chunks[i]
                meta = docs[c.doc_id].meta if c.doc_id in docs else None
                rows.append({"row": i, "chunk_id": c.chunk_id, "doc_id": c.doc_id, "start": c.start, "end": c.end,
                             "script": meta.script if meta else "", "date": meta.published if meta else "",
                             "text": _clip(" ".join(tokens[i])), "dense": vectors[i].tolist()})
            client.insert(name, rows, timeout=spec.timeout_s)
        client.flush(name, timeout=spec.timeout_s)
        client.load_collection(name, timeout=spec.timeout_s)
        count = int(client.get_collection_stats(name, timeout=spec.timeout_s).get("row_count", -1))
        if count != len(chunks):
            raise MilvusError(f"Milvus at {spec.uri} holds {count} of {len(chunks)} rows of {name}; "
                              f"rebuild with: {REBUILD_CMD}")
        client.alter_collection_properties(name, properties={"policyqa.complete": "1"}, timeout=spec.timeout_s)
    return {"kind": "milvus", "uri": spec.uri, "collection": name}


def ping(spec: MilvusSpec) -> None:
    """Raise MilvusError unless the server answers (a wrong URI, token or a dead server)."""
    client = _client(spec)
    with calling(spec, "answer"):
        client.list_collections(timeout=spec.timeout_s)


def prune(spec: MilvusSpec, keep: set[str]) -> list[str]:
    """Drop this prefix's collections other than ``keep`` (best effort: a failure leaves them)."""
    try:
        client = _client(spec)
        with calling(spec, "prune"):
            names = [n for n in client.list_collections(timeout=spec.timeout_s)
                     if n.startswith(f"{spec.prefix}_v_") and n not in keep]
            for n in names:
                client.drop_collection(n, timeout=spec.timeout_s)
        return names
    except MilvusError:
        return []


class MilvusStore:
    """A loaded version's collection: dense search (the ``VectorStore`` protocol), BM25 ``top`` (as
    ``BM25.top``) and ``hybrid``, both fused on the server with ``RRFRanker`` and metadata filters."""

    def __init__(self, spec: MilvusSpec, client, name: str, size: int, dim: int,  # type: ignore[no-untyped-def]
                 ef_search: int = HNSW_EF_SEARCH) -> None:
        self.spec, self.client, self.name = spec, client, name
        self.size, self.dim, self.ef_search = size, dim, ef_search
        self.kind = "milvus"

    @classmethod
    def open(cls, spec: MilvusSpec, manifest: dict) -> MilvusStore:
        """Open the collection the manifest names; refuse one incomplete or written otherwise."""
        entry = manifest.get("store", {})
        name = entry.get("collection", "")
        config = manifest.get("config", {})
        client = _client(spec)
        with calling(spec, f"open collection {name}"):
            if not name or not client.has_collection(name, timeout=spec.timeout_s):
                raise IndexMismatchError(f"Milvus at {spec.uri} has no collection {name or '(none named)'}; "
                                         f"rebuild with: {REBUILD_CMD}")
            desc = client.describe_collection(name, timeout=spec.timeout_s)
            props = desc.get("properties", {})
            saved = json.loads(props.get("policyqa.config", "{}"))
            if props.get("policyqa.complete") != "1":
                raise IndexMismatchError(f"collection {name} was not completely written; rebuild with: {REBUILD_CMD}")
            differs = [k for k in CHECKED if saved.get(k) != config.get(k)]
            if differs:
                raise IndexMismatchError(f"collection {name} was written with another {', '.join(differs)}; "
                                         f"rebuild with: {REBUILD_CMD}")
            client.load_collection(name, timeout=spec.timeout_s)  # needed again after a server restart
            dim = next(int(f["params"]["dim"]) for f in desc["fields"] if f["name"] == "dense")
        return cls(spec, client, name, int(props.get("policyqa.rows", 0)), dim)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        q = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        k = max(1, min(k, self.size)) if self.size else 1
        with calling(self.spec, "search"):
            res = self.client.search(self.name, data=q.tolist(), anns_field="dense", limit=k,
                                     search_params={"metric_type": "IP", "params": {"ef": max(self.ef_search, k)}},
                                     output_fields=["row"], timeout=self.spec.timeout_s)
        scores = np.full((len(q), k), -np.inf, dtype=np.float32)
        ids = np.full((len(q), k), -1, dtype=np.int64)
        for r, hits in enumerate(res):
            for j, h in enumerate(list(hits)[:k]):
                scores[r, j], ids[r, j] = float(h["distance"]), int(h["entity"]["row"])
        return scores, ids

    def top(self, query_tokens: Sequence[str], k: int) -> list[tuple[int, float]]:
        """BM25 on the server: (row, score) best first; the score only orders (Lite negates it)."""
        text = " ".join(query_tokens)
        if not text.strip():
            return []
        with calling(self.spec, "search"):
            res = self.client.search(self.name, data=[text], anns_field="sparse", limit=max(1, k),
                                     search_params={"metric_type": "BM25"}, output_fields=["row"],
                                     timeout=self.spec.timeout_s)
        hits = list(res[0]) if res else []
        return [(int(h["entity"]["row"]), float(len(hits) - j)) for j, h in enumerate(hits)]

    def hybrid(self, query_vector: np.ndarray, query_tokens: Sequence[str], k: int, *, depth: int = 30,
               rrf_k: int = 60, doc_ids: Sequence[str] = (), date_from: str = "", date_to: str = "",
               ) -> list[tuple[int, float]]:
        """Dense ANN and BM25 fused by ``RRFRanker(rrf_k)`` on the server, optionally filtered by
        document ids and a publication date range (``YYYY-MM-DD``, inclusive)."""
        from pymilvus import AnnSearchRequest, RRFRanker

        expr = filter_expr(doc_ids, date_from, date_to)
        vec = np.asarray(query_vector, dtype=np.float32).reshape(-1).tolist()
        reqs = [AnnSearchRequest(data=[vec], anns_field="dense", limit=depth, expr=expr,
                                 param={"metric_type": "IP", "params": {"ef": max(self.ef_search, depth)}})]
        text = " ".join(query_tokens)
        if text.strip():
            reqs.append(AnnSearchRequest(data=[text], anns_field="sparse", limit=depth, expr=expr,
                                         param={"metric_type": "BM25"}))
        with calling(self.spec, "search"):
            res = self.client.hybrid_search(self.name, reqs, RRFRanker(rrf_k), limit=k, output_fields=["row"],
                                            timeout=self.spec.timeout_s)
        return [(int(h["entity"]["row"]), float(h["distance"])) for h in (res[0] if res else [])]


def filter_expr(doc_ids: Sequence[str], date_from: str, date_to: str) -> str:
    """A Milvus boolean expression for the metadata filters (empty: no filter)."""
    parts = []
    if doc_ids:
        parts.append("doc_id in " + json.dumps(list(doc_ids), ensure_ascii=False))
    if date_from:
        parts.append(f"date >= {json.dumps(date_from)}")
    if date_to:
        parts.append(f"date <= {json.dumps(date_to)}")
    return " and ".join(parts)
