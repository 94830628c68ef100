# fastwsgi: `make serve` and `make test` work on a fresh clone with Python 3.11+, gcc and make.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.deps-installed
SOURCES := $(wildcard fastwsgi/*.pyx fastwsgi/*.pxd fastwsgi/engine/*.pyx fastwsgi/engine/*.pxd fastwsgi/includes/*.pxd csrc/*.c csrc/*.h) setup.py pyproject.toml

.PHONY: serve test test-epoll asan build bench bench-quick bench-micro debug clean lint

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "setuptools>=77" wheel "Cython>=3.0"
	$(PY) -m pip install -q -e ".[test]" --no-build-isolation
	touch $(STAMP)

build: fastwsgi/.built

fastwsgi/.built: $(STAMP) $(SOURCES)
	$(PY) setup.py -q build_ext --inplace
	touch $@

serve: build
	$(PY) -m fastwsgi examples.hello:app --bind 127.0.0.1:8000

# The suite on the default backend (io_uring where the kernel allows it), and
# again with the workers forced onto epoll (FASTWSGI_IO_BACKEND sets the
# io_backend setting's default): both backends pass the same tests.
test: build
	$(PY) -m pytest -q

test-epoll: build
	FASTWSGI_IO_BACKEND=epoll $(PY) -m pytest -q

# The engine built with ASan + UBSan in build/asan/ (the build in fastwsgi/ is
# left alone), and the request corpus, the fuzz invariants and the engine tests
# run under it; see scripts/asan.sh.
asan: $(STAMP)
	PY=$(abspath $(PY)) bash scripts/asan.sh

bench: build
	$(PY) bench/run.py

bench-quick: build
	$(PY) bench/run.py --quick

bench-micro: build
	$(PY) -m pytest -q tests/benchmarks --benchmark-enable --benchmark-columns=min,median,ops

debug: $(STAMP)
	FASTWSGI_DEBUG=1 $(PY) setup.py -q build_ext --inplace --force
	touch fastwsgi/.built

clean:
	rm -rf build fastwsgi/_core.c fastwsgi/*.so fastwsgi/.built .pytest_cache
