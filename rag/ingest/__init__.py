"""Ingest: files in ``docs_corpus/`` -> cleaned ``Document``s -> ``Chunk``s.

In: a folder of .txt/.md/.html/.pdf files and its ``manifest.json``. Out: documents whose cleaned
text keeps a map back to the original file (``readers`` -> ``lines`` -> ``cleaning`` -> ``corpus``),
and sentence-aware chunks with offsets (``chunking``).
"""
