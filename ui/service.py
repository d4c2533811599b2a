"""What the chat UI does with the chain, kept apart from the layout so tests can drive it.

The service holds one snapshot (the chain over the loaded index, and the chains made from it
for other settings). ``swap`` replaces the snapshot in one assignment: a question already
being answered keeps the chain it started with, the next one gets the new index.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from rag.chains import QAChain
from rag.errors import PolicyQAError
from rag.index import HybridIndex
from rag.settings import Settings
from rag.types import Answer
from ui import render_html as R

log = logging.getLogger("policyqa.ui")
MAX_CHARS = 1000
MAX_TOP_K = 20
MAX_HISTORY = 20  # messages kept for follow-ups; the chain itself reads only the last few
EMPTY_PROMPT = "Type a question in English, 简体 or 繁體, then press Enter."
Msg = dict[str, str]


def too_long(text: str, limit: int = MAX_CHARS) -> str | None:
    """The refusal for an over-long message, or None. Checked before any work is done."""
    if len(text) > limit:
        return f"Your message is {len(text):,} characters; the limit is {limit:,} characters. Please shorten it."
    return None


def friendly_error(exc: BaseException) -> str:
    """One line for the chat: a PolicyQAError's own message, else the error's kind only."""
    if isinstance(exc, PolicyQAError):
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"The server could not answer ({type(exc).__name__}). Please try again."


@dataclass
class Snapshot:
    """The chain over one loaded index version and the per-setting chains that share it."""

    chain: QAChain
    chains: dict[tuple[str, int], QAChain] = field(default_factory=dict)


class ChatService:
    """Answers turns, resolves citations and serves documents for the UI and the HTTP API."""

    def __init__(self, chain: QAChain, settings: Settings | None = None, generator: str = "extractive",
                 choices: list[str] | None = None) -> None:
        self.settings = settings
        self.default_generator = generator
        self.choices = [*dict.fromkeys([generator, *(choices or [])])]  # what the Settings offer
        self._generators: dict[str, Any] = {generator: chain.generator}
        self._lock = threading.Lock()
        self._snap = Snapshot(chain, {(generator, chain.top_k): chain})

    @property
    def chain(self) -> QAChain:
        return self._snap.chain

    @property
    def docs(self) -> dict:
        return self._snap.chain.index.docs

    @property
    def version(self) -> str:
        """Name of the index version served now (its folder name)."""
        return self._snap.chain.index.path.name

    def swap(self, index: HybridIndex) -> None:
        """Serve ``index`` from the next question on; questions in flight finish on the old one."""
        c = self.chain
        chain = QAChain(index, c.generator, top_k=c.top_k, evidence_limit=c.evidence_limit,
                        abstain_threshold=c.abstain_threshold, max_question_chars=c.max_question_chars,
                        time_budget_s=c.time_budget_s, trust_model_abstention_below=c.trust_model_abstention_below,
                        scope=c.scope, scope_threshold=c.scope_threshold)
        with self._lock:
            self._snap = Snapshot(chain, {(self.default_generator, chain.top_k): chain})

    def chain_for(self, generator: str, top_k: int) -> QAChain:
        """A chain for this generator and top-k that shares the loaded index (nothing rebuilt).

        One chain per setting instead of changing ``chain.top_k`` in place: two users with
        different settings may be answered at the same time.
        """
        snap = self._snap  # one snapshot for the whole call: a swap may happen meanwhile
        generator = generator if generator in self.choices else self.default_generator
        key = (generator, min(max(int(top_k), 1), MAX_TOP_K))  # the API accepts any value: clamp it
        if key not in snap.chains:
            with self._lock:
                if generator not in self._generators:
                    from rag.runtime import make_generator

                    self._generators[generator] = make_generator(self.settings or Settings.from_env(), generator)
            c = snap.chain
            snap.chains[key] = QAChain(
                c.index, self._generators[generator], top_k=key[1], evidence_limit=c.evidence_limit,
                abstain_threshold=c.abstain_threshold, max_question_chars=c.max_question_chars,
                time_budget_s=c.time_budget_s, trust_model_abstention_below=c.trust_model_abstention_below,
                scope=c.scope, scope_threshold=c.scope_threshold,
            )
        return snap.chains[key]

    def ask(self, question: str, history: list[Msg] | None = None, language: str | None = None,
            generator: str = "") -> Answer:
        """One answer, for the HTTP API (same chain and settings as the chat)."""
        return self.chain_for(generator or self.default_generator, self.chain.top_k).ask(
            question, history=history or [], language=language)

    def uses_model(self, generator: str) -> bool:
        """Is a turn with this generator choice answered by a language model (not extractive)?"""
        return (generator if generator in self.choices else self.default_generator) != "extractive"

    def respond_fast(self, message: str, chat: list[Msg], history: list[Msg], answers: list[Answer],
                     language: str = "auto", generator: str = "", top_k: int = 0) -> Iterator[tuple]:
        """The chat's own lane: an extractive turn is answered here, so it never queues behind a
        model's answers; a model turn is only shown (question, "waiting" line) and handed on to
        ``respond_model`` through the last output. Yields ``respond``'s outputs plus that hand-over."""
        text = message if isinstance(message, str) else ""
        if not self.uses_model(generator) or not text.strip() or too_long(text):
            for update in self.respond(message, chat, history, answers, language, generator, top_k):
                yield (*update, "")
            return
        chat = [*(chat or []), {"role": "user", "content": R.question_html(text)},
                {"role": "assistant", "content": R.answer_html("", None, len(answers or []))}]
        skip = gr.skip()
        yield chat, "", chat, skip, skip, skip, skip, text

    def respond_model(self, pending: str, chat: list[Msg], history: list[Msg], answers: list[Answer],
                      language: str = "auto", generator: str = "", top_k: int = 0) -> Iterator[tuple]:
        """The model's lane: answers the turn ``respond_fast`` handed on (nothing when it handed none)."""
        if not pending:
            yield tuple(gr.skip() for _ in range(7))
            return
        yield from self.respond(pending, chat, history, answers, language, generator, top_k, shown=True)

    def respond(self, message: str, chat: list[Msg], history: list[Msg], answers: list[Answer],
                language: str = "auto", generator: str = "", top_k: int = 0, shown: bool = False) -> Iterator[tuple]:
        """Stream one turn. Yields (chatbot, input box, chat, history, answers, sources, cited spans).
        ``shown``: the question and its empty answer are already the last two chat messages."""
        chat, history, answers = list(chat or []), list(history or []), list(answers or [])
        skip = gr.skip()

        def out(box: Any, sources: Any = skip, cites: Any = skip) -> tuple:
            now = list(chat)  # a copy per update: the chat list goes on changing
            return now, box, now, history, answers, sources, cites

        text = message if isinstance(message, str) else ""
        turn = len(answers)
        if not shown:
            if not text.strip():  # nothing is sent; a hint says what to do
                gr.Info(EMPTY_PROMPT)
                yield out(message)
                return
            refusal = too_long(text)
            if refusal:  # the text stays in the box so it can be shortened
                chat += [{"role": "user", "content": R.question_html(text[:200] + "…")},
                         {"role": "assistant", "content": R.error_html(refusal)}]
                yield out(message)
                return
            chat += [{"role": "user", "content": R.question_html(text)},
                     {"role": "assistant", "content": R.answer_html("", None, turn)}]
            yield out("")
        final: Answer | None = None
        try:
            chain = self.chain_for(generator, top_k or self.chain.top_k)
            streamed = ""
            lang = None if language in ("", "auto", None) else language
            for item in chain.stream(text, history=history, language=lang):
                if isinstance(item, Answer):
                    final = item
                else:
                    streamed += item
                    chat[-1] = {"role": "assistant", "content": R.answer_html(streamed, None, turn)}
                    yield out(skip if shown else "")  # the box may hold the next question by now
            if final is None:
                raise RuntimeError("the chain ended without an answer")
        except Exception as exc:  # any failure: one line in the chat, the details in the server log
            if not isinstance(exc, PolicyQAError):
                log.exception("answering %r failed", text[:80])
            chat[-1] = {"role": "assistant", "content": R.error_html(friendly_error(exc))}
            yield out(skip if shown else "")
            return
        answers = [*answers, final]
        history = [*history, {"role": "user", "content": text}, {"role": "assistant", "content": final.text}]
        history = history[-MAX_HISTORY:]
        chat[-1] = {"role": "assistant", "content": R.answer_html(final.text, final, turn)}
        yield out(skip if shown else "", R.sources_html(final, chain.index.docs, turn),
                  gr.update(choices=self.cite_choices(final, turn), value=None))

    @staticmethod
    def cite_choices(answer: Answer, turn: int) -> list[tuple[str, str]]:
        return [(f"[{c.n}] {c.title[:50]} — chars {c.start}-{c.end}", f"{turn}:{c.n}") for c in answer.citations]

    def citation(self, token: str, answers: list[Answer]) -> tuple[int, Answer, Any] | None:
        """Resolve "turn:n[:open]" to (turn, answer, citation); None when it names nothing."""
        try:
            turn, n = (int(x) for x in str(token).split(":")[:2])
            answer = answers[turn]
            return turn, answer, next(c for c in answer.citations if c.n == n)
        except (ValueError, IndexError, StopIteration, TypeError):
            return None

    def pick(self, token: str, answers: list[Answer]) -> tuple:
        """A click on [n], on "Open in document" (token ends ":1": go to the tab) or a choice of cited
        span: that answer's sources, and the cited span marked in its document."""
        found = self.citation(token, answers)
        if found is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        turn, answer, c = found
        docs = self.docs
        tabs = gr.Tabs(selected="docs") if str(token).split(":")[2:3] == ["1"] else gr.skip()
        return (R.sources_html(answer, docs, turn),
                gr.update(choices=self.cite_choices(answer, turn), value=f"{turn}:{c.n}"),
                gr.update(value=c.doc_id), R.document_html(docs.get(c.doc_id), (c.start, c.end)), tabs)

    def open_link(self, query: dict[str, str]) -> tuple[Any, Any, Any]:
        """A page opened at ``/?doc=ID&start=S&end=E``: the Documents tab on that span, marked.

        Returns (tabs, document choice, document view); without ``doc`` nothing changes. A link
        to a document no longer served, or a span outside it, says so in the view."""
        doc_id = str(query.get("doc") or "")
        if not doc_id:
            return gr.skip(), gr.skip(), gr.skip()
        doc = self.docs.get(doc_id)
        if doc is None:
            return gr.Tabs(selected="docs"), gr.skip(), R.link_error_html(
                f"document {doc_id!r} is not in the corpus served now (index {self.version})")
        try:
            start, end = int(query.get("start", "")), int(query.get("end", ""))
        except ValueError:
            return gr.Tabs(selected="docs"), gr.update(value=doc_id), R.document_html(doc)
        if not 0 <= start < end <= len(doc.raw):
            return gr.Tabs(selected="docs"), gr.update(value=doc_id), R.link_error_html(
                f"chars {start}-{end} are outside {doc_id!r}, which has {len(doc.raw):,} characters")
        return gr.Tabs(selected="docs"), gr.update(value=doc_id), R.document_html(doc, (start, end))

    def targets(self) -> list:
        """The index's targets table, or none when the index was built without one."""
        try:
            return list(self.chain.index.targets)
        except PolicyQAError:
            return []

    def show_document(self, doc_id: str) -> str:
        return R.document_html(self.docs.get(doc_id))

    def clear(self) -> tuple:
        return [], "", [], [], [], R.sources_html(None, self.docs), gr.update(choices=[], value=None)
