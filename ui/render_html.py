"""HTML for the chat UI, built only from escaped text.

Why a module of its own: every string that reaches the browser passes through here, so the
one rule that keeps a hostile document or question inert (``html.escape`` on every piece of
text, markup added only by this code) can be read and tested in one place. Nothing here
imports gradio, so the tests of it are fast.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Mapping, Sequence
from urllib.parse import urlencode

from rag.render import SOURCES  # the same heading as the terminal's
from rag.types import Answer, Citation, Document

MARKER = re.compile(r"\[(\d{1,2})\]")
NOT_IN_CORPUS = {"en": "Not in the corpus", "zh-Hans": "不在资料库中", "zh-Hant": "不在資料庫中"}
RELATED = {"en": "Related passages (not an answer)", "zh-Hans": "相关段落（并非答案）",
           "zh-Hant": "相關段落（並非答案）"}
PASSAGE_CONTEXT = 400  # characters shown around a related passage's span, at most


def esc(text: object) -> str:
    """Escape text for HTML content and attribute values (quotes included)."""
    return html.escape(str(text), quote=True)


def _lines(escaped: str) -> str:
    """Keep the text's own line breaks visible (the chat renders HTML, not Markdown)."""
    return escaped.replace("\r\n", "\n").replace("\n", "<br>")


def cite_links(text: str, valid: Collection[int] | None = None, turn: int = 0) -> str:
    """Escape ``text`` and turn each [n] marker into a link to source card ``#src-n``.

    ``turn`` (the answer's index in the conversation) rides along as class ``pq-turn-<turn>``
    (the chat's sanitiser keeps classes, not data attributes) so a click on an older answer's
    marker can bring that answer's sources back. Markers outside
    ``valid`` stay plain text: a link to a source that is not listed would lead nowhere.
    """

    def link(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if valid is not None and n not in valid:
            return m.group(0)
        return f'<a href="#src-{n}" class="pq-cite pq-turn-{turn}">[{n}]</a>'

    return _lines(MARKER.sub(link, esc(text)))


def question_html(text: str) -> str:
    return f'<div class="pq-question">{_lines(esc(text))}</div>'


def error_html(message: str) -> str:
    """A short message in the chat in place of an answer (never a traceback)."""
    first = (message.strip().splitlines() or ["unknown error"])[0][:300]
    return f'<div class="pq-error">⚠ {esc(first)}</div>'


def answer_html(text: str, answer: Answer | None = None, turn: int = 0) -> str:
    """A chat message: the answer with linked markers, then who produced it and in how long."""
    if answer is None:  # still streaming: markers stay text until the sources are known
        return f'<div class="pq-answer pq-pending">{cite_links(text, (), turn)} …</div>'
    lang = answer.language if answer.language in NOT_IN_CORPUS else "en"
    badge = f'<div class="pq-abstain">{esc(NOT_IN_CORPUS[lang])}</div>' if answer.abstained else ""
    body = cite_links(answer.text, {c.n for c in answer.citations}, turn)
    meta = [answer.generator]
    total = answer.timings.get("total_ms")
    if total is not None:
        meta.append(f"{total / 1000:.2f} s")
    if not answer.verification.ok:
        meta.append("unverified figures: " + ", ".join(answer.verification.unsupported))
    notice = f'<div class="pq-notice">{esc(answer.notice)}</div>' if answer.notice else ""
    return (f'<div class="pq-answer">{badge}<div class="pq-text">{body}</div>{notice}'
            f'<div class="pq-meta">{esc(" · ".join(meta))}</div></div>')


def highlight(passage: str, quote: str) -> str:
    """The passage with the quote marked in place; the quote alone when it is not inside."""
    i = passage.find(quote) if quote else -1
    if i < 0:
        return f"<mark>{esc(quote)}</mark>" if quote else esc(passage)
    j = i + len(quote)
    return f"{esc(passage[:i])}<mark>{esc(quote)}</mark>{esc(passage[j:])}"


def citation_link(doc_id: str, start: int, end: int) -> str:
    """The stable, site-relative URL of a cited span: it opens the Documents tab on it."""
    return "/?" + urlencode({"doc": doc_id, "start": int(start), "end": int(end)})


def link_error_html(message: str) -> str:
    """The document view when a citation link names nothing this index holds."""
    return f'<div class="pq-doc pq-empty pq-link-error">⚠ {esc(message.splitlines()[0] if message else "")}</div>'


def citation_text(c: Citation) -> str:
    """A citation to paste elsewhere: title, publisher, date, quote and where to find it."""
    where = ", ".join(x for x in (c.publisher, c.published) if x)
    return f"{c.title}{f' ({where})' if where else ''}: 「{c.quote}」 [{c.doc_id}, chars {c.start}-{c.end}]"


def _source_card(c: Citation, turn: int) -> str:
    meta = " · ".join(x for x in (c.publisher, c.published, f"{c.doc_id}, chars {c.start}-{c.end}") if x)
    link = esc(citation_link(c.doc_id, c.start, c.end))
    return (
        f'<div class="pq-src" id="src-{c.n}" data-doc="{esc(c.doc_id)}">'
        f'<div class="pq-src-head"><span class="pq-n">[{c.n}]</span> <span class="pq-title">{esc(c.title)}</span></div>'
        f'<div class="pq-src-meta">{esc(meta)}</div>'
        f'<blockquote class="pq-passage">{highlight(c.passage or c.quote, c.quote)}</blockquote>'
        f'<div class="pq-actions"><button type="button" class="pq-copy" data-copy="{esc(citation_text(c))}" '
        f'data-link="{link}">'
        f'Copy citation</button> <button type="button" class="pq-open" data-turn="{turn}" data-n="{c.n}">'
        f'Open in document</button> <button type="button" class="pq-link" '
        f'data-link="{link}">Link</button></div></div>'
    )


def sources_html(answer: Answer | None, docs: Mapping[str, Document], turn: int = 0) -> str:
    """The sources panel: one card per citation, or for an abstention the related passages."""
    if answer is None:
        return '<div class="pq-sources pq-empty">Sources of the answer appear here.</div>'
    lang = answer.language if answer.language in SOURCES else "en"
    if answer.abstained or not answer.citations:
        items = []
        for h in answer.related:
            doc = docs.get(h.chunk.doc_id)
            title = doc.meta.title if doc else h.chunk.doc_id
            items.append(
                f'<div class="pq-related"><div class="pq-title">{esc(title)}</div>'
                f'<div class="pq-src-meta">{esc(h.chunk.doc_id)}, chars {h.chunk.raw_start}-{h.chunk.raw_end}</div>'
                f'<blockquote class="pq-passage">{esc(h.chunk.text[:PASSAGE_CONTEXT])}</blockquote></div>'
            )
        return (f'<div class="pq-sources"><div class="pq-abstain">{esc(NOT_IN_CORPUS[lang])}</div>'
                f'<h4>{esc(RELATED[lang])}</h4>{"".join(items) or "<p>—</p>"}</div>')
    cards = "".join(_source_card(c, turn) for c in answer.citations)
    return f'<div class="pq-sources"><h4>{esc(SOURCES[lang])}</h4>{cards}</div>'


def documents_table_html(docs: Mapping[str, Document], chunks_per_doc: Mapping[str, int],
                         skipped: Sequence[str] = ()) -> str:
    """The corpus at a glance: one row per indexed document, then each file the index skipped and why."""
    rows = "".join(
        f"<tr><td>{esc(d.meta.title)}</td><td>{esc(d.meta.publisher)}</td><td>{esc(d.meta.published)}</td>"
        f"<td>{esc(d.meta.script)}</td><td>{len(d.raw):,}</td><td>{chunks_per_doc.get(i, 0)}</td>"
        f'<td><code>{esc(i)}</code></td><td class="pq-st-indexed">indexed</td></tr>'
        for i, d in sorted(docs.items())
    )
    rows += "".join(f'<tr><td colspan="7">{esc(w.removeprefix("skipped "))}</td><td class="pq-st-skipped">skipped</td></tr>'
                    for w in skipped)
    return ('<table class="pq-docs"><thead><tr><th>Title</th><th>Publisher</th><th>Date</th><th>Script</th>'
            f"<th>Characters</th><th>Chunks</th><th>doc_id</th><th>Status</th></tr></thead><tbody>{rows}</tbody></table>")


def upload_status_html(statuses: Sequence[object]) -> str:
    """One line per file of the last upload or removal: its name, what became of it and why."""
    if not statuses:
        return '<div class="pq-upload-status pq-empty">Files you add or remove are listed here.</div>'
    items = "".join(
        f'<li class="pq-up pq-up-{esc(getattr(st, "status", ""))}"><code>{esc(getattr(st, "name", ""))}</code>: '
        f'<span class="pq-up-state">{esc(getattr(st, "status", ""))}</span>'
        f'{" — " + esc(getattr(st, "detail", "")) if getattr(st, "detail", "") else ""}</li>'
        for st in statuses
    )
    return f'<ul class="pq-upload-status">{items}</ul>'


def header_html(stats: Mapping[str, object], version: str) -> str:
    """The page header, naming the corpus and the index version the app serves right now."""
    created = f", built {stats['created']}" if stats.get("created") else ""
    return (f'<h2>policy-qa</h2><p>Grounded answers about the Shenzhen and Hangzhou AI initiatives (2024-2025), in '
            f"English, 简体 or 繁體. Every claim cites its source. <span id=\"pq-corpus\" data-version=\"{esc(version)}\">"
            f"Corpus: {stats.get('documents', 0)} documents, {stats.get('chunks', 0)} passages "
            f"(index {esc(version)}{esc(created)})</span>.</p>")


def document_html(doc: Document | None, span: tuple[int, int] | None = None) -> str:
    """A document's original text (as in the file) with one span marked where it stands."""
    if doc is None:
        return '<div class="pq-doc pq-empty">Choose a document, or click a citation in an answer.</div>'
    raw = doc.raw
    if span is not None and 0 <= span[0] < span[1] <= len(raw):
        a, b = span
        body = f'{esc(raw[:a])}<mark id="pq-hit">{esc(raw[a:b])}</mark>{esc(raw[b:])}'
        where = f" — highlighted: chars {a}-{b}"
    else:
        body, where = esc(raw), ""
    meta = " · ".join(x for x in (doc.meta.publisher, doc.meta.published, doc.meta.script, doc.doc_id) if x)
    return (f'<div class="pq-doc" data-doc="{esc(doc.doc_id)}"><h4>{esc(doc.meta.title)}</h4>'
            f'<div class="pq-src-meta">{esc(meta)}{esc(where)}</div>{planted_html(doc)}'
            f'<pre class="pq-raw">{body}</pre></div>')


def planted_html(doc: Document) -> str:
    """A warning listing the document's sentences that address the assistant (never used as evidence)."""
    from rag.answer.guard import is_planted_instruction
    from rag.ingest.chunking import split_sentences

    found = [t for s in split_sentences(doc.text) if is_planted_instruction(t := doc.text[s.start : s.end].strip())]
    if not found:
        return ""
    items = "".join(f"<li>{esc(t)}</li>" for t in found)
    return (f'<div class="pq-planted">⚠ {len(found)} sentence(s) here address the assistant instead of '
            f"stating facts; they are never used as evidence:<ul>{items}</ul></div>")


CSS = """
.gradio-container { font-family: "Source Sans Pro", "Noto Sans CJK SC", "Noto Sans CJK TC", sans-serif; }
.pq-hidden { display: none !important; }
.pq-cite { text-decoration: none; font-weight: 600; padding: 0 1px; }
.pq-meta, .pq-src-meta { color: var(--body-text-color-subdued); font-size: 0.85em; margin-top: 4px; }
.pq-notice { color: #8a5a00; font-size: 0.9em; margin-top: 4px; }
.pq-planted { color: #b00020; font-size: 0.9em; margin: 4px 0; }
.pq-error { color: #b00020; }
.pq-abstain { display: inline-block; background: #fff3cd; color: #664d03; border-radius: 4px;
              padding: 1px 8px; margin-bottom: 6px; font-weight: 600; }
#pq-sources { max-height: 640px; overflow-y: auto; }
.pq-src, .pq-related { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 8px;
                       margin: 8px 0; scroll-margin-top: 8px; transition: box-shadow 0.3s; }
.pq-src.pq-flash { box-shadow: 0 0 0 3px var(--color-accent); }
.pq-passage { margin: 6px 0; padding-left: 8px; border-left: 3px solid var(--border-color-primary); }
.pq-passage mark, .pq-raw mark { background: #ffe066; color: inherit; }
.pq-actions button { font-size: 0.85em; border: 1px solid var(--border-color-primary); border-radius: 4px;
                     padding: 2px 8px; margin-right: 4px; cursor: pointer; }
.pq-raw { white-space: pre-wrap; max-height: 560px; overflow-y: auto; font-family: inherit; }
.pq-docs { width: 100%; font-size: 0.9em; }
.pq-st-skipped, .pq-up-skipped .pq-up-state, .pq-up-failed .pq-up-state, .pq-link-error { color: #b00020; }
.pq-up-indexed .pq-up-state, .pq-up-removed .pq-up-state { color: #0a6b2d; font-weight: 600; }
"""

# Installed once per page: delegated clicks on citation links and source-card buttons.
# A click on [n] scrolls its source card into view at once, then asks the server (through
# a hidden textbox and button) for that answer's sources and the cited span in its document.
JS = r"""
() => {
  if (window.__pqReady) return;
  window.__pqReady = true;
  const pick = (turn, n, open) => {
    const box = document.querySelector('#pq-pick textarea, #pq-pick input');
    const go = document.querySelector('button#pq-go, #pq-go button');
    if (!box || !go) return;
    box.value = `${turn}:${n}:${open ? 1 : 0}`;
    box.dispatchEvent(new Event('input', {bubbles: true}));
    setTimeout(() => go.click(), 50);
  };
  window.pqShow = (n) => {
    const el = n ? document.getElementById('src-' + n) : document.querySelector('.pq-src.pq-flash');
    if (el) {
      el.scrollIntoView({block: 'nearest'});
      el.classList.add('pq-flash');
      setTimeout(() => el.classList.remove('pq-flash'), 2000);
    }
    const hit = document.getElementById('pq-hit');
    const pre = hit && hit.closest('.pq-raw');
    if (pre && pre.offsetParent) pre.scrollTop = hit.offsetTop - pre.offsetTop - 60;
  };
  const copy = async (text, btn) => {
    try { await navigator.clipboard.writeText(text); }
    catch (e) {  // no clipboard API outside secure contexts (plain http to another host)
      const ta = document.createElement('textarea');
      ta.value = text; document.body.appendChild(ta); ta.select();
      document.execCommand('copy'); ta.remove();
    }
    const label = btn.textContent; btn.textContent = 'Copied';
    setTimeout(() => { btn.textContent = label; }, 1200);
  };
  document.addEventListener('click', (ev) => {
    const t = ev.target instanceof Element ? ev.target : null;
    if (!t) return;
    const a = t.closest('a.pq-cite');
    if (a) {
      ev.preventDefault(); ev.stopPropagation();
      const n = (a.getAttribute('href') || '').replace('#src-', '');
      const turn = ((a.className.match(/pq-turn-(\d+)/) || [])[1]) || '0';
      window.pqShow(n);
      pick(turn, n, false);
      return;
    }
    const c = t.closest('button.pq-copy');
    const abs = (el) => el.dataset.link ? new URL(el.dataset.link, window.location.href).href : '';
    if (c) { copy([c.dataset.copy || '', abs(c)].filter(Boolean).join(' '), c); return; }
    const l = t.closest('button.pq-link');
    if (l) { window.open(abs(l), '_blank', 'noopener'); return; }
    const o = t.closest('button.pq-open');
    if (o) pick(o.dataset.turn, o.dataset.n, true);
  }, true);
}
"""
