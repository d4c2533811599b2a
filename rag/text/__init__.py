"""Text: the language facts every later stage shares, and the one lexicon.

In: any string. Out: its matching form and script (``textnorm``, ``regional``), the figures it
states (``figures``), the places it names (``places``), English<->Chinese terms (``glossary``),
stopwords (``stopwords``). Every word table is a data file in ``data/`` read by ``lexicon`` (or by
the module that owns it), defined once.
"""
