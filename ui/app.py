"""policy-qa chat UI: ``python ui/app.py [--host 127.0.0.1] [--port 7860] [--generator NAME]``.

Why it is shaped this way: the index and models load once at start (a first question should
not wait for torch), the answer streams into the chat and is then replaced by the chain's
final, verified text; every piece of text is escaped by ``ui.render_html`` before it reaches
the browser; failures become one short line in the chat and the app stays usable. Bound to
anything but localhost it refuses to start without ``POLICYQA_UI_USER``/``POLICYQA_UI_PASSWORD``.
The same process serves the HTTP API under /v1 (``ui.api``), takes uploads (``ui.library``) and
follows the index folder (``ui.watch``), all behind that one login.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python ui/app.py` puts ui/, not the repo root, on the path
    sys.path.insert(0, str(ROOT))
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import gradio as gr  # noqa: E402

from rag.errors import ConfigError, PolicyQAError  # noqa: E402
from rag.settings import Settings  # noqa: E402
from ui import render_html as R  # noqa: E402
from ui import targets_tab  # noqa: E402
from ui.library import Library  # noqa: E402
from ui.library_tab import LibraryPanel, doc_choices, docs_table, header  # noqa: E402
from ui.service import MAX_TOP_K, ChatService, friendly_error, too_long  # noqa: E402, F401 -- used by tests

log = logging.getLogger("policyqa.ui")
UI_ENV = ("POLICYQA_UI_USER", "POLICYQA_UI_PASSWORD")
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
LANGUAGES = [("Auto", "auto"), ("English", "en"), ("简体", "zh-Hans"), ("繁體", "zh-Hant")]
EXAMPLES = [
    "How many AI companies does Shenzhen aim to have by 2026?",
    "深圳人工智能终端产品产量目标是多少？",
    "到2024年底深圳人工智能產業規模達到多少？",
    "What does Shenzhen plan for embodied intelligent robots by 2027?",
]


def export_markdown(answers: list, request: gr.Request) -> object:
    """The conversation as a Markdown file to download (citation links absolute to this server)."""
    import tempfile
    import time

    from ui.export import conversation_markdown

    if not answers:
        gr.Info("Nothing to export yet: ask a question first.")
        return gr.skip()
    host = (request.headers.get("host") if request is not None else "") or "127.0.0.1"
    text = conversation_markdown(answers, f"http://{host}", time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    path = Path(tempfile.mkdtemp(prefix="policyqa-export-")) / "policy-qa-conversation.md"
    path.write_text(text, encoding="utf-8")
    return gr.update(value=str(path), visible=True)


def build_ui(service: ChatService, library: Library | None = None, login_required: bool = False,
             poll_s: float = 2.0) -> gr.Blocks:
    """The page: Chat (answers, sources, settings), Documents (corpus, original texts, uploads), Targets."""
    panel = LibraryPanel(service, library, login_required)
    with gr.Blocks(title="policy-qa") as demo:
        chat_state, history, answers = gr.State([]), gr.State([]), gr.State([])
        seen = gr.State(service.version)  # the index version this page shows
        head = gr.HTML(header(service), elem_id="pq-header")
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
                            export = gr.Button("Export as Markdown", elem_id="pq-export")
                        export_file = gr.File(label="Conversation (Markdown)", elem_id="pq-export-file",
                                              interactive=False, visible=False, height=90)
                        language = gr.Radio(LANGUAGES, value="auto", label="Answer language", elem_id="pq-lang")
                        gr.Examples([[q] for q in EXAMPLES], inputs=[msg], label="Examples")
                        with gr.Accordion("Settings", open=False):
                            generator = gr.Dropdown(service.choices, value=service.default_generator, label="Generator")
                            top_k = gr.Slider(1, MAX_TOP_K, value=service.chain.top_k, step=1, label="Passages retrieved (top-k)")
                    with gr.Column(scale=2):
                        sources = gr.HTML(R.sources_html(None, service.docs), elem_id="pq-sources")
            with gr.Tab("Documents", id="docs") as docs_tab:
                table = gr.HTML(docs_table(service), elem_id="pq-docs-table")
                with gr.Row():
                    doc_dd = gr.Dropdown(doc_choices(service), value=None, label="Document", elem_id="pq-doc-select")
                    cite_dd = gr.Dropdown([], value=None, label="Cited span of an answer", elem_id="pq-cite-select")
                doc_view = gr.HTML(R.document_html(None), elem_id="pq-doc-view")
                lib = panel.build()  # below the view, so that a citation link lands near its span
            with gr.Tab("Targets", id="targets"):
                targets_tab.build(service.targets(), service.docs)
        pick_box = gr.Textbox(elem_id="pq-pick", elem_classes="pq-hidden", show_label=False, container=False)
        pick_go = gr.Button("pick", elem_id="pq-go", elem_classes="pq-hidden")

        # two lanes: extractive turns are answered in their own queue, never behind a model's
        # answers (bounded by POLICYQA_LLM_TIMEOUT_S, but a stuck backend would still hold them up)
        pending = gr.State("")  # a model turn handed from the first lane to the second
        turn_out = [chatbot, msg, chat_state, history, answers, sources, cite_dd]
        settings_in = [language, generator, top_k]
        for trigger in (msg.submit, send.click):
            trigger(service.respond_fast, [msg, chat_state, history, answers, *settings_in], [*turn_out, pending],
                    show_progress="minimal", concurrency_id="answers", concurrency_limit=4).then(
                service.respond_model, [pending, chat_state, history, answers, *settings_in], turn_out,
                show_progress="hidden", concurrency_id="model", concurrency_limit=2)
        cleared = [chatbot, msg, chat_state, history, answers, sources, cite_dd]
        clear.click(service.clear, None, cleared, queue=False)
        chatbot.clear(service.clear, None, cleared, queue=False)  # the chat's own bin icon
        scroll = "() => { window.pqShow && setTimeout(() => window.pqShow(), 100); }"
        picked = [sources, cite_dd, doc_dd, doc_view, tabs]
        pick_go.click(service.pick, [pick_box, answers], picked).then(None, js=scroll)
        cite_dd.input(service.pick, [cite_dd, answers], picked).then(None, js=scroll)
        doc_dd.input(service.show_document, doc_dd, doc_view)
        docs_tab.select(None, js=scroll)
        export.click(export_markdown, [answers], [export_file])
        # a citation link (/?doc=ID&start=S&end=E) opens the Documents tab on that span
        def open_link(request: gr.Request) -> tuple:
            return service.open_link(dict(request.query_params))

        demo.load(open_link, None, [tabs, doc_dd, doc_view], queue=False).then(None, js=scroll)
        # a page's first paint holds the version the app started with: bring it up to date at once
        followed = [head, table, doc_dd, lib["remove_dd"], seen]
        demo.load(panel.refresh, [seen], followed, queue=False, show_progress="hidden")
        gr.Timer(poll_s).tick(panel.refresh, [seen], followed, queue=False, show_progress="hidden")
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
    from rag.text.dictionary import chinese_for

    chinese_for("policy")  # the dictionary's English->Chinese table, built once (about 2 s) before the first question
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
    serve(service, settings, auth, args.host, args.port)
    return 0


def serve(service: ChatService, settings: Settings, auth: tuple[str, str] | None, host: str, port: int) -> None:
    """One server: the HTTP API under /v1 and the page at /, both behind the same login, while a
    watcher swaps in each new index version (an upload here, or ``python -m rag index`` elsewhere)."""
    import uvicorn
    from fastapi import FastAPI

    from rag.runtime import open_index
    from ui.api import Api, add_routes
    from ui.throttle import LoginThrottle, ThrottledLogin
    from ui.watch import IndexWatcher

    embedder = service.chain.index.embedder
    watcher = IndexWatcher(settings.index_dir, lambda: open_index(settings, embedder), service.swap,
                           service.version, settings.index_poll_s).start()
    library = Library(settings, embedder, watcher.check)
    demo = build_ui(service, library, login_required=auth is not None, poll_s=settings.index_poll_s)
    demo.queue(default_concurrency_limit=2, max_size=256)
    throttle = LoginThrottle(settings.login_backoff_s)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    add_routes(app, Api(service, auth, throttle))
    app.add_middleware(ThrottledLogin, throttle=throttle)
    gr.mount_gradio_app(app, demo, "/", auth=auth, show_error=False, footer_links=[], css=R.CSS, js=R.JS,
                        ssr_mode=False, mcp_server=False, max_file_size=settings.upload_max_mb * 2**20,
                        server_name=host, server_port=port)
    print(f"policy-qa: starting the web server on {host}:{port} (HTTP API under /v1)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


if __name__ == "__main__":
    sys.exit(main())
