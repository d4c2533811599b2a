"""The newsroom features against the running app (real e5 index, extractive answers, a login):
uploads in a real browser, the HTTP API against the CLI, a rebuild under questions, login throttling.

One app serves the whole module; the tests run in file order (the last one spends the login's
wait). Times are printed (run with ``-s``), never asserted.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from appserver import serve_app
from conftest import make_corpus
from docfiles import BIG5_TEXT, HTML, HTML_FACT, HTML_ID, HTML_NAME, HTML_QUESTION, PDF, PDF_ID, PDF_NAME

from rag.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

USER, PASSWORD = "editor", "newsroom-pass-1"
BACKOFF_S = 5
STUCK_S = 25  # the stuck backend's questions wait this long before their extractive fallback
QUESTION = "How many AI companies does Shenzhen aim to have by 2026?"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOT = PROJECT_ROOT / "docs" / "screenshot-upload.png"
BASIC = {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}


@contextlib.contextmanager
def stuck_backend() -> Iterator[str]:
    """An OpenAI-compatible address on 127.0.0.1 that accepts connections and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/v1"
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        server.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    tmp = tmp_path_factory.mktemp("newsroom")
    corpus = make_corpus(tmp / "corpus")
    with stuck_backend() as backend:
        env = {"POLICYQA_UI_USER": USER, "POLICYQA_UI_PASSWORD": PASSWORD, "POLICYQA_LOGIN_BACKOFF_S": str(BACKOFF_S),
               "POLICYQA_UPLOAD_MAX_MB": "5", "POLICYQA_INDEX_POLL_S": "1", "POLICYQA_OPENAI_BASE_URL": backend,
               "POLICYQA_LLM_TIMEOUT_S": str(STUCK_S)}
        with serve_app(tmp, corpus, env) as url:
            yield SimpleNamespace(url=url.rstrip("/"), corpus=corpus, index=tmp / "index", tmp=tmp)


def api(app: SimpleNamespace, path: str, body: dict | None = None) -> httpx.Response:
    if body is None:
        return httpx.get(app.url + path, headers=BASIC, timeout=120)
    return httpx.post(app.url + path, json=body, headers=BASIC, timeout=120)


# -- uploads in the browser ---------------------------------------------------------------------
def test_browser_upload_ask_and_open_the_citation_link(app: SimpleNamespace) -> None:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: apt-get install -y chromium fonts-noto-cjk")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright==1.65.0")
    files = app.tmp / "to-upload"
    files.mkdir()
    (files / HTML_NAME).write_bytes(HTML)
    (files / PDF_NAME).write_bytes(PDF)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
        context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(app.url) else r.abort())
        page = context.new_page()
        page.goto(app.url + "/")
        page.get_by_label("username").fill(USER)
        page.get_by_label("password").fill(PASSWORD)
        page.get_by_role("button", name="Login").click()
        page.wait_for_function("window.__pqReady === true", timeout=60_000)
        before = page.locator("#pq-corpus").get_attribute("data-version")
        page.get_by_role("tab", name="Documents").click()
        page.locator("#pq-upload input[type=file]").set_input_files([str(files / HTML_NAME), str(files / PDF_NAME)])
        page.locator("#pq-up-publisher textarea, #pq-up-publisher input").first.fill("測試通訊社")
        t0 = time.perf_counter()
        page.locator("#pq-add").click()
        page.wait_for_function("document.querySelectorAll('#pq-upload-status .pq-up-indexed').length === 2",
                               timeout=300_000)
        print(f"\n[ui timing] upload of 2 files to indexed: {time.perf_counter() - t0:.1f} s")
        status = page.locator("#pq-upload-status").inner_text()
        assert HTML_NAME in status and PDF_NAME in status and "passages" in status
        assert page.locator("#pq-upload-status .progress-text, #pq-upload-status .eta-bar").count() == 0  # bar done
        # the header and the document table follow the new index version
        page.wait_for_function(f"document.querySelector('#pq-corpus').dataset.version !== {before!r}", timeout=30_000)
        assert HTML_ID in page.locator("#pq-docs-table").inner_text()
        assert PDF_ID in page.locator("#pq-docs-table").inner_text()
        assert "skipped" not in page.locator("#pq-docs-table").inner_text()  # no staging left to trip on
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)

        page.get_by_role("tab", name="Chat").click()
        page.locator("#pq-input textarea").fill(HTML_QUESTION)
        page.locator("#pq-input textarea").press("Enter")
        page.wait_for_function("document.querySelectorAll('#pq-chat .pq-answer .pq-meta').length > 0", timeout=90_000)
        answer = page.locator("#pq-chat .pq-answer").last.inner_text()
        assert HTML_FACT in answer, answer
        card = page.locator(f'#pq-sources .pq-src[data-doc="{HTML_ID}"]').first
        card.wait_for(state="visible")
        link = card.locator("button.pq-link").get_attribute("data-link") or ""
        assert link.startswith(f"/?doc={HTML_ID}&start=")

        export = page.locator("#pq-export")
        export.click()
        page.locator("#pq-export-file a").first.wait_for(state="attached", timeout=30_000)

        other = context.new_page()  # the citation link in a page of its own
        other.goto(app.url + link)
        other.locator("#pq-hit").wait_for(state="visible", timeout=60_000)
        assert HTML_FACT in other.locator("#pq-hit").inner_text()
        assert other.locator("#pq-doc-view .pq-doc").get_attribute("data-doc") == HTML_ID
        # the new page shows the corpus served now, not the one the app started with
        other.wait_for_function(f"document.querySelector('#pq-docs-table').innerText.includes({HTML_ID!r})")
        other.locator("#pq-hit").scroll_into_view_if_needed()
        other.screenshot(path=str(PROJECT_ROOT / "docs" / "screenshot-citation-link.png"))
        browser.close()


# -- the HTTP API against the CLI ---------------------------------------------------------------
def test_api_and_openai_client_answer_like_the_cli(app: SimpleNamespace) -> None:
    from openai import OpenAI

    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYQA_UI_")}
    env.update(POLICYQA_CORPUS_DIR=str(app.corpus), POLICYQA_INDEX_DIR=str(app.index))
    cli = subprocess.run([sys.executable, "-m", "rag", "ask", "--json", "--generator", "extractive", "--lang", "en",
                          QUESTION], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert cli.returncode == 0, cli.stderr[-2000:]
    expected = json.loads(cli.stdout)
    cites = [{k: v for k, v in c.items()} for c in expected["citations"]]
    assert "3000" in expected["answer"].replace(",", "") and cites

    got = api(app, "/v1/ask", {"question": QUESTION, "language": "en", "generator": "extractive"}).json()
    assert got["answer"] == expected["answer"]
    assert [{k: v for k, v in c.items() if k != "link"} for c in got["citations"]] == cites

    client = OpenAI(base_url=app.url + "/v1", api_key=f"{USER}:{PASSWORD}", max_retries=0, timeout=120)
    reply = client.chat.completions.create(model="policy-qa:extractive", extra_body={"language": "en"},
                                           messages=[{"role": "user", "content": QUESTION}])
    assert (reply.choices[0].message.content or "").startswith(expected["answer"])
    assert [{k: v for k, v in c.items() if k != "link"} for c in reply.citations] == cites  # type: ignore[attr-defined]
    chunks = list(client.chat.completions.create(model="policy-qa:extractive", stream=True,
                                                 extra_body={"language": "en"},
                                                 messages=[{"role": "user", "content": QUESTION}]))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == reply.choices[0].message.content
    assert [{k: v for k, v in c.items() if k != "link"} for c in chunks[-1].citations] == cites  # type: ignore[attr-defined]


def test_questions_during_an_upload_rebuild_all_get_answers(app: SimpleNamespace) -> None:
    from gradio_client import Client, handle_file

    upload = app.tmp / "dapeng-ocean-stations.txt"
    upload.write_bytes(BIG5_TEXT.encode("big5"))
    results: list[tuple[int, str]] = []
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set():
            r = api(app, "/v1/ask", {"question": "深圳计划到2026年有多少家人工智能企业？", "generator": "extractive"})
            results.append((r.status_code, r.json().get("answer", r.text)))

    askers = [threading.Thread(target=keep_asking) for _ in range(2)]
    for t in askers:
        t.start()
    try:
        client = Client(app.url + "/", auth=(USER, PASSWORD), verbose=False)
        status, _ = client.predict([handle_file(str(upload))], "", "", "", api_name="/add")
    finally:
        time.sleep(1.5)  # a few questions more on the new version
        stop.set()
        for t in askers:
            t.join(120)
    assert "pq-up-indexed" in status and "dapeng-ocean-stations.txt" in status, status
    assert len(results) >= 2, results
    assert all(code == 200 and "3000" in text.replace(",", "") for code, text in results), results[:5]
    print(f"\n[ui timing] {len(results)} questions answered during the rebuild, none failed")
    docs = {d["doc_id"] for d in api(app, "/v1/documents").json()["documents"]}
    assert "dapeng-ocean-stations" in docs
    answer = api(app, "/v1/ask", {"question": "大鵬測試區計劃到2030年建成多少個海洋監測站？"}).json()
    assert "2468" in answer["answer"] and answer["citations"][0]["doc_id"] == "dapeng-ocean-stations"


def test_extractive_chats_do_not_wait_behind_a_stuck_model(app: SimpleNamespace) -> None:
    """More model questions than the model lane holds hang on a backend that never answers; an
    extractive question asked in the chat meanwhile is answered at once, and the hung ones end
    with the extractive answer and its notice after POLICYQA_LLM_TIMEOUT_S."""
    from gradio_client import Client

    def chat(generator: str) -> tuple[float, str]:
        client = Client(app.url + "/", auth=(USER, PASSWORD), verbose=False)
        t0 = time.perf_counter()
        # the two lanes a chat turn runs through; the hand-over is session state, kept by the client
        fast = client.predict(QUESTION, "auto", generator, 5, api_name="/respond_fast")
        if generator == "extractive":
            return time.perf_counter() - t0, str(fast[0][-1]["content"])
        out = client.predict("auto", generator, 5, api_name="/respond_model")
        return time.perf_counter() - t0, str(out[0][-1]["content"])

    with ThreadPoolExecutor(4) as pool:
        hung = [pool.submit(chat, "openai") for _ in range(3)]  # the model lane holds two
        time.sleep(3)
        took, text = chat("extractive")
        assert not any(h.done() for h in hung), "the stuck backend answered"
        assert took < 10 and "3000" in text.replace(",", ""), (took, text[:300])
        results = [h.result(timeout=3 * STUCK_S + 60) for h in hung]
    print(f"\n[ui timing] extractive answer beside three stuck model questions: {took:.1f} s; "
          f"the stuck ones: {', '.join(f'{t:.0f} s' for t, _ in results)}")
    for _, answer in results:
        assert "3000" in answer.replace(",", "") and "showing the source sentences instead" in answer, answer[:300]


def test_bad_uploads_through_the_app_change_nothing(app: SimpleNamespace) -> None:
    from gradio_client import Client, handle_file

    before = sorted(p.name for p in app.corpus.iterdir())
    version = (app.index / "CURRENT").read_text()
    fake = app.tmp / "report.pdf"
    fake.write_bytes(b"MZ\x90\x00" + b"\x00" * 300)
    empty = app.tmp / "empty.txt"
    empty.write_bytes(b"")
    client = Client(app.url + "/", auth=(USER, PASSWORD), verbose=False)
    status, _ = client.predict([handle_file(str(fake)), handle_file(str(empty))], "", "", "", api_name="/add")
    assert "Windows program" in status and "empty file" in status and "pq-up-indexed" not in status
    assert sorted(p.name for p in app.corpus.iterdir()) == before
    assert (app.index / "CURRENT").read_text() == version


def test_wrong_logins_are_throttled(app: SimpleNamespace) -> None:
    wrong = {"username": USER, "password": "guess"}
    first = httpx.post(app.url + "/login", data=wrong)
    assert first.status_code == 400
    again = httpx.post(app.url + "/login", data={"username": USER, "password": PASSWORD})
    assert again.status_code == 429 and "try again in" in again.json()["detail"]  # even the right one, for now
    assert api(app, "/v1/documents").status_code == 429  # the API shares the throttle
    time.sleep(int(again.headers["retry-after"]) + 0.5)
    assert httpx.post(app.url + "/login", data={"username": USER, "password": PASSWORD}).status_code == 200
