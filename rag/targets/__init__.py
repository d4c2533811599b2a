"""Targets: documents -> the targets-and-figures table, one cited row per figure.

In: cleaned documents. Out: ``TargetRow``s (``rows``) read sentence by sentence (``parse`` with
``numbers``, ``metric``, ``years``, ``scopes``, ``titles``), collected in ``table`` and filtered
by ``select``.
"""
