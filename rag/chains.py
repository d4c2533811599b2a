"""The answering chain (LangChain LCEL):

question -> language -> condense follow-up -> hybrid retrieval -> evidence selection
-> generation -> citation verification -> Answer

``QAChain.stream`` yields the answer text as it is generated and then the final ``Answer``
(whose text may differ: verified, converted to the asker's script, or replaced by the
extractive fallback). ``QAChain.ask`` returns just the ``Answer``.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from langchain_core.runnables import Runnable, RunnableLambda

from rag.answer.evidence import Focus, select_evidence
from rag.answer.guard import clean_question, strip_instructions
from rag.answer.scope import DECLINE_TEXT, ScopeModel
from rag.answer.verify import verify
from rag.errors import PolicyQAError
from rag.generators.base import NOT_IN_CORPUS, AnswerGenerator
from rag.generators.extractive import (
    ExtractiveGenerator,
    asks_which_document,
    disagreement,
    disagreement_note,
    named_document,
)
from rag.index import HybridIndex
from rag.text.figures import extract as extract_figures
from rag.text.places import about_other_place, named_places
from rag.text.textnorm import answer_language, cjk_count, detect_language, normalize, script_neutral, to_script
from rag.types import Answer, Citation, Evidence, GenerationRequest, Hit, Verification

ABSTAIN_TEXT = {
    "en": "The corpus does not say. The closest passages are listed below as related reading.",
    "zh-Hans": "资料库中没有这个问题的答案。以下是最相关的段落，仅供参考。",
    "zh-Hant": "資料庫中沒有這個問題的答案。以下是最相關的段落，僅供參考。",
}
FALLBACK_NOTICE = {
    "unsupported": "The generated answer stated a figure its sources do not contain; showing the source sentences instead.",
    "unnamed": "The generated answer named someone or something its sources do not name; showing the source "
    "sentences instead.",
    "error": "The language model was unavailable ({why}); showing the source sentences instead.",
    "timeout": "The language model took too long; showing the source sentences instead.",
    "unsure": "The language model could not phrase an answer; showing the source sentences instead.",
    "degenerate": "The language model gave an empty or garbled answer; showing the source sentences instead.",
    "language": "The language model answered in the wrong language; showing the source sentences instead.",
    "count": "The language model did not give the number asked for; showing the source sentences instead.",
    "qualified": "The language model's figure is qualified differently in the source (per, average or of which); "
    "showing the source sentences instead.",
}
IGNORED_NOTICE = "The question contained instructions to the assistant; they were ignored."
_FOLLOW_UP = re.compile(r"^(and|what about|how about|and what about|那|那么|那麼|还有|還有|另外|以及)\b|[呢吗嗎]\s*[?？]?$", re.I)
_ANAPHORA = re.compile(
    r"\b(that|this|it|they|them|those|these|its|their|same|then)\b|^(这|這|那|其|它|该|該|上述|同期|此)", re.I
)
_MARKER = re.compile(r"\[(\d{1,2})\]")
# "What are Shenzhen's targets for 2027?", "深圳2027年的目標有哪些？": asks for the list
_LIST_TARGETS = re.compile(
    r"\b(what|which|list)\b[^?]*\b(targets|goals)\b|\b(targets|goals) (for|of|in)\b|"
    r"(目标|目標|指标|指標)(有|是)?(哪些|什么|甚麼|什麼)|(哪些|什么|甚麼|什麼)(目标|目標|指标|指標)",
    re.I,
)


@dataclass(frozen=True)
class Turn:
    """The chain's state as it flows from one step to the next."""

    question: str
    history: tuple[dict, ...] = ()
    language: str = ""
    query: str = ""  # what is searched and answered: the question without instructions, joined to
    latest: str = ""  # the earlier one for a follow-up; ``latest`` is this turn's own part
    ignored_instructions: bool = False
    declined: bool = False  # outside the product's purpose (rag.answer.scope)
    hits: tuple[Hit, ...] = ()
    terms: tuple = ()  # the question's weighted terms (rag.answer.evidence.Term)
    focus: Focus | None = None  # what it asks about beyond its words (places, years, measure)
    evidence: tuple[Evidence, ...] = ()
    support: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


GENERATE_THREAD = "policyqa-generate"


def generation_running() -> bool:
    """Is a generation still running on its worker thread (one given up after its time budget,
    which llama.cpp cannot interrupt inside a prompt evaluation or a model load)?"""
    return any(t.name == GENERATE_THREAD and t.is_alive() for t in threading.enumerate())


def within(pieces: Iterator[str], budget_s: float) -> Iterator[str]:
    """Yield from ``pieces`` but raise TimeoutError once ``budget_s`` has passed, even while the
    source is blocked (a hung server, a stuck native call): it is read on a worker thread."""
    out: queue.Queue = queue.Queue()
    done = object()
    gave_up = threading.Event()

    def pump() -> None:
        try:
            for piece in pieces:
                if gave_up.is_set():
                    break
                out.put(piece)
            out.put(done)
        except BaseException as exc:  # handed over to the reading side
            out.put(exc)
        finally:
            close = getattr(pieces, "close", None)
            if gave_up.is_set() and close is not None:
                close()  # let the backend go (an HTTP stream is closed, a model lock released)

    threading.Thread(target=pump, daemon=True, name=GENERATE_THREAD).start()
    deadline = time.monotonic() + budget_s
    try:
        while True:
            try:
                item = out.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError from None
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        gave_up.set()


def degenerate(text: str, question: str) -> bool:
    """An answer with no content of its own: only markers, or the question repeated back."""
    body = re.sub(r"\[\d{1,2}\]|[\s\W_]+", "", text)
    if len(body) < 4 or not re.search(r"[A-Za-z\u4e00-\u9fff]", body):
        return True  # "[1]", "10 [1]": a bare number says nothing about what it counts
    q = re.sub(r"[\s\W_]+", "", question)
    return bool(q) and (body in q or q in body) and len(body) <= len(q) + 4


def answers_count(text: str, turn: Turn) -> bool:
    """A Chinese answer to "多少家 / how many" must state a number of things, not only a sum of
    money or a percentage (a small model picks 2488亿元 from a sentence that also says 1920家)."""
    if turn.language == "en":
        return True  # English renderings of counts ("1,920 companies") are not told apart reliably
    if turn.focus is None or not turn.focus.count:
        return True
    return any(f.kind == "number" and "元" not in f.unit for f in extract_figures(text))


_QUALIFIERS = ("每", "平均", "人均", "其中")
_CLAUSE = re.compile(r"[^，,；;。！？!?：:]+")


def misreads_figure(text: str, citations: Sequence[Citation], question: str) -> bool:
    """Does the answer take a figure whose clause in the source qualifies it in a way the question
    does not ("平均每平方公里拥有12家" given as the number of companies)? Every such figure found
    in a quote must be free of per / average / of-which qualifiers the question lacks."""
    asked = normalize(question)
    wanted = [q for q in _QUALIFIERS if q not in asked]
    if not wanted:
        return False
    figures = [f for f in extract_figures(text) if f.kind in ("number", "percent")]
    for cite in citations:
        quote = normalize(cite.quote)
        for clause in _CLAUSE.finditer(quote):
            for qf in extract_figures(clause.group()):
                if any(af.matches(qf) for af in figures) and any(w in clause.group() for w in wanted):
                    return True
    return False


def leaks_prompt(text: str) -> bool:
    """Does a reply repeat the system prompt's rules (a sign of a successful injection)?"""
    from rag.generators.llm import SYSTEM_PROMPT

    norm = " ".join(text.lower().split())
    rules = [" ".join(line.lower().split()) for line in SYSTEM_PROMPT.splitlines() if len(line) > 30]
    return any(rule[3:60] in norm for rule in rules)


def is_follow_up(question: str) -> bool:
    q = question.strip()
    if _FOLLOW_UP.search(q) or _ANAPHORA.search(q):
        return True
    if cjk_count(q) > 0:
        return cjk_count(q) <= 8  # "2027年呢？", "那產品產量呢？"
    return len(q.split()) <= 4


def condense(question: str, history: Sequence[dict]) -> str:
    """A standalone retrieval query: an elliptical follow-up is joined to the last question."""
    previous = [t["content"] for t in history if t.get("role") == "user" and isinstance(t.get("content"), str)]
    if previous and is_follow_up(question):
        return f"{previous[-1]} {question}"
    return question


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

    def as_runnable(self) -> Runnable:
        """The whole chain as one LCEL runnable: Turn -> Answer."""
        return self.prepare | RunnableLambda(lambda t: self._finish(t))

    # -- steps ---------------------------------------------------------------------------
    def _detect(self, turn: Turn) -> Turn:
        question = clean_question(turn.question, self.max_question_chars)
        lang = turn.language or detect_language(question)
        if not turn.language and script_neutral(question):  # "2027年呢？" is asked in the script of before
            previous = [t["content"] for t in turn.history if t.get("role") == "user" and isinstance(t.get("content"), str)]
            if previous and detect_language(previous[-1]) != "en":
                lang = detect_language(previous[-1])
        if lang not in ABSTAIN_TEXT:
            lang = "en"
        return replace(turn, question=question, language=lang)

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
        return replace(turn, declined=declined, timings={**turn.timings, "scope_ms": _ms(t0)})

    def _retrieve(self, turn: Turn) -> Turn:
        t0 = time.perf_counter()
        if not turn.query or turn.declined:  # nothing was asked but instructions; or out of scope
            return replace(turn, timings={**turn.timings, "retrieve_ms": 0.0})
        lang = detect_language(turn.query)
        hits = self.index.search(turn.query, self.top_k, lang=lang)
        return replace(turn, hits=tuple(hits), timings={**turn.timings, "retrieve_ms": _ms(t0)})

    def _select(self, turn: Turn) -> Turn:
        t0 = time.perf_counter()
        lang = detect_language(turn.query)
        focus = Focus.of(turn.query, lang, turn.latest)
        evidence, terms = select_evidence(
            turn.query, lang, list(turn.hits), self.index.docs, self.index.bm25,
            limit=self.evidence_limit, latest=turn.latest, focus=focus,
        )
        support = evidence[0].score if evidence and not evidence[0].off_topic else 0.0
        return replace(turn, evidence=tuple(evidence), support=support, terms=tuple(terms), focus=focus,
                       timings={**turn.timings, "select_ms": _ms(t0)})

    # -- generation, verification --------------------------------------------------------
    def stream(self, question: str, history: Sequence[dict] = (), language: str | None = None) -> Iterator[str | Answer]:
        """Yield text pieces as they are generated, then the final ``Answer``."""
        t_start = time.perf_counter()
        turn: Turn = self.prepare.invoke(Turn(question=question, history=tuple(history), language=language or ""))
        yield from self._generate(turn, t_start)

    def _generate(self, turn: Turn, t_start: float) -> Iterator[str | Answer]:
        """From a prepared turn: the table, an abstention, or a generated and verified answer."""
        if turn.declined:
            yield self._decline(turn, t_start)
            return
        table = self._from_table(turn, t_start)
        if table is not None:
            yield table.text
            yield table
            return
        if turn.support < self.abstain_threshold or not turn.evidence:
            yield self._abstain(turn, t_start)
            return
        request = self._request(turn)
        text, notice, used = "", "", self.generator
        if asks_which_document(turn.latest or turn.query) and named_document(request, 1):
            used = self.fallback  # "which plan?": the plan's name is read off the source, not written
        t_gen = time.perf_counter()
        first_token: float | None = None
        flushed = 0  # how much of `text` has been streamed out
        try:
            for piece in within(self.generator.generate(request), self.time_budget_s) if used is self.generator else ():
                if first_token is None:
                    first_token = _ms(t_gen)
                text += piece
                # hold back the start until it cannot be the NOT_IN_CORPUS sentinel
                head = text.lstrip()
                if len(head) >= len(NOT_IN_CORPUS) and not head.startswith(NOT_IN_CORPUS):
                    yield self._display(text[flushed:], turn.language)
                    flushed = len(text)
        except TimeoutError:
            text, notice, used = "", FALLBACK_NOTICE["timeout"], self.fallback
        except Exception as exc:  # any backend failure (a dropped connection too): the evidence is shown
            text, notice, used = "", FALLBACK_NOTICE["error"].format(why=_why(exc)), self.fallback
        if leaks_prompt(text):
            text, notice, used = "", FALLBACK_NOTICE["unsupported"], self.fallback
        if NOT_IN_CORPUS in text:
            if turn.support < self.trust_model_abstention_below:
                yield self._abstain(turn, t_start)
                return
            # small models say "not in corpus" too readily (measured): show the evidence instead
            text, notice, used = "", FALLBACK_NOTICE["unsure"], self.fallback
        elif used is not self.fallback and degenerate(text, turn.question):
            text, notice, used = "", FALLBACK_NOTICE["degenerate"], self.fallback
        elif used is not self.fallback and turn.language == "en" and answer_language(text) != "en":
            text, notice, used = "", FALLBACK_NOTICE["language"], self.fallback
        elif used is not self.fallback and not answers_count(text, turn):
            text, notice, used = "", FALLBACK_NOTICE["count"], self.fallback
        if used is self.fallback:
            text = "".join(self.fallback.generate(request))
        answer_text, citations = self._cite(text, turn)
        check = verify(answer_text, citations, turn.query)
        if used is not self.fallback and check.ok and misreads_figure(answer_text, citations, turn.query):
            used, notice = self.fallback, FALLBACK_NOTICE["qualified"]
            answer_text, citations = self._cite("".join(self.fallback.generate(request)), turn)
            check = verify(answer_text, citations, turn.query)
        if not check.ok and used is not self.fallback:
            retry, failed = self._retry(request, t_gen) if not notice else ("", "")
            retry_text, retry_cites = self._cite(retry, turn)
            retry_check = verify(retry_text, retry_cites, turn.query)
            if (retry and NOT_IN_CORPUS not in retry and retry_check.ok and retry_cites and not leaks_prompt(retry)
                    and not degenerate(retry, turn.question) and answers_count(retry, turn)
                    and (turn.language != "en" or answer_language(retry) == "en")):
                answer_text, citations, check = retry_text, retry_cites, retry_check
            else:
                used, notice = self.fallback, failed or FALLBACK_NOTICE[
                    "unsupported" if check.unsupported or not check.unsupported_names else "unnamed"]
                answer_text, citations = self._cite("".join(self.fallback.generate(request)), turn)
                check = verify(answer_text, citations, turn.query)
        if used is not self.fallback and check.ok:
            answer_text, citations, check = self._with_disagreement(answer_text, citations, check, request, turn)
        timings = {**turn.timings, "generate_ms": _ms(t_gen), "total_ms": _ms(t_start)}
        if first_token is not None:
            timings["first_token_ms"] = first_token
        yield Answer(
            question=turn.question, text=answer_text, citations=tuple(citations), abstained=False,
            language=turn.language, generator=used.name, verification=check, hits=turn.hits,
            timings=timings, notice=notice or self._ignored(turn), support=turn.support,
        )

    def _with_disagreement(self, text: str, citations: list[Citation], check: Verification,
                           request: GenerationRequest, turn: Turn) -> tuple[str, list[Citation], Verification]:
        """A model's answer resting on a figure one source gives, while another source gives the
        quantity otherwise, gets that source after it (as the extractive answer shows it)."""
        other = disagreement(request)
        if other is None or any(c.quote == other[1].text for c in citations):
            return text, citations, check
        cited = {c.quote for c in citations}
        if request.evidence[0].text not in cited:
            return text, citations, check  # the model did not answer from the lone figure
        n = len(citations) + 1  # the answer's markers are renumbered 1..n already
        text += disagreement_note(request, (n, other[1]))
        new_citations = [*citations, self._citation(n, other[1])]
        return text, new_citations, verify(text, new_citations, turn.query)

    def _retry(self, request: GenerationRequest, t_gen: float) -> tuple[str, str]:
        """(the stricter second reply, "") or ("", the notice why there is none): it runs under what
        is left of the same time budget, so one question never waits more than the budget."""
        left = self.time_budget_s - (time.perf_counter() - t_gen)
        if left <= 0:
            return "", FALLBACK_NOTICE["timeout"]
        try:
            return "".join(within(self.generator.generate(replace(request, strict=True)), left)), ""
        except TimeoutError:
            return "", FALLBACK_NOTICE["timeout"]
        except Exception as exc:
            return "", FALLBACK_NOTICE["error"].format(why=_why(exc))

    def ask(self, question: str, history: Sequence[dict] = (), language: str | None = None) -> Answer:
        final = None
        for item in self.stream(question, history, language):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final

    def _finish(self, turn: Turn) -> Answer:
        items = list(self._generate(turn, time.perf_counter()))
        final = items[-1]
        assert isinstance(final, Answer)
        return final

    def _from_table(self, turn: Turn, t_start: float) -> Answer | None:
        """ "What are Shenzhen's targets for 2027?": one line and one citation per table row."""
        from rag.targets.table import answer_from_table

        if not _LIST_TARGETS.search(turn.query):
            return None  # a question about one figure is better answered by its own sentence
        try:
            rows = answer_from_table(turn.query, self.index.targets)
        except PolicyQAError:
            return None  # an index built without a table still answers from passages
        # "Hangzhou's targets" are not Shenzhen's; "2027年呢？" asks for 2027, not the year before
        focus = turn.focus or Focus.of(turn.query, turn.language, turn.latest)
        rows = [r for r in rows or () if not about_other_place(set(focus.places), named_places(r.scope))
                and (not focus.years or r.year in focus.years)]
        if not rows or len(rows) > 15:
            return None
        citations, parts = [], []
        for n, row in enumerate(rows, 1):
            doc = self.index.docs[row.doc_id]
            citations.append(Citation(
                n=n, doc_id=row.doc_id, title=doc.meta.title, publisher=doc.meta.publisher,
                published=doc.meta.published, chunk_id="", start=row.start, end=row.end, quote=row.quote,
            ))
            parts.append(table_line(row, turn.language, n))
        sep = "; " if turn.language == "en" else "；"
        lead = {"en": "From the targets table: ", "zh-Hans": "目标一览：", "zh-Hant": "目標一覽："}[turn.language]
        text = lead + sep.join(parts) + ("." if turn.language == "en" else "。")
        if turn.language != "en":
            text = to_script(text, turn.language)
        check = verify(text, citations, turn.query)
        if not check.ok:
            return None
        return Answer(
            question=turn.question, text=text, citations=tuple(citations), abstained=False, language=turn.language,
            generator="targets-table", verification=check, hits=turn.hits,
            timings={**turn.timings, "total_ms": _ms(t_start)}, support=turn.support,
        )

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
        previous = [t["content"] for t in turn.history if t.get("role") == "user" and isinstance(t.get("content"), str)]
        follow_up = turn.latest if turn.latest and turn.query != turn.latest and previous else ""
        focus = turn.focus
        return GenerationRequest(question=turn.query, language=turn.language, evidence=turn.evidence, terms=terms,
                                 follow_up=follow_up, previous=previous[-1] if follow_up else "",
                                 titles=titles, history=turn.history, contexts=tuple(contexts),
                                 measure=focus.measure if focus else (), count=focus.count if focus else False)

    def _abstain(self, turn: Turn, t_start: float) -> Answer:
        return Answer(
            question=turn.question, text=ABSTAIN_TEXT[turn.language], citations=(), abstained=True,
            language=turn.language, generator=self.generator.name, verification=Verification(ok=True),
            related=turn.hits[:3], hits=turn.hits, timings={**turn.timings, "total_ms": _ms(t_start)},
            support=turn.support, notice=self._ignored(turn),
        )

    def _decline(self, turn: Turn, t_start: float) -> Answer:
        return Answer(
            question=turn.question, text=DECLINE_TEXT[turn.language], citations=(), abstained=True,
            language=turn.language, generator="scope", verification=Verification(ok=True),
            timings={**turn.timings, "total_ms": _ms(t_start)}, notice=self._ignored(turn),
        )

    @staticmethod
    def _ignored(turn: Turn) -> str:
        return IGNORED_NOTICE if turn.ignored_instructions else ""

    def _cite(self, text: str, turn: Turn) -> tuple[str, list[Citation]]:
        """Renumber the answer's markers 1..n and build a citation for each."""
        text = text.strip()
        if turn.language in ("zh-Hans", "zh-Hant"):
            text = to_script(text, turn.language)
        used = [int(m) for m in _MARKER.findall(text) if 1 <= int(m) <= len(turn.evidence)]
        if not used and turn.evidence and text:
            text += " [1]"
            used = [1]
        order = list(dict.fromkeys(used))
        renumber = {old: new for new, old in enumerate(order, 1)}

        def sub(m: re.Match[str]) -> str:
            n = int(m.group(1))
            return f"[{renumber[n]}]" if n in renumber else ""

        text = _MARKER.sub(sub, text)
        citations = [self._citation(renumber[old], turn.evidence[old - 1]) for old in order]
        return text, citations

    def _citation(self, n: int, ev: Evidence) -> Citation:
        doc = self.index.docs[ev.doc_id]
        raw_start, raw_end = doc.raw_span(ev.start, ev.end)
        chunk = self.index.chunk_by_id.get(ev.chunk_id)
        return Citation(
            n=n, doc_id=ev.doc_id, title=doc.meta.title, publisher=doc.meta.publisher, published=doc.meta.published,
            chunk_id=ev.chunk_id, start=raw_start, end=raw_end, quote=ev.text,
            passage=chunk.text if chunk else "",
        )


def table_line(row, language: str, n: int) -> str:  # type: ignore[no-untyped-def]
    """One target row as a clause: metric, qualifier, value, year, plan and its marker."""
    from rag.generators.extractive import english_number
    from rag.text.figures import Figure

    plan = row.plan.strip("《》") if row.plan else ""
    if language == "en":
        fig = Figure(row.value_text, row.value, "percent" if row.unit == "%" else "number", row.unit)
        metric = row.metric_en or f"「{row.metric}」"
        qual = QUALIFIERS_EN.get(row.qualifier, "")
        src = f" (《{plan}》)" if plan else ""
        return f"{metric}: {qual + ' ' if qual else ''}{english_number(fig)} by {row.year}{src} [{n}]"
    src = f"（《{plan}》）" if plan else ""
    qual = "" if row.qualifier in row.value_text else row.qualifier
    before, after = ("", qual) if qual in ("以上", "余", "餘", "多") else (qual, "")
    return f"{row.year}年{row.metric}{before}{row.value_text}{after}{src}[{n}]"


QUALIFIERS_EN = {"超": "more than", "超过": "more than", "超過": "more than", "以上": "at least", "不少于": "at least",
                 "不少於": "at least", "力争": "aiming for", "力爭": "aiming for", "突破": "over", "达": "reaching",
                 "達": "reaching", "达到": "reaching", "達到": "reaching", "约": "about", "約": "about", "余": "over",
                 "餘": "over", "累计": "a cumulative", "累計": "a cumulative"}


def _why(exc: BaseException) -> str:
    """A backend failure in a few words for the notice (its message, else its kind)."""
    return (" ".join(str(exc).split()) or type(exc).__name__)[:120]


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)
