"""e5 query vectors from the int8 ONNX graph (built by ``rag.tools.e5onnx``), run by ONNX Runtime.

The hot path is the Rust tokenizer and one ``session.run``: no sentence-transformers, no torch.
Tokenisation matches sentence-transformers' (text stripped, ``<s> ... </s>``, at most 512 tokens).
One thread by default: on 2 shared cores a single short query measured as fast or faster on one
thread than on two (bench/bench_query_encoder.py), and it leaves the other core to the LLM.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import ModelNotAvailableError
from rag.tools.e5onnx import EXPORTER_VERSION, MAKE_TARGET, MARKER, MODEL_FILE, onnx_dir, source_sha

MAX_TOKENS = 512


def missing_message(model_dir: Path, why: str) -> str:
    return (f"ONNX query encoder {why} at {onnx_dir(model_dir) / MODEL_FILE}; build it with `{MAKE_TARGET}` "
            f"(or `python -m rag.tools.e5onnx --model-dir {model_dir}`), or set POLICYQA_QUERY_ENCODER=torch")


class OnnxQueryEncoder:
    """Maps one prefixed text (``query: ...``) to a unit-length float32 vector; loads lazily.

    Raises ModelNotAvailableError, naming the make target, when the graph or onnxruntime is missing
    or the graph was exported from another model.
    """

    def __init__(self, model_dir: Path, *, threads: int = 1, model_file: Path | None = None,
                 check_marker: bool = True) -> None:
        if not 1 <= threads <= 256:
            raise ValueError(f"threads must be between 1 and 256, got {threads}")
        self.model_dir = Path(model_dir)
        self.model_file = Path(model_file) if model_file else onnx_dir(self.model_dir) / MODEL_FILE
        self.threads = threads
        self.check_marker = check_marker
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def check(self) -> None:
        """Raise ModelNotAvailableError unless the graph is there and was exported from this model."""
        if not self.model_file.is_file():
            raise ModelNotAvailableError(missing_message(self.model_dir, "not found"))
        if self.check_marker:
            try:
                marker = json.loads((self.model_file.parent / MARKER).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                raise ModelNotAvailableError(missing_message(self.model_dir, "has no export marker")) from None
            if marker.get("exporter_version") != EXPORTER_VERSION or marker.get("source_sha256") != source_sha(
                self.model_dir
            ):
                raise ModelNotAvailableError(missing_message(self.model_dir, "was exported from another model"))

    def load(self) -> None:
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            self.check()
            try:
                import onnxruntime as ort
            except ImportError as exc:
                raise ModelNotAvailableError(
                    f"onnxruntime is not installed ({exc}): pip install onnxruntime==1.30.0, or `make setup`"
                ) from None
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
            tok.enable_truncation(MAX_TOKENS)
            tok.no_padding()
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = self.threads
            opts.inter_op_num_threads = 1
            opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            # idle workers sleep instead of spinning: spinning steals the core an LLM is decoding on
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            opts.log_severity_level = 3
            session = ort.InferenceSession(str(self.model_file), opts, providers=["CPUExecutionProvider"])
            self._tokenizer = tok
            self._session = session

    def token_ids(self, text: str) -> np.ndarray:
        """Token ids of one prefixed text, shape (1, n): the tokenise stage."""
        self.load()
        return np.asarray([self._tokenizer.encode(text.strip()).ids], dtype=np.int64)

    def run(self, ids: np.ndarray) -> np.ndarray:
        """The encode stage: a (1, n) id array to one (dim,) unit vector."""
        self.load()
        out = self._session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0]
        return np.ascontiguousarray(out[0], dtype=np.float32)

    def encode(self, text: str) -> np.ndarray:
        return self.run(self.token_ids(text))
