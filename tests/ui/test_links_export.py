"""Citation links, the Markdown export and the index watcher, without a browser."""

from __future__ import annotations

import html
import shutil
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from rag.chains import QAChain
from rag.errors import IndexMismatchError
from rag.index import HybridIndex
from rag.retrieval.embeddings import FakeEmbedder
from ui import render_html as R
from ui.export import conversation_markdown
from ui.service import ChatService
from ui.watch import IndexWatcher

QUESTION = "How many AI companies does Shenzhen aim to have by 2026?"


@pytest.fixture()
def service(ui_chain: QAChain) -> ChatService:
    return ChatService(ui_chain, generator="extractive")


def test_citation_link_round_trips_to_the_highlighted_span(service: ChatService) -> None:
    c = service.chain.ask(QUESTION).citations[0]
    link = R.citation_link(c.doc_id, c.start, c.end)
    query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    tabs, doc, view = service.open_link(query)
    raw = service.docs[c.doc_id].raw
    assert tabs.selected == "docs" and doc["value"] == c.doc_id
    assert f'<mark id="pq-hit">{R.esc(raw[c.start:c.end])}</mark>' in view
    assert R.citation_link("深圳 a&b", 1, 2) == "/?doc=%E6%B7%B1%E5%9C%B3+a%26b&start=1&end=2"  # encoded


@pytest.mark.parametrize("query, shown", [
    ({"doc": "no-such-doc", "start": "1", "end": "5"}, "'no-such-doc' is not in the corpus served now"),
    ({"doc": "hostile-markup-test", "start": "50", "end": "999999"}, "are outside 'hostile-markup-test'"),
    ({"doc": "<img src=x onerror=alert(1)>"}, "'<img src=x onerror=alert(1)>' is not in the corpus"),
])
def test_a_link_to_nothing_says_so_in_one_line(service: ChatService, query: dict, shown: str) -> None:
    _, _, view = service.open_link(query)
    assert shown in html.unescape(view) and "<img" not in view and "pq-link-error" in view


def test_a_page_without_a_link_changes_nothing(service: ChatService) -> None:
    assert all(type(x).__name__ == "skip" or x == {"__type__": "update"} for x in service.open_link({}))


def test_export_has_numbered_citations_quotes_and_links(service: ChatService) -> None:
    a1 = service.chain.ask(QUESTION)
    a2 = replace(a1, question="广州目前有多少家人工智能企业？", text="资料库中没有。", citations=(), abstained=True)
    md = conversation_markdown([a1, a2], "http://127.0.0.1:7860", "2026-12-01 10:00 UTC")
    assert md.startswith("# policy-qa conversation\n\nExported 2026-12-01 10:00 UTC from http://127.0.0.1:7860.")
    assert f"## 1. {QUESTION}" in md and "## 2. 广州目前有多少家人工智能企业？" in md
    c = a1.citations[0]
    assert f"[1] {c.title}" in md and f"> {c.quote.splitlines()[0]}" in md
    assert f"<http://127.0.0.1:7860{R.citation_link(c.doc_id, c.start, c.end)}>" in md
    assert "*Not in the corpus.*" in md
    assert conversation_markdown([]).endswith("(no questions asked yet)\n")


def test_copy_and_link_buttons_carry_the_stable_link(service: ChatService) -> None:
    a = service.chain.ask(QUESTION)
    html = R.sources_html(a, service.docs)
    c = a.citations[0]
    assert f'class="pq-link" data-link="{R.esc(R.citation_link(c.doc_id, c.start, c.end))}"' in html
    assert html.count("data-link=") == 2 * len(a.citations)  # Copy citation and Link


def test_watcher_swaps_new_versions_and_keeps_serving_through_a_broken_one(ui_index: HybridIndex,
                                                                          tmp_path: Path, service: ChatService) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(ui_index.path.parent, index_dir)
    emb = FakeEmbedder()
    loads: list[str] = []

    def load() -> HybridIndex:
        loads.append((index_dir / "CURRENT").read_text().strip())
        return HybridIndex.load(index_dir, emb)

    watcher = IndexWatcher(index_dir, load, service.swap, service.version)
    assert watcher.check() is False and loads == []  # the version served: nothing to do
    live = index_dir / service.version
    shutil.copytree(live, index_dir / "v-second")
    (index_dir / "CURRENT").write_text("v-second\n")
    assert watcher.check() is True and service.version == "v-second" and watcher.served == "v-second"
    shutil.copytree(live, index_dir / "v-broken")
    (index_dir / "v-broken" / "dense.faiss").write_bytes(b"garbage")
    (index_dir / "CURRENT").write_text("v-broken\n")
    assert watcher.check() is False and ("altered" in watcher.error or "damaged" in watcher.error)
    assert service.version == "v-second" and service.chain.ask(QUESTION).citations  # still answering
    assert watcher.check() is False and loads.count("v-broken") == 1  # not retried until CURRENT changes
    with pytest.raises(IndexMismatchError):
        HybridIndex.load(index_dir, emb)
