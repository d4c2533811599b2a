"""The answering chain (LangChain LCEL):

question -> language -> condense follow-up -> scope -> hybrid retrieval -> evidence selection
-> generation -> checks (rag.answer.checks) -> Answer

The whole chain is one runnable (``as_runnable``): its last step is a generator, so
``QAChain.stream`` yields the answer text as it is generated and then the final ``Answer``
(whose text may differ: verified, converted to the asker's script, or replaced by the
extractive fallback), and ``QAChain.ask`` (``invoke``) returns just the ``Answer``.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import replace

from langchain_core.runnables import Runnable, RunnableGenerator, RunnableLambda

from rag.answer.checks import RETRY_CHECKS, Reply, first_failure
from rag.answer.citations import cite, cite_title, with_disagreement
from rag.answer.conversation import condense, user_questions
from rag.answer.deadline import ms_since, within
from rag.answer.evidence import Focus, select_evidence
from rag.answer.guard import clean_question, strip_instructions
from rag.answer.messages import ABSTAIN_TEXT, FALLBACK_NOTICE, IGNORED_NOTICE, unavailable_notice
from rag.answer.scope import DECLINE_TEXT, ScopeModel
from rag.answer.table_answer import from_table
from rag.answer.turn import Turn
from rag.answer.verify import verify
from rag.generators.base import NOT_IN_CORPUS, AnswerGenerator
from rag.generators.extractive import ExtractiveGenerator, asks_which_document, named_document
from rag.index import HybridIndex
from rag.text.textnorm import detect_language, script_neutral, to_script
from rag.types import Answer, GenerationRequest, Verification

# names importers take from here: the chain's texts, its state and the follow-up query
__all__ = ["ABSTAIN_TEXT", "FALLBACK_NOTICE", "IGNORED_NOTICE", "QAChain", "Turn", "condense"]


class QAChain:
    """Grounded question answering over a loaded ``HybridIndex``."""

    def __init__(
        self,
        index: HybridIndex,
        generator: AnswerGenerator,
        *,
        top_k: int = 6,
        evidence_limit: int = 4,
        abstain_threshold: float = 0.5,
        max_question_chars: int = 1000,
        time_budget_s: float = 60.0,
        # the model's own "not in the corpus" is taken only below this support. Off by default:
        # once the evidence gates have passed, the 0.5B model's "not in the corpus" was right on
        # 1 question of 119 and wrong on 3 (measured)
        trust_model_abstention_below: float = 0.0,
        scope: ScopeModel | None = None,  # requests it scores below ``scope_threshold`` are declined
        scope_threshold: float = 0.5,
    ) -> None:
        self.index = index
        self.generator = generator
        self.fallback = ExtractiveGenerator()
        self.top_k = top_k
        self.evidence_limit = evidence_limit
        self.abstain_threshold = abstain_threshold
        self.max_question_chars = max_question_chars
        self.time_budget_s = time_budget_s
        self.trust_model_abstention_below = trust_model_abstention_below
        self.scope, self.scope_threshold = scope, scope_threshold
        self.prepare: Runnable = (
            RunnableLambda(self._detect) | RunnableLambda(self._condense) | RunnableLambda(self._scope)
            | RunnableLambda(self._retrieve) | RunnableLambda(self._select)
        )
        self.runnable: Runnable = self.prepare | RunnableGenerator(self._answer)

    def as_runnable(self) -> Runnable:
        """The whole chain as one LCEL runnable: Turn -> str pieces, then the Answer (``invoke``
        adds them up to the Answer, see ``Answer.__radd__``)."""
        return self.runnable

    def stream(self, question: str, history: Sequence[dict] = (), language: str | None = None) -> Iterator[str | Answer]:
        """Yield text pieces as they are generated, then the final ``Answer``."""
        yield from self.runnable.stream(Turn(question=question, history=tuple(history), language=language or ""))

    def ask(self, question: str, history: Sequence[dict] = (), language: str | None = None) -> Answer:
        answer = self.runnable.invoke(Turn(question=question, history=tuple(history), language=language or ""))
        assert isinstance(answer, Answer)
        return answer

    # -- steps ---------------------------------------------------------------------------
    def _detect(self, turn: Turn) -> Turn:
        started = turn.started or time.perf_counter()
        question = clean_question(turn.question, self.max_question_chars)
        lang = turn.language or detect_language(question)
        if not turn.language and script_neutral(question):  # "2027年呢？" is asked in the script of before
            previous = user_questions(turn.history)
            if previous and detect_language(previous[-1]) != "en":
                lang = detect_language(previous[-1])
        if lang not in ABSTAIN_TEXT:
            lang = "en"
        return replace(turn, question=question, language=lang, started=started)

    def _condense(self, turn: Turn) -> Turn:
        latest, ignored = strip_instructions(turn.question)
        query = condense(latest, turn.history) if latest else ""
        return replace(turn, query=query, latest=latest, ignored_instructions=ignored)

    def _scope(self, turn: Turn) -> Turn:
        """A request outside the product's purpose (a poem, a restaurant, code) is declined."""
        if self.scope is None or not turn.query:
            return turn
        t0 = time.perf_counter()
        declined = self.scope.probability(turn.query) < self.scope_threshold
        return replace(turn, declined=declined, timings={**turn.timings, "scope_ms": ms_since(t0)})

    def _retrieve(self, turn: Turn) -> Turn:
        t0 = time.perf_counter()
        if not turn.query or turn.declined:  # nothing was asked but instructions; or out of scope
            return replace(turn, timings={**turn.timings, "retrieve_ms": 0.0})
        lang = detect_language(turn.query)
        hits = self.index.search(turn.query, self.top_k, lang=lang)
        return replace(turn, hits=tuple(hits), timings={**turn.timings, "retrieve_ms": ms_since(t0)})

    def _select(self, turn: Turn) -> Turn:
        t0 = time.perf_counter()
        lang = detect_language(turn.query)
        focus = Focus.of(turn.query, lang, turn.latest)
        evidence, terms = select_evidence(
            turn.query, lang, [*turn.hits, *self.index.neighbours(list(turn.hits))], self.index.docs, self.index.bm25,
            limit=self.evidence_limit, latest=turn.latest, focus=focus,
        )
        # the best support, wherever it sits: a sentence naming the person asked for may come first
        support = max(e.score for e in evidence) if evidence and not evidence[0].off_topic else 0.0
        return replace(turn, evidence=tuple(evidence), support=support, terms=tuple(terms), focus=focus,
                       timings={**turn.timings, "select_ms": ms_since(t0)})

    # -- generation, checks --------------------------------------------------------------
    def _answer(self, turns: Iterator[Turn]) -> Iterator[str | Answer]:
        for turn in turns:
            yield from self._generate(turn)

    def _generate(self, turn: Turn) -> Iterator[str | Answer]:
        """From a prepared turn: the table, an abstention, or a generated and checked answer."""
        if turn.declined:
            yield self._decline(turn)
            return
        table = from_table(turn, self.index)
        if table is not None:
            yield table.text
            yield table
            return
        if turn.support < self.abstain_threshold or not turn.evidence:
            yield self._abstain(turn)
            return
        request = self._request(turn)
        t_gen, clock = time.perf_counter(), dict[str, float]()
        reply: Reply | None = None
        notice = ""
        if not (asks_which_document(turn.latest or turn.query) and named_document(request, 1)):
            try:  # (a "which plan?" question is answered by the plan's name read off the source instead)
                reply = self._reply((yield from self._model_reply(request, turn, t_gen, clock)), turn)
            except TimeoutError:
                notice = FALLBACK_NOTICE["timeout"]
            except Exception as exc:  # any backend failure (a dropped connection too): the evidence is shown
                notice = unavailable_notice(exc)
        failed = first_failure(reply) if reply is not None else None
        if failed is not None:
            failing, reason = failed
            if reason == "unsure" and turn.support < self.trust_model_abstention_below:
                yield self._abstain(turn)
                return
            # (small models say "not in corpus" too readily, measured: the evidence is shown instead)
            reply, notice = None, FALLBACK_NOTICE[reason]
            if failing.retry:  # one stricter second reply, which must pass the checks in its turn
                second, why_not = self._retry(request, turn, t_gen)
                if second is not None and first_failure(second, RETRY_CHECKS) is None:
                    reply, notice = second, ""
                else:
                    notice = why_not or notice
        used: AnswerGenerator = self.fallback
        if reply is None:
            text, citations = cite("".join(self.fallback.generate(request)), turn, self.index)
            if asks_which_document(turn.latest or turn.query):
                text, citations = cite_title(text, citations, self.index)
            check = verify(text, citations, turn.query)
        else:  # it passed verification: a source that gives its figure otherwise may join it
            used = self.generator
            (text, citations), check = reply.cited, reply.verification
            text, citations, check = with_disagreement(text, citations, check, request, turn, self.index)
        timings = {**turn.timings, "generate_ms": ms_since(t_gen), "total_ms": ms_since(turn.started), **clock}
        yield Answer(
            question=turn.question, text=text, citations=tuple(citations), abstained=False,
            language=turn.language, generator=used.name, verification=check, hits=turn.hits,
            timings=timings, notice=notice or self._ignored(turn), support=turn.support,
        )

    def _model_reply(self, request: GenerationRequest, turn: Turn, t_gen: float,
                     clock: dict[str, float]) -> Generator[str, None, str]:
        """Stream the model's reply out as it comes (returning all of it); its start is held back
        until it cannot be the NOT_IN_CORPUS sentinel. The first piece's time goes to ``clock``."""
        text, flushed = "", 0  # how much of `text` has been streamed out
        for piece in within(self.generator.generate(request), self.time_budget_s):
            clock.setdefault("first_token_ms", ms_since(t_gen))
            text += piece
            head = text.lstrip()
            if len(head) >= len(NOT_IN_CORPUS) and not head.startswith(NOT_IN_CORPUS):
                yield self._display(text[flushed:], turn.language)
                flushed = len(text)
        return text

    def _retry(self, request: GenerationRequest, turn: Turn, t_gen: float) -> tuple[Reply | None, str]:
        """(the stricter second reply, "") or (None, the notice why there is none): it runs under
        what is left of the same time budget, so one question never waits more than the budget."""
        left = self.time_budget_s - (time.perf_counter() - t_gen)
        if left <= 0:
            return None, FALLBACK_NOTICE["timeout"]
        try:
            return self._reply("".join(within(self.generator.generate(replace(request, strict=True)), left)), turn), ""
        except TimeoutError:
            return None, FALLBACK_NOTICE["timeout"]
        except Exception as exc:
            return None, unavailable_notice(exc)

    def _reply(self, text: str, turn: Turn) -> Reply:
        return Reply(text, turn, lambda t: cite(t, turn, self.index))

    @staticmethod
    def _display(piece: str, language: str) -> str:
        return to_script(piece, language) if language in ("zh-Hans", "zh-Hant") else piece

    def _request(self, turn: Turn) -> GenerationRequest:
        titles = tuple(self.index.docs[e.doc_id].meta.title for e in turn.evidence)
        contexts = []
        for e in turn.evidence:
            before = self.index.docs[e.doc_id].text[max(0, e.start - 400) : e.start]
            contexts.append(before)  # the title a sentence belongs to may open the paragraph before
        terms = tuple(a for t in turn.terms for a in t.alternatives)
        previous = user_questions(turn.history)
        follow_up = turn.latest if turn.latest and turn.query != turn.latest and previous else ""
        focus = turn.focus
        return GenerationRequest(question=turn.query, language=turn.language, evidence=turn.evidence, terms=terms,
                                 follow_up=follow_up, previous=previous[-1] if follow_up else "",
                                 titles=titles, history=turn.history, contexts=tuple(contexts),
                                 measure=focus.measure if focus else (), count=focus.count if focus else False,
                                 quantity=focus.quantity if focus else False, unit=focus.unit if focus else "")

    def _abstain(self, turn: Turn) -> Answer:
        return Answer(
            question=turn.question, text=ABSTAIN_TEXT[turn.language], citations=(), abstained=True,
            language=turn.language, generator=self.generator.name, verification=Verification(ok=True),
            related=turn.hits[:3], hits=turn.hits, timings={**turn.timings, "total_ms": ms_since(turn.started)},
            support=turn.support, notice=self._ignored(turn),
        )

    def _decline(self, turn: Turn) -> Answer:
        return Answer(
            question=turn.question, text=DECLINE_TEXT[turn.language], citations=(), abstained=True,
            language=turn.language, generator="scope", verification=Verification(ok=True),
            timings={**turn.timings, "total_ms": ms_since(turn.started)}, notice=self._ignored(turn),
        )

    @staticmethod
    def _ignored(turn: Turn) -> str:
        return IGNORED_NOTICE if turn.ignored_instructions else ""
