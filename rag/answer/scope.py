"""Is a request within the product's purpose? A logistic regression on the query embedding.

Enters: a question (already cleaned). Leaves: the probability that it asks about policy,
economy, industry, companies, people or figures of news and policy texts, rather than for a
poem, a restaurant, code, chit-chat, general knowledge or advice.

Fitted on first use from ``data/scope_train.tsv`` (examples of both) plus the in-sample
questions of ``eval/questions.jsonl``, on the same e5 query vectors retrieval uses, and cached
per model and data under the cache folder. The decision threshold is a setting
(``POLICYQA_SCOPE_THRESHOLD``), calibrated with ``python -m rag.answer.scope --calibrate`` on
``eval/scope/dev.jsonl`` and the devset's questions, reported on ``eval/scope/heldout.jsonl``
and the held-out questions. Embedders other than e5 (the tests' fake) get no scope model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.retrieval.embeddings import Embedder, embed_query
from rag.settings import PROJECT_ROOT
from rag.text.textnorm import normalize

TRAIN = Path(__file__).parent / "data" / "scope_train.tsv"
IN_SAMPLE = PROJECT_ROOT / "eval" / "questions.jsonl"
DECLINE_TEXT = {
    "en": "I can only answer questions about the policy and news documents in this collection "
          "(targets, funding, companies, people and plans); this request is outside that.",
    "zh-Hans": "我只能回答与本资料库中政策和新闻文件有关的问题（目标、资金、企业、人物和规划），这个请求不在此范围内。",
    "zh-Hant": "我只能回答與本資料庫中政策和新聞文件有關的問題（目標、資金、企業、人物和規劃），這個請求不在此範圍內。",
}


def training_examples() -> tuple[list[str], list[int]]:
    """(questions, labels): 1 within the purpose, 0 outside it."""
    texts, labels = [], []
    for line in TRAIN.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, text = line.split("\t", 1)
            texts.append(text.strip())
            labels.append(1 if label == "in" else 0)
    for line in IN_SAMPLE.read_text(encoding="utf-8").splitlines() if IN_SAMPLE.is_file() else ():
        if line.strip():
            texts.append(json.loads(line)["question"])
            labels.append(1)
    return texts, labels


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, steps: int = 3000, lr: float = 2.0) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by gradient descent, classes weighted to balance."""
    w, b = np.zeros(x.shape[1]), 0.0
    pos = max(1, int(y.sum()))
    weight = np.where(y == 1, len(y) / (2 * pos), len(y) / (2 * max(1, len(y) - pos)))
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        g = weight * (p - y)
        w -= lr * (x.T @ g / len(y) + l2 * w)
        b -= lr * float(g.mean())
    return w, b


class ScopeModel:
    """``probability(question)``: how likely the question is within the product's purpose."""

    def __init__(self, embedder: Embedder, w: np.ndarray, b: float) -> None:
        self.embedder, self.w, self.b = embedder, w, b

    def probability(self, question: str) -> float:
        # the matching form, as retrieval embeds it: the embedder's cache then serves both
        return float(1 / (1 + np.exp(-(embed_query(self.embedder, normalize(question)) @ self.w + self.b))))


_LOCK = threading.Lock()
_MODELS: dict[tuple[int, str], ScopeModel] = {}


def load_scope(embedder: Embedder, cache_dir: Path) -> ScopeModel | None:
    """The fitted model for this embedder (fitted and cached on first use); None unless e5."""
    if "e5" not in getattr(embedder, "name", ""):
        return None
    texts, labels = training_examples()
    digest = hashlib.sha256(json.dumps([embedder.name, "matching-form", texts, labels]).encode()).hexdigest()[:16]
    key = (id(embedder), digest)
    with _LOCK:
        if key not in _MODELS:
            path = cache_dir / "scope" / f"{digest}.npz"
            if path.is_file():
                saved = np.load(path)
                w, b = saved["w"], float(saved["b"])
            else:
                x = np.stack([embed_query(embedder, normalize(t)) for t in texts])
                w, b = fit(x, np.array(labels, dtype=float))
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp.npz")
                np.savez(tmp, w=w, b=b)
                tmp.replace(path)
            _MODELS[key] = ScopeModel(embedder, w, b)
        return _MODELS[key]


def _questions(paths: Sequence[Path]) -> list[tuple[str, int]]:
    out = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                out.append((item["question"], 0 if item.get("scope") == "out" else 1))
    return out


def main(argv: list[str] | None = None) -> int:
    """Declines and false declines at thresholds on a split; --calibrate picks the highest
    threshold with no false decline on it."""
    from rag.runtime import make_embedder
    from rag.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m rag.answer.scope", description=main.__doc__)
    parser.add_argument("files", nargs="+", type=Path, help="JSONL questions; \"scope\": \"out\" marks a request to decline")
    parser.add_argument("--calibrate", action="store_true")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    model = load_scope(make_embedder(settings), settings.cache_dir)
    if model is None:
        raise SystemExit("the scope model needs the e5 embedder")
    scored = [(model.probability(q), label, q) for q, label in _questions(args.files)]
    outs, ins = [s for s in scored if s[1] == 0], [s for s in scored if s[1] == 1]
    print(f"{len(outs)} requests to decline, {len(ins)} questions to answer")
    for t in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
        declined = sum(p < t for p, _, _ in outs) / max(1, len(outs))
        false = sum(p < t for p, _, _ in ins) / max(1, len(ins))
        print(f"threshold {t:.1f}: declined {declined:.2f} of out-of-scope, false declines {false:.2f}")
    if args.calibrate:
        lowest_in = min((p for p, _, _ in ins), default=1.0)
        print(f"lowest in-scope probability {lowest_in:.3f}: a threshold below it declines no question here")
    for p, label, q in sorted(scored)[:8] + sorted(ins)[:5]:
        print(f"  {p:.3f} {'out' if label == 0 else 'in '} {q[:80]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
