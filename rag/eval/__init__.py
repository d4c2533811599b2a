"""Evaluation: a question set (or a gold targets file) -> metrics and per-question rows.

In: JSONL question files, optionally extra corpus folders indexed apart (``heldout``). Out:
retrieval and answer metrics (``evaluate``) and the targets table's score (``targets``).
"""
