"""policy-qa chat UI: ``python ui/app.py [--host 127.0.0.1] [--port 7860] [--generator NAME]``.

Why it is shaped this way: the index and models load once at start (a first question should
not wait for torch), the answer streams into the chat and is then replaced by the chain's
final, verified text; every piece of text is escaped by ``ui.render_html`` before it reaches
the browser; failures become one short line in the chat and the app stays usable. Bound to
anything but localhost it refuses to start without ``POLICYQA_UI_USER``/``POLICYQA_UI_PASSWORD``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python ui/app.py` puts ui/, not the repo root, on the path
    sys.path.insert(0, str(ROOT))
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import gradio as gr  # noqa: E402

from rag.chains import QAChain  # noqa: E402
from rag.errors import ConfigError, PolicyQAError  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.types import Answer  # noqa: E402
from ui import render_html as R  # noqa: E402
from ui import targets_tab  # noqa: E402

log = logging.getLogger("policyqa.ui")
UI_ENV = ("POLICYQA_UI_USER", "POLICYQA_UI_PASSWORD")
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_CHARS = 1000
MAX_TOP_K = 20
MAX_HISTORY = 20  # messages kept for follow-ups; the chain itself reads only the last few
LANGUAGES = [("Auto", "auto"), ("English", "en"), ("简体", "zh-Hans"), ("繁體", "zh-Hant")]
EXAMPLES = [
    "How many AI companies does Shenzhen aim to have by 2026?",
    "深圳人工智能终端产品产量目标是多少？",
    "到2024年底深圳人工智能產業規模達到多少？",
    "What does Shenzhen plan for embodied intelligent robots by 2027?",
]
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


class ChatService:
    """What the UI does with the chain, kept apart from the layout so tests can drive it."""

    def __init__(self, chain: QAChain, settings: Settings | None = None, generator: str = "extractive",
                 choices: list[str] | None = None) -> None:
        self.chain = chain
        self.settings = settings
        self.default_generator = generator
        self.choices = [*dict.fromkeys([generator, *(choices or [])])]  # what the Settings offer
        self.docs = chain.index.docs
        self._chains: dict[tuple[str, int], QAChain] = {(generator, chain.top_k): chain}
        self._generators: dict[str, Any] = {generator: chain.generator}

    def chain_for(self, generator: str, top_k: int) -> QAChain:
        """A chain for this generator and top-k that shares the loaded index (nothing rebuilt).

        One chain per setting instead of changing ``chain.top_k`` in place: two users with
        different settings may be answered at the same time.
        """
        generator = generator if generator in self.choices else self.default_generator
        key = (generator, min(max(int(top_k), 1), MAX_TOP_K))  # the API accepts any value: clamp it
        if key not in self._chains:
            if generator not in self._generators:
                from rag.runtime import make_generator

                self._generators[generator] = make_generator(self.settings or Settings.from_env(), generator)
            c = self.chain
            self._chains[key] = QAChain(
                c.index, self._generators[generator], top_k=key[1], evidence_limit=c.evidence_limit,
                abstain_threshold=c.abstain_threshold, max_question_chars=c.max_question_chars,
                time_budget_s=c.time_budget_s, trust_model_abstention_below=c.trust_model_abstention_below,
            )
        return self._chains[key]

    def respond(self, message: str, chat: list[Msg], history: list[Msg], answers: list[Answer],
                language: str = "auto", generator: str = "", top_k: int = 0) -> Iterator[tuple]:
        """Stream one turn. Yields (chatbot, input box, chat, history, answers, sources, cited spans)."""
        chat, history, answers = list(chat or []), list(history or []), list(answers or [])
        skip = gr.skip()

        def out(box: str, sources: Any = skip, cites: Any = skip) -> tuple:
            shown = list(chat)  # a copy per update: the chat list goes on changing
            return shown, box, shown, history, answers, sources, cites

        text = message if isinstance(message, str) else ""
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
        turn = len(answers)
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
                    yield out("")
            if final is None:
                raise RuntimeError("the chain ended without an answer")
        except Exception as exc:  # any failure: one line in the chat, the details in the server log
            if not isinstance(exc, PolicyQAError):
                log.exception("answering %r failed", text[:80])
            chat[-1] = {"role": "assistant", "content": R.error_html(friendly_error(exc))}
            yield out("")
            return
        answers = [*answers, final]
        history = [*history, {"role": "user", "content": text}, {"role": "assistant", "content": final.text}]
        history = history[-MAX_HISTORY:]
        chat[-1] = {"role": "assistant", "content": R.answer_html(final.text, final, turn)}
        yield out("", R.sources_html(final, self.docs, turn),
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
        tabs = gr.Tabs(selected="docs") if str(token).split(":")[2:3] == ["1"] else gr.skip()
        return (R.sources_html(answer, self.docs, turn),
                gr.update(choices=self.cite_choices(answer, turn), value=f"{turn}:{c.n}"),
                gr.update(value=c.doc_id), R.document_html(self.docs.get(c.doc_id), (c.start, c.end)), tabs)

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


def build_ui(service: ChatService) -> gr.Blocks:
    """The page: Chat (answers, sources, settings) and Documents (corpus, original texts)."""
    stats = service.chain.index.stats()
    doc_choices = [(f"{d.meta.title[:60]} — {i}", i) for i, d in sorted(service.docs.items())]
    with gr.Blocks(title="policy-qa") as demo:
        chat_state, history, answers = gr.State([]), gr.State([]), gr.State([])
        gr.HTML(f"<h2>policy-qa</h2><p>Grounded answers about the Shenzhen and Hangzhou AI initiatives "
                f"(2024-2025), in English, 简体 or 繁體. Every claim cites its source. Corpus: "
                f"{stats['documents']} documents, {stats['chunks']} passages.</p>")
        with gr.Tabs() as tabs:
            with gr.Tab("Chat", id="chat"):
                with gr.Row():
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(elem_id="pq-chat", height=520, render_markdown=False,
                                             sanitize_html=True, latex_delimiters=[], buttons=[],
                                             feedback_options=None, show_label=False)
                        msg = gr.Textbox(elem_id="pq-input", lines=1, max_lines=8, show_label=False, autofocus=True,
                                         placeholder="Ask in English, 简体 or 繁體 (Enter sends, Shift+Enter new line)")
                        with gr.Row():
                            send = gr.Button("Send", variant="primary", elem_id="pq-send")
                            clear = gr.Button("Clear conversation", elem_id="pq-clear")
                        language = gr.Radio(LANGUAGES, value="auto", label="Answer language", elem_id="pq-lang")
                        gr.Examples([[q] for q in EXAMPLES], inputs=[msg], label="Examples")
                        with gr.Accordion("Settings", open=False):
                            generator = gr.Dropdown(service.choices, value=service.default_generator, label="Generator")
                            top_k = gr.Slider(1, MAX_TOP_K, value=service.chain.top_k, step=1, label="Passages retrieved (top-k)")
                    with gr.Column(scale=2):
                        sources = gr.HTML(R.sources_html(None, service.docs), elem_id="pq-sources")
            with gr.Tab("Documents", id="docs") as docs_tab:
                gr.HTML(R.documents_table_html(service.docs, stats.get("chunks_per_document", {})))
                with gr.Row():
                    doc_dd = gr.Dropdown(doc_choices, value=None, label="Document", elem_id="pq-doc-select")
                    cite_dd = gr.Dropdown([], value=None, label="Cited span of an answer", elem_id="pq-cite-select")
                doc_view = gr.HTML(R.document_html(None), elem_id="pq-doc-view")
            with gr.Tab("Targets", id="targets"):
                targets_tab.build(service.targets(), service.docs)
        pick_box = gr.Textbox(elem_id="pq-pick", elem_classes="pq-hidden", show_label=False, container=False)
        pick_go = gr.Button("pick", elem_id="pq-go", elem_classes="pq-hidden")

        turn_io = dict(fn=service.respond, inputs=[msg, chat_state, history, answers, language, generator, top_k],
                       outputs=[chatbot, msg, chat_state, history, answers, sources, cite_dd], show_progress="minimal")
        msg.submit(**turn_io)
        send.click(**turn_io)
        cleared = [chatbot, msg, chat_state, history, answers, sources, cite_dd]
        clear.click(service.clear, None, cleared, queue=False)
        chatbot.clear(service.clear, None, cleared, queue=False)  # the chat's own bin icon
        scroll = "() => { window.pqShow && setTimeout(() => window.pqShow(), 100); }"
        picked = [sources, cite_dd, doc_dd, doc_view, tabs]
        pick_go.click(service.pick, [pick_box, answers], picked).then(None, js=scroll)
        cite_dd.input(service.pick, [cite_dd, answers], picked).then(None, js=scroll)
        doc_dd.input(service.show_document, doc_dd, doc_view)
        docs_tab.select(None, js=scroll)
    return demo


def auth_for(host: str, env: Mapping[str, str]) -> tuple[str, str] | None:
    """Login from the environment: required off localhost, used whenever both are set."""
    user, password = env.get(UI_ENV[0], ""), env.get(UI_ENV[1], "")
    if user and password:
        return user, password
    if host in LOCAL_HOSTS:
        return None
    raise ConfigError(f"refusing to listen on {host} without a login: set {UI_ENV[0]} and {UI_ENV[1]} "
                      "(or use --host 127.0.0.1)")


def load_service(settings: Settings, generator: str) -> ChatService:
    """Load the index, the embedder and the generator once, and warm them with one search."""
    from rag.runtime import local_available, make_chain

    if generator == "auto":
        generator = "local" if local_available(settings) else "extractive"
    print(f"policy-qa: loading the index from {settings.index_dir} and the {generator} generator…", flush=True)
    chain = make_chain(settings, generator)
    print("policy-qa: warming up the embedding model (first start can take half a minute)…", flush=True)
    chain.index.search("深圳人工智能企业数量", 1)
    load = getattr(getattr(chain.generator, "chat", None), "load", None)
    if callable(load):
        print("policy-qa: loading the language model…", flush=True)
        try:
            load()
        except PolicyQAError as exc:  # answers fall back to extractive, with a notice
            print(f"policy-qa: warning: {exc}", file=sys.stderr, flush=True)
    choices = ["extractive", *(["local"] if local_available(settings) else []), "openai"]
    return ChatService(chain, settings, generator, choices)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ui/app.py", description="policy-qa chat UI")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--generator", choices=["local", "openai", "extractive", "auto"], default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        auth = auth_for(args.host, os.environ)
        # the UI's own variables are not Settings fields, which refuse unknown POLICYQA_* names
        settings = Settings.from_env({k: v for k, v in os.environ.items() if k not in UI_ENV},
                                     generator=args.generator)
        from rag.runtime import limit_malloc_arenas, set_threads

        set_threads(settings.threads)
        limit_malloc_arenas()
        service = load_service(settings, settings.generator)
    except PolicyQAError as exc:
        print(f"policy-qa: error: {exc}", file=sys.stderr)
        return 2
    demo = build_ui(service)
    demo.queue(default_concurrency_limit=2, max_size=256)
    print(f"policy-qa: starting the web server on {args.host}:{args.port}", flush=True)
    demo.launch(server_name=args.host, server_port=args.port, auth=auth, share=False, inbrowser=False,
                ssr_mode=False, show_error=False, footer_links=[], css=R.CSS, js=R.JS, mcp_server=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
