# Two entry points for a new machine: `make demo` and `make test`.
# Each creates .venv if missing and installs what it needs; re-running is cheap.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

.PHONY: demo test test-slow test-numerics lint bench clean mutate docs

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	touch $@

# npdnn with what the CLI needs (scikit-learn, pandas, matplotlib, tqdm)
$(VENV)/.all: $(VENV)/.created pyproject.toml
	$(PIP) install --quiet -e '.[all]'
	touch $@

# plus the test-only dependencies (torch==2.13.0, the onnx extra, pytest, ruff, hypothesis, nbclient) and the
# docs extra (mkdocs, material, mkdocstrings: ~40 s and ~120 MB more; tests/test_docs.py builds the site)
$(VENV)/.test: $(VENV)/.all pyproject.toml
	$(PIP) install --quiet -e '.[test,docs]'
	touch $@

# the documentation site's tools: mkdocs, mkdocs-material, mkdocstrings[python]
$(VENV)/.docs: $(VENV)/.created pyproject.toml
	$(PIP) install --quiet -e '.[docs]'
	touch $@

# the documentation site, from docs/ (mkdocs.yml) and the docstrings, into site/; --strict: a broken
# link or reference is an error (tests/test_docs.py builds it the same way)
docs: $(VENV)/.docs
	$(VENV)/bin/mkdocs build --strict --site-dir site

demo: $(VENV)/.all
	$(VENV)/bin/npdnn train --early-stopping --plot demo/learning_curves.png --out demo/model.npz

lint: $(VENV)/.test
	$(VENV)/bin/ruff check src tests benchmarks notebooks docs/_hooks.py
	$(VENV)/bin/ruff format --check src tests benchmarks notebooks docs/_hooks.py

# The whole suite but the end-to-end cases marked slow (seconds each: Dask clusters, kill/resume,
# out-of-core in a cgroup, CLI runs on large files); CI (.ci/run) runs those too.
test: lint
	$(PY) -m pytest -n 2 -m "not slow"

test-slow: $(VENV)/.test
	$(PY) -m pytest -n 2 -m slow -p no:cacheprovider

# The BLAS-kernel-dependent tests on the AVX2 kernels every x86-64 CI machine has, on 1 and 2 threads
# (what an AVX2 laptop computes; .ci/run runs it after `make test`).
test-numerics: $(VENV)/.test
	OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1 $(PY) -m pytest -n 2 -m numerics -p no:cacheprovider -q
	OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=2 $(PY) -m pytest -n 2 -m numerics -p no:cacheprovider -q

# the benchmark's peers too: tensorflow-cpu, keras, jax, optax (not test dependencies)
$(VENV)/.bench: $(VENV)/.test pyproject.toml
	$(PIP) install --quiet -e '.[bench]'
	touch $@

# benchmark table vs PyTorch, scikit-learn, Keras and JAX (run by hand; see benchmarks/README.md)
bench: $(VENV)/.bench
	$(PY) benchmarks/bench.py

# mutation testing of the model core, the estimator and the CSV reader (by hand, not in CI; see
# docs/testing.md for its last score and how long it takes). Incremental: a rerun retests only what changed; delete
# mutants/ for a fresh score. One BLAS/OpenMP thread: forked workers must not inherit thread pools. No pytest
# plugin autoload (each mutant's pytest starts faster; the hypothesis tests are not in mutmut's subset).
# `make mutate MUTANTS='npdnn.losses.* npdnn.train.loop.*'` runs only those modules' mutants.
# NPDNN_COMPILED=0: the tests then train through the NumPy path, whose mutants they must kill (with the
# fast extra installed they would run the compiled step instead, and every mutant of the loop would survive).
MUTATE_ENV := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 NPDNN_COMPILED=0
MUTANTS ?=
mutate: $(VENV)/.test
	$(MUTATE_ENV) nice -n 15 $(VENV)/bin/mutmut run --max-children 2 $(foreach m,$(MUTANTS),'$(m)')
	$(VENV)/bin/mutmut results

clean:
	rm -rf $(VENV) demo site .pytest_cache .ruff_cache .hypothesis mutants
