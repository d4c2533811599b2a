"""The chat UI in a real browser: Debian's headless Chromium driven by Playwright.

The app runs as a subprocess (``ui/app.py --generator extractive``) on a free localhost port,
over an index built with the real e5 model of docs_corpus plus one hostile document. Times
from send to answer visible are printed (run with ``-s`` to see them), never asserted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from appserver import serve_app

from rag.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOT = PROJECT_ROOT / "docs" / "screenshot-chat.png"
ANSWER_TIMEOUT_MS = 90_000
ANSWERS = "#pq-chat .pq-answer .pq-meta, #pq-chat .pq-error"  # one per finished turn


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, ui_corpus: Path) -> Iterator[str]:
    """The app on docs_corpus + the hostile document (real e5), in a real browser's reach."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: apt-get install -y chromium fonts-noto-cjk")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install playwright==1.65.0")
    with serve_app(tmp_path_factory.mktemp("ui-browser"), ui_corpus) as url:
        yield url


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, server: str) -> Iterator:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.rstrip("/"))
    # only the app itself may be reached: anything else would be a leak (or a hang offline)
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server) else route.abort())
    pg = context.new_page()
    t0 = time.perf_counter()
    pg.goto(server)
    pg.wait_for_function("window.__pqReady === true", timeout=60_000)
    print(f"[ui timing] page interactive {time.perf_counter() - t0:.2f} s after opening it")
    yield pg
    context.close()


def ask(page, question: str) -> float:  # type: ignore[no-untyped-def]
    """Type and send with Enter; wait until the turn is finished. Returns seconds, and prints them."""
    before = page.locator(ANSWERS).count()
    box = page.locator("#pq-input textarea")
    box.fill(question)
    t0 = time.perf_counter()
    box.press("Enter")
    page.wait_for_function(f"document.querySelectorAll({ANSWERS!r}).length > {before}", timeout=ANSWER_TIMEOUT_MS)
    took = time.perf_counter() - t0
    print(f"[ui timing] {question[:60]!r}: {took:.2f} s from send to answer visible")
    return took


def last_answer(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator("#pq-chat .pq-answer").last.inner_text()


def open_documents_tab(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("tab", name="Documents").click()
    page.locator("#pq-doc-view").wait_for(state="visible")


def test_english_question_cites_and_opens_source(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, "How many AI companies does Shenzhen aim to have by 2026?")
    text = last_answer(page)
    assert "3,000" in text or "3000" in text, text
    cite = page.locator("#pq-chat .pq-answer").last.locator("a.pq-cite", has_text="[1]").first
    assert cite.get_attribute("href") == "#src-1"
    cite.click()
    card = page.locator("#src-1")
    card.wait_for(state="visible")
    doc_id = card.get_attribute("data-doc") or ""
    assert doc_id.startswith(("hkcna-", "yicai-")), doc_id
    box = card.bounding_box()
    assert box is not None and 0 <= box["y"] < 1000, box  # scrolled into view
    assert "3000" in card.locator("mark").inner_text()
    card.locator("button.pq-copy").click()
    page.wait_for_function("document.querySelector('#src-1 button.pq-copy').textContent === 'Copied'")
    copied = page.evaluate("navigator.clipboard.readText()")
    title = card.locator(".pq-title").inner_text()
    assert copied.startswith(title) and "3000" in copied and doc_id in copied, copied

    open_documents_tab(page)  # the click on [1] also opened the cited span there
    page.locator("#pq-doc-view .pq-doc").wait_for(state="visible")
    page.wait_for_function(f"document.querySelector('#pq-doc-view .pq-doc')?.dataset.doc === {doc_id!r}")
    hit = page.locator("#pq-hit")
    assert hit.is_visible() and "3000" in hit.inner_text()
    assert "[1]" in page.locator("#pq-cite-select input").input_value()

    page.locator("#pq-doc-select input").click()  # any document, chosen from the list
    page.get_by_role("option", name="zhengjieju-2025-02-shenzhen-vs-hangzhou").click()
    page.wait_for_function("document.querySelector('#pq-doc-view .pq-doc')?.dataset.doc === "
                           "'zhengjieju-2025-02-shenzhen-vs-hangzhou'")
    assert "深圳" in page.locator("#pq-doc-view .pq-raw").inner_text()
    assert page.locator("#pq-hit").count() == 0

    page.locator("#pq-cite-select input").click()  # back to a cited span, from the answer's list
    page.get_by_role("option").last.click()
    page.locator("#pq-hit").wait_for(state="visible")
    assert page.locator("#pq-doc-view .pq-doc").get_attribute("data-doc").startswith(("hkcna-", "yicai-"))


def test_traditional_chinese_question(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, "到2024年底深圳人工智能產業規模達到多少？")
    assert "3600" in last_answer(page)
    assert page.locator("#pq-sources .pq-src").count() >= 1


def test_hostile_document_and_question_stay_inert(page, hostile: SimpleNamespace) -> None:  # type: ignore[no-untyped-def]
    ask(page, f"{hostile.img} {hostile.question}")
    chat = page.locator("#pq-chat").inner_text()
    assert hostile.img in chat  # the question's markup shown as text
    sources = page.locator("#pq-sources")
    assert hostile.script in sources.inner_text() or hostile.script in chat
    card = page.locator(f'#pq-sources .pq-src[data-doc="{hostile.id}"]').first
    card.locator("button.pq-open").click()
    page.locator("#pq-doc-view .pq-doc").wait_for(state="visible")
    page.wait_for_function(f"document.querySelector('#pq-doc-view .pq-doc')?.dataset.doc === {hostile.id!r}")
    view = page.locator("#pq-doc-view").inner_text()
    assert hostile.script in view and hostile.img in view
    assert hostile.script in page.locator("table.pq-docs").inner_text()  # the title, in the list
    for where in ("#pq-chat", "#pq-sources", "#pq-doc-view", "table.pq-docs"):
        assert page.locator(f"{where} script, {where} img").count() == 0, where
    assert page.evaluate("typeof window.__pwned") == "undefined"


def test_abstention_shows_not_in_corpus(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, "广州目前有多少家人工智能企业？")
    answer = page.locator("#pq-chat .pq-answer").last
    assert answer.locator(".pq-abstain").count() == 1, answer.inner_text()
    assert "不在资料库中" in answer.inner_text()
    assert page.locator("#pq-sources .pq-related").count() >= 1


def test_over_long_and_empty_messages(page) -> None:  # type: ignore[no-untyped-def]
    box = page.locator("#pq-input textarea")
    box.press("Enter")  # empty: nothing is sent
    page.wait_for_timeout(500)
    assert page.locator("#pq-chat .pq-question").count() == 0
    box.type("line one")
    box.press("Shift+Enter")
    box.type("line two")
    assert box.input_value() == "line one\nline two"  # Shift+Enter is a new line, not a send
    assert page.locator("#pq-chat .pq-question").count() == 0
    ask(page, "深" * 1001)
    error = page.locator("#pq-chat .pq-error").last.inner_text()
    assert "the limit is 1,000 characters" in error and "1,001" in error
    assert box.input_value() == "深" * 1001  # kept, to be shortened
    page.locator("#pq-clear").click()
    page.wait_for_function("document.querySelectorAll('#pq-chat .pq-question').length === 0")
    assert "appear here" in page.locator("#pq-sources").inner_text()


def test_screenshot(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, "How many AI companies does Shenzhen aim to have by 2026?")
    ask(page, "到2024年底深圳人工智能產業規模達到多少？")
    page.locator("#pq-chat .pq-answer").last.locator("a.pq-cite").first.click()
    page.wait_for_timeout(800)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 20_000


def test_targets_tab_filters_and_opens_the_source(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("tab", name="Targets").click()
    grid = page.locator("#pq-t-grid")
    grid.wait_for(state="visible")
    assert "3000家" in grid.inner_text()
    year = page.locator("#pq-t-year input")
    year.click()
    page.get_by_role("option", name="2027", exact=True).click()
    page.wait_for_function(
        "!document.querySelector('#pq-t-grid').innerText.includes('3000家')", timeout=20_000
    )
    text = grid.inner_text()
    assert "1200家" in text and "80家" in text
    grid.get_by_text("1200家").first.click()
    mark = page.locator("#pq-t-source mark")
    mark.wait_for(state="visible", timeout=20_000)
    assert "1200家" in mark.inner_text()
    page.screenshot(path=str(PROJECT_ROOT / "docs" / "screenshot-targets.png"))
