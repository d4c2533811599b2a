"""Score the targets table against the hand-made gold file ``eval/targets.jsonl``.

The gold file lists, by hand, every target of the four March 2025 Shenzhen action plans as the
two documents that carry them (hkcna, yicai) state it. A predicted row matches a gold line when
doc_id, value and year agree (one-to-one; a row from the same plan is preferred). Precision is
counted over every predicted row attributed to one of those plans in those documents, whatever
its kind, so a plan figure mislabelled "statistic" counts against it. The verbatim check (each
row's value_text inside its quote) runs over all rows.

    python -m rag.eval.targets [--gold eval/targets.jsonl] [--corpus docs_corpus]
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from rag.errors import ConfigError
from rag.targets.table import TargetRow
from rag.text.lexicon import qualifiers
from rag.text.textnorm import to_simplified

GOLD_KEYS = ("doc_id", "plan", "metric", "value", "value_text", "unit", "qualifier", "year", "kind")


def load_gold(path: Path) -> list[dict[str, Any]]:
    """Gold lines; a malformed line is a ConfigError naming the file and line."""
    out = []
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{i}: not JSON ({exc})") from None
        missing = [k for k in GOLD_KEYS if k not in d]
        if missing:
            raise ConfigError(f"{path}:{i}: missing {', '.join(missing)}; expected keys: {', '.join(GOLD_KEYS)}")
        out.append(d)
    return out


def plan_key(plan: str) -> str:
    """Plan titles compared in one form: Simplified, no 《》, one kind of dash and bracket, no spaces."""
    t = to_simplified(plan).translate(str.maketrans("（）—–－", "()---"))
    return re.sub(r"[《》\s]", "", t)


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def score(pred_rows: list[TargetRow], gold_path: Path) -> dict[str, Any]:
    """Precision, recall and F1 of the plan targets, and the verbatim check over all rows."""
    gold = load_gold(gold_path)
    docs = {g["doc_id"] for g in gold}
    plans = {plan_key(g["plan"]) for g in gold}
    preds = [r for r in pred_rows if r.doc_id in docs and r.plan and plan_key(r.plan) in plans]
    free = list(range(len(gold)))
    matched: list[tuple[TargetRow, dict[str, Any]]] = []
    unmatched: list[TargetRow] = []
    for same_plan in (True, False):
        rest = []
        for r in preds if same_plan else unmatched:
            hit = next(
                (
                    i
                    for i in free
                    if r.kind == "target"
                    and gold[i]["doc_id"] == r.doc_id
                    and int(gold[i]["year"]) == r.year
                    and _same(float(gold[i]["value"]), r.value)
                    and (not same_plan or plan_key(gold[i]["plan"]) == plan_key(r.plan))
                ),
                None,
            )
            if hit is None:
                rest.append(r)
            else:
                free.remove(hit)
                matched.append((r, gold[hit]))
        unmatched = rest
    tp = len(matched)
    precision = tp / len(preds) if preds else 0.0
    recall = tp / len(gold) if gold else 0.0
    bad = [r for r in pred_rows if r.value_text not in r.quote]
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(2 * precision * recall / (precision + recall), 4) if tp else 0.0,
        "true_positives": tp,
        "predicted": len(preds),
        "gold": len(gold),
        "missed": [{k: gold[i][k] for k in ("doc_id", "metric", "value_text", "year")} for i in free],
        "spurious": [
            {"doc_id": r.doc_id, "value_text": r.value_text, "year": r.year, "kind": r.kind} for r in unmatched
        ],
        "rows": len(pred_rows),
        "verbatim_ok": not bad,
        "verbatim_failures": [{"doc_id": r.doc_id, "value_text": r.value_text} for r in bad],
    }


FOUND_KEYS = ("doc_id", "value_text", "kind")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", to_simplified(text)).lower()


def _bare(text: str) -> str:
    """A gold figure without the bound words a reader may have copied with it (300个以上, 最高50万元):
    the table keeps those as the row's qualifier, not in its value."""
    out = _squash(text)
    for q in sorted(qualifiers(), key=lambda q: len(q.word), reverse=True):
        w = _squash(q.word)
        if q.direction and out.endswith(w) and len(out) > len(w):
            out = out[: -len(w)]
        elif q.direction and out.startswith(w) and len(out) > len(w):
            out = out[len(w):]
    return out


def score_found(pred_rows: list[TargetRow], gold_path: Path) -> dict[str, Any]:
    """Recall of a held-out gold file of (doc_id, value_text, kind[, year]) lines.

    A gold line is found when one row (used once) of that document states that figure as written
    (a bound word written into the gold value, 300个以上, is the row's qualifier, not its value),
    with that kind (target, cap, rate, budget...), and its quote contains it. Every row of the gold
    documents that matched nothing is listed, so page furniture and mislabelled rows are visible.
    """
    gold = []
    for i, line in enumerate(Path(gold_path).read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            d = json.loads(line)
            missing = [k for k in FOUND_KEYS if k not in d]
            if missing:
                raise ConfigError(f"{gold_path}:{i}: missing {', '.join(missing)}; expected keys: {', '.join(FOUND_KEYS)}")
            gold.append(d)
    docs = {g["doc_id"] for g in gold}
    rows = [r for r in pred_rows if r.doc_id in docs]
    free = list(range(len(rows)))
    found = 0
    kind_wrong: list[dict] = []
    missed: list[dict] = []
    for g in gold:
        same = [i for i in free if rows[i].doc_id == g["doc_id"]
                and _squash(rows[i].value_text) in (_squash(g["value_text"]), _bare(g["value_text"]))
                and _squash(g["value_text"]) in _squash(rows[i].quote)]
        right = [i for i in same if rows[i].kind == g["kind"]]
        if right:
            free.remove(right[0])
            found += 1
        else:
            (kind_wrong if same else missed).append(
                {"doc_id": g["doc_id"], "value_text": g["value_text"], "kind": g["kind"],
                 "got": rows[same[0]].kind if same else None})
    return {
        "found": round(found / len(gold), 4) if gold else 0.0,
        "gold": len(gold),
        "rows": len(rows),
        "wrong_kind": kind_wrong,
        "missed": missed,
        "unmatched_rows": [{"doc_id": r.doc_id, "value_text": r.value_text, "kind": r.kind, "metric": r.metric}
                           for r in (rows[i] for i in free)],
    }


def main(argv: list[str] | None = None) -> int:
    from rag.ingest.corpus import load_corpus
    from rag.targets.table import extract_targets

    ap = argparse.ArgumentParser(prog="python -m rag.eval.targets", description=__doc__.splitlines()[0])
    ap.add_argument("--gold", type=Path, default=Path("eval/targets.jsonl"))
    ap.add_argument("--corpus", type=Path, default=Path("docs_corpus"))
    args = ap.parse_args(argv)
    docs, _ = load_corpus(args.corpus)
    print(json.dumps(score(extract_targets(docs), args.gold), ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
