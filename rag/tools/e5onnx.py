"""Export the converted e5 folder's query encoder to ONNX and quantise it to int8, at install time.

Why: one short query through sentence-transformers costs tens of milliseconds of Python glue and
float32 kernels; the same network as an int8 ONNX graph run by ONNX Runtime, fed by the Rust
tokenizer directly, is several times cheaper (bench/bench_query_encoder.py). The graph takes
``input_ids`` and ``attention_mask`` and returns the mean-pooled, L2-normalised sentence vector,
so nothing but tokenisation is left in Python. Weights are quantised per output channel (dynamic
int8): measured on eval/questions.jsonl, cosine to the float32 query vectors min 0.994, where
per-tensor int8 gave min 0.984. Passages stay on the float32 torch model.

    python -m rag.tools.e5onnx --model-dir <cache>/models/multilingual-e5-small [--force]

The result lives in ``<model-dir>/onnx/`` beside the model (never committed, never downloaded);
it is written to a temporary folder and renamed, and it is verified against the float32 model
on a few probe queries before it is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from rag.errors import ModelNotAvailableError, PolicyQAError
from rag.ingest.corpus import file_sha256

EXPORTER_VERSION = 1
ONNX_DIR = "onnx"
MODEL_FILE = "query-int8.onnx"
MARKER = "policyqa-onnx.json"
MAKE_TARGET = "make e5-onnx"
MIN_PROBE_COSINE = 0.98  # a broken export gives ~0.1-0.5; a good per-channel int8 one 0.99+
PROBES = (
    "How many AI companies does Shenzhen aim to have by 2026?",
    "深圳人工智能终端产品产量到2026年要突破多少？",
    "到2024年底深圳人工智能产业规模达到多少？",
    "robot",
)
INSTALL = "pip install onnxruntime==1.30.0 onnx==1.23.1 (or `make setup`)"


def onnx_dir(model_dir: Path) -> Path:
    return Path(model_dir) / ONNX_DIR


def source_sha(model_dir: Path) -> str:
    """The converted folder's identity: its converter marker names the source image's sha256."""
    marker = Path(model_dir) / "policyqa-convert.json"
    try:
        return str(json.loads(marker.read_text(encoding="utf-8"))["source_sha256"])
    except (OSError, ValueError, KeyError):
        raise ModelNotAvailableError(
            f"e5 model not prepared at {model_dir}; run `make setup` or `python -m rag.tools.e5convert --dest {model_dir}`"
        ) from None


def is_current(model_dir: Path) -> bool:
    """True when ``<model_dir>/onnx`` holds an export of this very model by this exporter version."""
    folder = onnx_dir(model_dir)
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        marker.get("exporter_version") == EXPORTER_VERSION
        and marker.get("source_sha256") == source_sha(model_dir)
        and (folder / MODEL_FILE).is_file()
    )


def _export_fp32(model_dir: Path, out: Path) -> None:
    """Trace BertModel + mean pooling + L2 normalisation into one ONNX graph (eager attention traces cleanly)."""
    import warnings

    import torch
    from transformers import BertModel

    bert = BertModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager").eval()

    class Pooled(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    ids = torch.tensor([[0, 1000, 2000, 3000, 2]])
    axes = {"batch": 0, "seq": 1}
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer notes about constant-folded mask shapes
        torch.onnx.export(
            Pooled(bert), (ids, torch.ones_like(ids)), str(out),
            input_names=["input_ids", "attention_mask"], output_names=["embedding"],
            dynamic_axes={"input_ids": {v: k for k, v in axes.items()},
                          "attention_mask": {v: k for k, v in axes.items()}, "embedding": {0: "batch"}},
            opset_version=17, dynamo=False,
        )


def _quantise(src: Path, dst: Path) -> None:
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(logging.ERROR)  # the quantiser's "consider pre-processing" notice
    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})


def _probe_cosines(model_dir: Path, model_file: Path) -> list[float]:
    """Cosine of the int8 graph's query vectors to the float32 sentence-transformers ones."""
    from sentence_transformers import SentenceTransformer

    from rag.retrieval.onnx_query import OnnxQueryEncoder

    ref = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True).encode(
        [f"query: {p}" for p in PROBES], normalize_embeddings=True, convert_to_numpy=True)
    enc = OnnxQueryEncoder(model_dir, model_file=model_file, check_marker=False)
    got = np.stack([enc.encode(f"query: {p}") for p in PROBES])
    return [round(float(c), 4) for c in (got * ref).sum(1)]


def export(model_dir: Path, *, force: bool = False) -> tuple[Path, bool]:
    """Build ``<model_dir>/onnx/query-int8.onnx``; returns (path, whether work was done).

    Raises:
        ModelNotAvailableError: the e5 folder or onnxruntime is missing, or the result fails the probe check.
    """
    model_dir = Path(model_dir).expanduser()
    sha = source_sha(model_dir)
    final = onnx_dir(model_dir)
    if not force and is_current(model_dir):
        return final / MODEL_FILE, False
    try:
        import onnx  # noqa: F401
        import onnxruntime
    except ImportError as exc:
        raise ModelNotAvailableError(f"cannot export the ONNX query encoder ({exc}): {INSTALL}") from None
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix=f".{ONNX_DIR}.tmp-", dir=model_dir))
    try:
        with tempfile.TemporaryDirectory(dir=model_dir, prefix=".onnx-fp32-") as scratch:
            fp32 = Path(scratch) / "model-fp32.onnx"  # 470 MB, only needed to quantise from
            _export_fp32(model_dir, fp32)
            _quantise(fp32, tmp / MODEL_FILE)
        cosines = _probe_cosines(model_dir, tmp / MODEL_FILE)
        if min(cosines) < MIN_PROBE_COSINE:
            raise ModelNotAvailableError(
                f"the int8 ONNX export disagrees with the float32 model (probe cosines {cosines}, "
                f"need >= {MIN_PROBE_COSINE}); set POLICYQA_QUERY_ENCODER=torch")
        import onnxruntime

        marker = {"source_sha256": sha, "exporter_version": EXPORTER_VERSION, "file": MODEL_FILE,
                  "sha256": file_sha256(tmp / MODEL_FILE), "quantisation": "dynamic int8, per channel, weights QInt8",
                  "onnxruntime": onnxruntime.__version__, "probe_cosines": cosines,
                  "seconds": round(time.perf_counter() - started, 1)}
        (tmp / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        mask = os.umask(0o22)
        os.umask(mask)
        for p in (tmp, *tmp.iterdir()):
            p.chmod((0o777 if p.is_dir() else 0o666) & ~mask)
        if final.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{ONNX_DIR}.old-", dir=model_dir))
            os.replace(final, old / "x")
            shutil.rmtree(old, ignore_errors=True)
        os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final / MODEL_FILE, True


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m rag.tools.e5onnx --model-dir DIR [--force]``; prints one line."""
    parser = argparse.ArgumentParser(prog="python -m rag.tools.e5onnx", description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True, help="the converted e5 folder (rag.tools.e5convert)")
    parser.add_argument("--force", action="store_true", help="export again even if the folder is current")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        path, done = export(args.model_dir, force=args.force)
    except (PolicyQAError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    marker = json.loads((path.parent / MARKER).read_text(encoding="utf-8"))
    what = "exported" if done else "already exported"
    print(f"{what}: {path} ({path.stat().st_size / 1e6:.0f} MB, probe cosine min {min(marker['probe_cosines'])}) "
          f"in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
