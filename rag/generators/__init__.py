"""Generators: a ``GenerationRequest`` (question, numbered evidence) -> answer text with [n] markers.

Chat backends behind one protocol (``base.Generator``): ``local`` (llama-cpp-python), ``openai``
(any compatible server), ``pool`` (several such servers), ``fake`` (tests). ``llm`` turns one into
an answer generator; ``extractive`` answers from the evidence itself (with ``english``,
``figure_fit`` and ``documents``).
"""
