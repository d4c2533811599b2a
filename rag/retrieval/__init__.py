"""Retrieval: chunks -> a saved index version -> ranked ``Hit``s for a query.

In: chunks and an embedder. Out: an index folder (``build``, ``manifest``, ``index_files``) and,
at query time, dense (``embeddings``, ``onnx_query``, ``store`` / ``milvus_store``) and BM25
(``bm25``) rankings fused by ``fusion``. ``rag.index.HybridIndex`` puts them together.
"""
