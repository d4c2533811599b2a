"""Fast tests of the chat UI without a browser: escaping, citation links, refusals, errors.

The chain is real (QAChain over an index of docs_corpus plus a hostile document) but uses the
fake embedder and the extractive generator, so no model is loaded.
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from rag.chains import QAChain
from rag.errors import ConfigError, GeneratorError
from rag.index import HybridIndex
from rag.types import Answer, Citation
from ui import app
from ui import render_html as R

ALLOWED_TAGS = {"div", "span", "a", "mark", "blockquote", "button", "h4", "p", "br", "pre",
                "table", "thead", "tbody", "tr", "th", "td", "code"}
ENGLISH_Q = "How many AI companies does Shenzhen aim to have by 2026?"
SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_inert(html: str) -> None:
    """Only the markup this UI writes: known tags, no event handlers, links to #src-n only."""
    parser = _Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, f"unexpected <{tag}> in {html[:200]}"
        for name, value in attrs:
            assert not name.startswith("on"), f"event handler {name} on <{tag}>"
            if name == "href":
                assert (value or "").startswith("#src-"), value
    assert "<script" not in html.lower() and "<img" not in html.lower()


def run_turn(service: app.ChatService, message: str, chat=None, history=None, answers=None,  # type: ignore[no-untyped-def]
             language: str = "auto") -> list[tuple]:
    return list(service.respond(message, chat or [], history or [], answers or [], language,
                                service.default_generator, service.chain.top_k))


@pytest.fixture()
def service(ui_chain: QAChain) -> app.ChatService:
    return app.ChatService(ui_chain, generator="extractive")


# -- HTML helpers -----------------------------------------------------------------------------
def test_question_markup_is_escaped() -> None:
    html = R.question_html(f"{SCRIPT} {IMG}\nsecond line")
    assert_inert(html)
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in html
    assert "<br>" in html


def test_markers_become_anchors_and_text_is_escaped() -> None:
    html = R.cite_links(f"a [1] b [2]{SCRIPT} c [9]", valid={1, 2}, turn=3)
    assert '<a href="#src-1" class="pq-cite pq-turn-3">[1]</a>' in html
    assert '<a href="#src-2" class="pq-cite pq-turn-3">[2]</a>' in html
    assert "[9]" in html and "#src-9" not in html  # no source 9: stays text
    assert_inert(html)


def test_highlight_marks_quote_inside_passage() -> None:
    html = R.highlight(f"前文{SCRIPT}。引文<b>7777</b>家。后文", "引文<b>7777</b>家。")
    assert html == ("前文&lt;script&gt;window.__pwned=1&lt;/script&gt;。<mark>引文&lt;b&gt;7777&lt;/b&gt;家。</mark>后文")
    assert R.highlight("passage", "not inside") == "<mark>not inside</mark>"


def test_citation_text_has_title_publisher_date_quote() -> None:
    c = Citation(n=1, doc_id="d", title="T", publisher="P", published="2025-03", chunk_id="d#1",
                 start=5, end=9, quote="引文", passage="…引文…")
    assert R.citation_text(c) == "T (P, 2025-03): 「引文」 [d, chars 5-9]"


def test_hostile_document_renders_inert_everywhere(service: app.ChatService, ui_index: HybridIndex,
                                                   hostile: SimpleNamespace) -> None:
    assert (hostile.script, hostile.img) == (SCRIPT, IMG)
    doc = ui_index.docs[hostile.id]
    assert SCRIPT in doc.raw and IMG in doc.raw and SCRIPT in doc.meta.title
    table = R.documents_table_html(ui_index.docs, {})
    assert_inert(table)
    assert "&lt;script&gt;" in table
    start = doc.raw.index("深圳测试")
    view = R.document_html(doc, (start, start + 60))
    assert_inert(view)
    assert '<mark id="pq-hit">' in view and "&lt;img src=x" in view

    outputs = run_turn(service, hostile.question)
    chat, answers, sources = outputs[-1][0], outputs[-1][4], outputs[-1][5]
    final = answers[-1]
    assert any(c.doc_id == hostile.id for c in final.citations), final
    for message in chat:
        assert_inert(message["content"])
    assert_inert(sources)
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in sources


def test_abstention_shows_not_in_corpus_and_related(ui_index: HybridIndex) -> None:
    hits = tuple(ui_index.search("广州人工智能企业", 3))
    answer = Answer(question="q", text="资料库中没有这个问题的答案。", citations=(), abstained=True,
                    language="zh-Hans", generator="extractive", related=hits, timings={"total_ms": 12.0})
    sources = R.sources_html(answer, ui_index.docs)
    assert "不在资料库中" in sources and sources.count('class="pq-related"') == len(hits)
    assert_inert(sources)
    message = R.answer_html(answer.text, answer)
    assert 'class="pq-abstain"' in message and "extractive · 0.01 s" in message


# -- a turn through the service ------------------------------------------------------------------
def test_answer_streams_then_final_with_links_and_meta(service: app.ChatService) -> None:
    outputs = run_turn(service, ENGLISH_Q)
    assert "pq-pending" in outputs[0][0][-1]["content"]  # shown at once, before the answer
    chat, box, _, history, answers, sources, cite_update = outputs[-1]
    final = answers[-1]
    assert box == ""
    assert "3,000" in final.text or "3000" in final.text
    message = chat[-1]["content"]
    assert '<a href="#src-1" class="pq-cite pq-turn-0">[1]</a>' in message
    assert f"{final.generator} · " in message and " s</div>" in message
    assert 'id="src-1"' in sources and "<mark>" in sources
    assert cite_update["choices"][0][1] == "0:1"
    assert history == [{"role": "user", "content": ENGLISH_Q}, {"role": "assistant", "content": final.text}]


def test_follow_up_passes_history(service: app.ChatService, monkeypatch: pytest.MonkeyPatch) -> None:
    first = run_turn(service, ENGLISH_Q)[-1]
    seen: list[list[dict]] = []
    original = QAChain.stream

    def spy(self: QAChain, question: str, history=(), language=None) -> Iterator:  # type: ignore[no-untyped-def]
        seen.append(list(history))
        yield from original(self, question, history, language)

    monkeypatch.setattr(QAChain, "stream", spy)
    second = run_turn(service, "What about unicorns?", first[2], first[3], first[4])[-1]
    assert seen[0] == first[3]
    assert len(second[3]) == 4 and len(second[4]) == 2
    assert "pq-turn-1" in second[0][-1]["content"]


def test_language_override_is_passed(service: app.ChatService) -> None:
    final = run_turn(service, ENGLISH_Q, language="zh-Hant")[-1][4][-1]
    assert final.language == "zh-Hant"


def test_empty_message_does_nothing(service: app.ChatService) -> None:
    chat = [{"role": "user", "content": "x"}]
    outputs = run_turn(service, "  \n ", chat=chat)
    assert len(outputs) == 1 and outputs[0][0] == chat and outputs[0][4] == []


@pytest.mark.parametrize("n", [1001, 5000])
def test_over_long_message_is_refused_with_the_limit(service: app.ChatService, n: int) -> None:
    text = "深" * n
    outputs = run_turn(service, text)
    chat, box, _, history, answers = outputs[-1][:5]
    assert len(outputs) == 1  # refused before any work
    assert "the limit is 1,000 characters" in chat[-1]["content"] and f"{n:,} characters" in chat[-1]["content"]
    assert box == text and history == [] and answers == []
    assert app.too_long("深" * 1000) is None


@pytest.mark.parametrize("text", [
    "深圳🚀人工智能企业有多少家？😀", "深圳のAI企業は何社ありますか？", "선전의 인공지능 기업은 몇 개입니까?",
    "Shenzhen 人工智能 企業 how many?", "🚀🚀🚀", "深圳\u200b人工智能\u200d企业",
])
def test_unusual_questions_get_an_answer_or_a_decline_never_an_error(service: app.ChatService, text: str) -> None:
    chat, _, _, history, answers = run_turn(service, text)[-1][:5]
    assert len(answers) == 1 and answers[0].text and 'class="pq-error"' not in chat[-1]["content"]
    assert "Traceback" not in chat[-1]["content"] and history[-1]["content"] == answers[0].text


def test_invalid_question_becomes_short_message(service: app.ChatService) -> None:
    chat = run_turn(service, "深圳\x01人工智能")[-1][0]
    assert "control character" in chat[-1]["content"] and 'class="pq-error"' in chat[-1]["content"]


class _Broken(QAChain):
    def __init__(self, base: QAChain, exc: BaseException) -> None:
        super().__init__(base.index, base.generator, top_k=base.top_k)
        self.exc = exc

    def stream(self, question, history=(), language=None):  # type: ignore[no-untyped-def]
        yield "partial"
        raise self.exc


@pytest.mark.parametrize("exc, shown", [
    (RuntimeError("secret detail\n  File 'x.py', line 3"), "The server could not answer (RuntimeError). Please try again."),
    (GeneratorError("the model server is down\nmore detail"), "the model server is down"),
])
def test_server_error_is_one_short_line_and_app_stays_usable(ui_chain: QAChain, exc: BaseException, shown: str) -> None:
    broken = app.ChatService(_Broken(ui_chain, exc), generator="extractive")
    chat, _, _, history, answers = run_turn(broken, ENGLISH_Q)[-1][:5]
    message = chat[-1]["content"]
    assert shown in message
    assert "Traceback" not in message and "secret" not in message and "more detail" not in message
    assert history == [] and answers == []
    healthy = app.ChatService(ui_chain, generator="extractive")  # same session state, next question
    after = run_turn(healthy, ENGLISH_Q, chat, history, answers)[-1]
    assert len(after[0]) == 4 and len(after[4]) == 1


def test_pick_opens_cited_span_in_document(service: app.ChatService, ui_index: HybridIndex) -> None:
    answers = run_turn(service, ENGLISH_Q)[-1][4]
    c = answers[0].citations[0]
    sources, cite_update, doc_update, view, tabs = service.pick("0:1:1", answers)
    assert doc_update["value"] == c.doc_id and cite_update["value"] == "0:1"
    raw = ui_index.docs[c.doc_id].raw
    assert f'<mark id="pq-hit">{R.esc(raw[c.start:c.end])}</mark>' in view
    assert 'id="src-1"' in sources
    assert tabs.selected == "docs"
    assert service.pick("7:1:0", answers)[0] is not None  # an unknown turn changes nothing
    assert service.citation("7:1", answers) is None and service.citation("junk", answers) is None


def test_clear_resets_everything(service: app.ChatService) -> None:
    chat, box, state, history, answers, sources, cites = service.clear()
    assert chat == state == history == answers == [] and box == ""
    assert "appear here" in sources and cites["choices"] == []


def test_chain_for_shares_the_index(service: app.ChatService) -> None:
    c = service.chain_for("extractive", 3)
    assert c.top_k == 3 and c.index is service.chain.index and c is not service.chain
    assert service.chain_for("extractive", 3) is c
    assert service.chain.top_k != 3  # the shared chain is not changed under other users
    assert service.chain_for("no-such-generator", 999).top_k == app.MAX_TOP_K  # API input is clamped
    assert service.chain_for("extractive", 0).top_k == 1


def test_build_ui_makes_blocks(service: app.ChatService) -> None:
    demo = app.build_ui(service)
    assert demo.title == "policy-qa"


# -- start-up -----------------------------------------------------------------------------------
def test_auth_required_off_localhost() -> None:
    assert app.auth_for("127.0.0.1", {}) is None
    assert app.auth_for("0.0.0.0", {"POLICYQA_UI_USER": "u", "POLICYQA_UI_PASSWORD": "p"}) == ("u", "p")
    with pytest.raises(ConfigError, match="POLICYQA_UI_USER"):
        app.auth_for("0.0.0.0", {"POLICYQA_UI_USER": "u"})


def test_main_refuses_public_host_without_login(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("POLICYQA_UI_USER", raising=False)
    monkeypatch.delenv("POLICYQA_UI_PASSWORD", raising=False)
    assert app.main(["--host", "0.0.0.0", "--port", "7999"]) == 2
    assert "POLICYQA_UI_PASSWORD" in capsys.readouterr().err


def test_friendly_error_never_shows_traceback() -> None:
    assert app.friendly_error(ValueError("x\nTraceback")) == "The server could not answer (ValueError). Please try again."
    assert R.error_html("first line\nsecond") == '<div class="pq-error">⚠ first line</div>'
