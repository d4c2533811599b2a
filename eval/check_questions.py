#!/usr/bin/env python3
"""Sanity checks for eval/questions.jsonl (stdlib only).

Checks: valid JSON and field types; allowed langs/tags; unique, consecutive ids;
counts per language, answerable/unanswerable and per tag against the minimums;
every doc_id in the corpus covered (overall and per language); for each
answerable question the FIRST answer string occurs (whitespace removed) in at
least one listed source; unanswerable questions have empty answers/sources;
history well-formed. Warnings (non-fatal): answer strings found in no listed
source (expected for English/numeric variants), and first answers that also
occur in a corpus document not listed in `sources`.

Usage: python3 eval/check_questions.py [--verbose]
(--verbose also lists answer variants that are not verbatim in a source)
"""
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QFILE = ROOT / "eval" / "questions.jsonl"
CORPUS = ROOT / "docs_corpus"

LANGS = {"en", "zh-Hans", "zh-Hant"}
TAGS = {"target", "statistic", "conflict", "multi-turn", "injection",
        "unanswerable", "entity", "date", "qualitative"}
REQUIRED = {"id": str, "lang": str, "question": str, "answers": list,
            "sources": list, "answerable": bool}
MIN_TOTAL = 72
MIN_LANG = {"en": 26, "zh-Hans": 24, "zh-Hant": 22}
MIN_UNANSWERABLE = 12
MIN_TAG = {"conflict": 6, "multi-turn": 6, "injection": 4}

WS = re.compile(r"\s+")


def norm(s):
    return WS.sub("", s)


def main():
    verbose = "--verbose" in sys.argv
    errors, warnings = [], []

    docs = {p.stem: norm(p.read_text(encoding="utf-8")) for p in sorted(CORPUS.glob("*.txt"))}
    try:
        manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
        mids = {m["id"] for m in manifest}
        if mids != set(docs):
            errors.append(f"manifest ids {sorted(mids)} != corpus files {sorted(docs)}")
    except (OSError, ValueError, KeyError, TypeError) as e:
        errors.append(f"manifest.json unreadable: {e}")

    questions = []
    with QFILE.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                errors.append(f"line {n}: blank line")
                continue
            try:
                q = json.loads(line)
            except ValueError as e:
                errors.append(f"line {n}: invalid JSON: {e}")
                continue
            if not isinstance(q, dict):
                errors.append(f"line {n}: not an object")
                continue
            questions.append((n, q))

    ids = Counter()
    lang_c, ans_c, tag_c = Counter(), Counter(), Counter()
    covered = {lang: set() for lang in LANGS}
    for n, q in questions:
        where = f"line {n} ({q.get('id', '?')})"
        bad = False
        for k, t in REQUIRED.items():
            if k not in q:
                errors.append(f"{where}: missing field {k!r}"); bad = True
            elif not isinstance(q[k], t):
                errors.append(f"{where}: field {k!r} should be {t.__name__}"); bad = True
        extra = set(q) - set(REQUIRED) - {"history", "tags"}
        if extra:
            errors.append(f"{where}: unknown fields {sorted(extra)}")
        if bad:
            continue
        ids[q["id"]] += 1
        if q["id"] != f"q{n:03d}":
            errors.append(f"{where}: expected id q{n:03d} (consecutive numbering)")
        if q["lang"] not in LANGS:
            errors.append(f"{where}: bad lang {q['lang']!r}")
        if not q["question"].strip():
            errors.append(f"{where}: empty question")
        if not all(isinstance(a, str) and a.strip() for a in q["answers"]):
            errors.append(f"{where}: answers must be non-empty strings"); continue
        if len(set(q["answers"])) != len(q["answers"]):
            warnings.append(f"{where}: duplicate answer strings")
        for s in q["sources"]:
            if s not in docs:
                errors.append(f"{where}: unknown source {s!r}")
        if len(set(q["sources"])) != len(q["sources"]):
            errors.append(f"{where}: duplicate sources")
        tags = q.get("tags", [])
        if not isinstance(tags, list) or not all(t in TAGS for t in tags):
            errors.append(f"{where}: bad tags {tags!r}"); tags = []
        hist = q.get("history")
        if hist is not None:
            if (not isinstance(hist, list) or not hist or not all(
                    isinstance(h, dict) and set(h) == {"role", "content"}
                    and h["role"] in ("user", "assistant") and isinstance(h["content"], str)
                    and h["content"].strip() for h in hist)):
                errors.append(f"{where}: malformed history")
            elif hist[-1]["role"] != "assistant" or hist[0]["role"] != "user":
                errors.append(f"{where}: history should start with user and end with assistant")
        if ("multi-turn" in tags) != (hist is not None):
            errors.append(f"{where}: 'multi-turn' tag and history must go together")

        lang_c[q["lang"]] += 1
        tag_c.update(tags)
        if q["answerable"]:
            ans_c["answerable"] += 1
            if not q["answers"] or not q["sources"]:
                errors.append(f"{where}: answerable question needs answers and sources"); continue
            if "unanswerable" in tags:
                errors.append(f"{where}: answerable but tagged unanswerable")
            first = norm(q["answers"][0])
            if not any(first in docs[s] for s in q["sources"] if s in docs):
                errors.append(f"{where}: first answer {q['answers'][0]!r} not found in sources {q['sources']}")
            for a in q["answers"][1:]:
                if verbose and not any(norm(a) in docs[s] for s in q["sources"] if s in docs):
                    warnings.append(f"{where}: variant {a!r} not verbatim in sources")
            missing = [d for d, t in docs.items() if d not in q["sources"] and first in t]
            if missing and len(first) >= 4:
                warnings.append(f"{where}: first answer {q['answers'][0]!r} also occurs in unlisted {missing}")
            if q["lang"] in covered:
                covered[q["lang"]].update(s for s in q["sources"] if s in docs)
        else:
            ans_c["unanswerable"] += 1
            if q["answers"] or q["sources"]:
                errors.append(f"{where}: unanswerable question must have empty answers and sources")
            if "unanswerable" not in tags:
                warnings.append(f"{where}: unanswerable but not tagged 'unanswerable'")

    for i, c in ids.items():
        if c > 1:
            errors.append(f"duplicate id {i} ({c}x)")

    total = sum(lang_c.values())
    if total < MIN_TOTAL:
        errors.append(f"only {total} questions (< {MIN_TOTAL})")
    for lang, m in MIN_LANG.items():
        if lang_c[lang] < m:
            errors.append(f"only {lang_c[lang]} {lang} questions (< {m})")
    if ans_c["unanswerable"] < MIN_UNANSWERABLE:
        errors.append(f"only {ans_c['unanswerable']} unanswerable (< {MIN_UNANSWERABLE})")
    for t, m in MIN_TAG.items():
        if tag_c[t] < m:
            errors.append(f"only {tag_c[t]} '{t}' questions (< {m})")
    langs_with_unans = {q["lang"] for _, q in questions if q.get("answerable") is False}
    if langs_with_unans != LANGS:
        errors.append(f"unanswerable questions missing in {sorted(LANGS - langs_with_unans)}")
    for lang in sorted(LANGS):
        miss = set(docs) - covered[lang]
        if miss:
            errors.append(f"{lang}: documents never used as a source: {sorted(miss)}")
    all_cov = set().union(*covered.values())

    print(f"questions: {total}")
    print("per lang:  " + ", ".join(f"{k}={lang_c[k]}" for k in sorted(LANGS)))
    print(f"answerable={ans_c['answerable']} unanswerable={ans_c['unanswerable']}")
    print("tags:      " + ", ".join(f"{k}={v}" for k, v in sorted(tag_c.items())))
    print(f"docs covered: {len(all_cov)}/{len(docs)}")
    src_c = Counter(s for _, q in questions for s in q.get("sources", []) if isinstance(q.get("sources"), list))
    for d in sorted(docs):
        print(f"  {src_c[d]:3d}  {d}")
    if warnings:
        print(f"\n{len(warnings)} warning(s):")
        for w in warnings:
            print("  WARN " + w)
    if errors:
        print(f"\n{len(errors)} error(s):")
        for e in errors:
            print("  ERROR " + e)
        return 1
    print("\nOK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
