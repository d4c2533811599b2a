"""Answer: a question and its hits -> evidence -> a checked, cited ``Answer``.

In: the asker's question (``guard``, ``conversation``, ``scope``) and the retrieved hits. Out:
the evidence sentences (``evidence``, ``terms``, ``focus``, ``measure``), the reply's checks in
order (``checks``, ``verify``, ``names``), its citations (``citations``) and the texts shown
(``messages``). ``rag.chains.QAChain`` runs these steps as one LCEL runnable.
"""
