"""Command line: ``python -m rag index | search | ask | eval | targets | stats``.

Every user-facing failure is printed as one line on stderr with a non-zero exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from rag.errors import ConfigError, PolicyQAError
from rag.settings import GENERATORS, Settings


def _positive_k(value: str) -> int:
    try:
        k = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number between 1 and 50, got {value!r}") from None
    if not 1 <= k <= 50:
        raise argparse.ArgumentTypeError(f"must be between 1 and 50, got {k}")
    return k


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m rag", description="policy-qa: grounded Q&A over Chinese policy texts")
    sub = p.add_subparsers(dest="command", required=True)

    pi = sub.add_parser("index", help="build or update the index of the corpus folder")
    pi.add_argument("--corpus", type=Path, help="corpus folder (default: docs_corpus/)")
    pi.add_argument("--index", type=Path, help="index folder (default: index/)")
    pi.add_argument("--rebuild", action="store_true", help="re-embed everything even if up to date")

    ps = sub.add_parser("search", help="ranked passages for a query")
    ps.add_argument("query")
    ps.add_argument("-k", type=_positive_k, default=5, help="number of passages (1-50, default 5)")
    ps.add_argument("--index", type=Path)
    ps.add_argument("--json", action="store_true", help="print JSON instead of text")

    pa = sub.add_parser("ask", help="answer a question with verified citations")
    pa.add_argument("question")
    pa.add_argument("--generator", choices=GENERATORS, help="default: local when installed, else extractive")
    pa.add_argument("--lang", choices=("en", "zh-Hans", "zh-Hant"), help="answer language (default: the question's)")
    pa.add_argument("--index", type=Path)
    pa.add_argument("--json", action="store_true", help="print JSON instead of text")

    pe = sub.add_parser("eval", help="score the system on a question set (JSONL)")
    pe.add_argument("--questions", type=Path, action="append",
                    help="question file (JSONL); repeatable (default: eval/questions.jsonl)")
    pe.add_argument("--out", type=Path, help="write one JSON line per question here")
    pe.add_argument("--retrieval-only", action="store_true", help="score retrieval only (no answers)")
    pe.add_argument("--generator", choices=GENERATORS)
    pe.add_argument("--calibrate", action="store_true", help="print abstention threshold candidates")
    pe.add_argument("--targets", type=Path, help="score the targets table against this gold JSONL instead")
    pe.add_argument("--limit", type=int, help="only the first N questions")
    pe.add_argument("-k", type=_positive_k, default=5)
    pe.add_argument("--index", type=Path)
    pe.add_argument("--corpus-extra", type=Path, action="append", default=[], metavar="DIR",
                    help="also index this folder (with its manifest.json) in a separate index and score on both; "
                         "repeatable; the real corpus and index are untouched")

    pg = sub.add_parser("targets", help="the numeric targets and reported figures the corpus states")
    pg.add_argument("--format", choices=("table", "csv", "json"), default="table")
    pg.add_argument("--scope", help="e.g. Shenzhen, Beijing, China")
    pg.add_argument("--year", help="e.g. 2026")
    pg.add_argument("--kind", help="target, statistic, cap (a subsidy ceiling), rate (a subsidy share) or budget")
    pg.add_argument("--index", type=Path)

    pt = sub.add_parser("stats", help="index statistics")
    pt.add_argument("--index", type=Path)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from rag.runtime import set_threads
    from rag.settings import Settings

    try:
        settings = Settings.from_env(
            corpus_dir=getattr(args, "corpus", None),
            index_dir=getattr(args, "index", None),
        )
        set_threads(settings.threads)
        return COMMANDS[args.command](args, settings)
    except PolicyQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from rag.index import build_index
    from rag.runtime import make_embedder

    if not settings.corpus_dir.is_dir():
        raise ConfigError(f"corpus folder not found: {settings.corpus_dir} (give --corpus DIR)")
    t0 = time.perf_counter()
    bar = _ProgressBar()
    try:
        report = build_index(
            settings.corpus_dir, settings.index_dir, make_embedder(settings),
            chunk_size=settings.chunk_size, overlap=settings.chunk_overlap, rebuild=args.rebuild,
            lock_wait_s=settings.index_lock_wait_s, max_file_bytes=int(settings.max_file_mb * 2**20), progress=bar,
        )
    finally:
        bar.close()
    for w in report.warnings:
        print(f"warning: {w}", file=sys.stderr)
    state = "up to date" if report.up_to_date else f"built {report.version}"
    print(
        f"index {state}: {report.n_docs} documents, {report.n_chunks} chunks "
        f"({report.embedded} embedded, {report.reused} reused) in {time.perf_counter() - t0:.1f} s -> {report.index_dir}"
    )
    return 0


class _ProgressBar:
    """A tqdm bar on stderr for builds that embed many chunks (small updates stay silent)."""

    MIN_CHUNKS = 500  # about 15 s of e5 on 2 cores

    def __init__(self) -> None:
        self.bar = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None and total >= self.MIN_CHUNKS:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="chunk", desc="embedding", file=sys.stderr, mininterval=1.0)
        if self.bar is not None:
            self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from rag.answer.guard import clean_question
    from rag.runtime import open_index

    query = clean_question(args.query, settings.max_question_chars)
    index = open_index(settings)
    t0 = time.perf_counter()
    hits = index.search(query, args.k)
    ms = (time.perf_counter() - t0) * 1000
    if args.json:
        print(json.dumps({"query": query, "latency_ms": round(ms, 2), "hits": [
            {"rank": h.rank, "doc_id": h.chunk.doc_id, "chunk_id": h.chunk.chunk_id, "score": round(h.score, 6),
             "dense": h.dense_score, "bm25": h.bm25_score, "start": h.chunk.raw_start, "end": h.chunk.raw_end,
             "section": h.chunk.section, "text": h.chunk.text} for h in hits]}, ensure_ascii=False, indent=1))
        return 0
    print(f"{len(hits)} passages for {query!r} ({ms:.0f} ms)")
    for h in hits:
        print(f"\n[{h.rank}] {h.chunk.doc_id}  chars {h.chunk.raw_start}-{h.chunk.raw_end}  score {h.score:.4f}")
        print(f"    {h.chunk.section}")
        print("    " + h.chunk.text.replace("\n", "\n    "))
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from rag.eval.evaluate import (
        calibrate,
        evaluate_answers,
        evaluate_retrieval,
        format_answer_metrics,
        format_metrics,
        load_questions,
    )
    from rag.runtime import make_chain, open_index

    if args.corpus_extra:
        settings = _extra_corpus_settings(settings, args.corpus_extra)
    if args.targets:
        from rag.eval.targets import score, score_found

        index = open_index(settings)
        first = next((ln for ln in args.targets.read_text(encoding="utf-8").splitlines() if ln.strip()), "{}")
        # a plan-level gold (eval/targets.jsonl) or a found-with-kind gold (eval/heldout/targets.jsonl)
        scored = (score if "plan" in json.loads(first) else score_found)(index.targets, args.targets)
        print(json.dumps(scored, ensure_ascii=False, indent=1))
        return 0
    questions = [q for path in (args.questions or [Path("eval/questions.jsonl")]) for q in load_questions(path)]
    if args.limit is not None:
        if args.limit < 1:
            raise ConfigError(f"--limit must be at least 1, got {args.limit}")
        questions = questions[: args.limit]
    if args.retrieval_only:
        index = open_index(settings)
        index.search("warm up", 1)
        report = evaluate_retrieval(questions, lambda q: index.search(q, args.k), time.perf_counter)
        rows, text = report.rows, format_metrics(report.metrics)
    else:
        if args.calibrate:
            settings = settings.replace(abstain_threshold=0.0)
        chain = make_chain(settings, args.generator)
        chain.index.search("warm up", 1)
        result = evaluate_answers(questions, lambda q: chain.ask(q.question, q.history), time.perf_counter)
        rows = result.rows
        text = f"generator: {chain.generator.name}\n" + format_answer_metrics(result.metrics)
        if args.calibrate:
            text += "\n\n| threshold | abstention accuracy | false abstention | correct answers lost |\n|---|---|---|---|\n"
            text += "\n".join(
                f"| {r['threshold']:.2f} | {r['abstention_accuracy']:.2f} | {r['false_abstention']:.2f} | "
                f"{r['correct_lost']:.2f} |" for r in calibrate(result.supports)
            )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(text)
    return 0


def _extra_corpus_settings(settings, extras: list[Path]):  # type: ignore[no-untyped-def]
    """Settings pointing at an up-to-date index of the corpus plus ``extras`` (built here if needed)."""
    from rag.eval.heldout import eval_folders
    from rag.index import build_index
    from rag.runtime import make_embedder

    corpus, index = eval_folders(settings.cache_dir, settings.corpus_dir, extras)
    report = build_index(corpus, index, make_embedder(settings), chunk_size=settings.chunk_size,
                         overlap=settings.chunk_overlap)
    for w in report.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(f"evaluation index: {report.n_docs} documents, {report.n_chunks} chunks ({report.embedded} embedded) "
          f"-> {index}", file=sys.stderr)
    return settings.replace(corpus_dir=corpus, index_dir=index)


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from rag.answer.guard import clean_question
    from rag.render import answer_json, answer_text
    from rag.runtime import make_chain

    question = clean_question(args.question, settings.max_question_chars)
    chain = make_chain(settings, args.generator)
    answer = chain.ask(question, language=args.lang)
    print(answer_json(answer) if args.json else answer_text(answer), flush=True)
    return 0


def cmd_targets(args: argparse.Namespace, settings: Settings) -> int:
    from rag.runtime import open_index
    from rag.targets.table import filter_rows, format_rows

    rows = filter_rows(open_index(settings).targets, scope=args.scope, year=args.year, kind=args.kind)
    print(format_rows(rows, args.format), end="")
    if args.format == "table":
        from rag.targets.table import conflicts

        for c in conflicts(rows):
            values = "; ".join(f"{r.value_text} ({r.doc_id}, as of {r.as_of})" for r in c.rows)
            print(f"\nconflict: {c.scope} {c.year} {c.kind} {c.rows[0].metric}: {values}")
    return 0


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    from rag.runtime import open_index

    print(json.dumps(open_index(settings).stats(), ensure_ascii=False, indent=1))
    return 0


COMMANDS = {
    "index": cmd_index, "search": cmd_search, "ask": cmd_ask, "eval": cmd_eval, "targets": cmd_targets,
    "stats": cmd_stats,
}

def exit_with(code: int) -> None:
    """Exit; while a given-up generation still runs inside llama.cpp, without tearing the model
    down under it (that crashes the process after the answer was printed)."""
    from rag.answer.deadline import generation_running

    sys.stdout.flush()
    sys.stderr.flush()
    if generation_running():
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    exit_with(main())
