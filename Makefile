# One entry point for developers and CI (.ci/run calls these targets with its own VENV).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
UPSTREAM_NOTE := note: upstream llmring did not install (pip's output: \
	$(VENV)/upstream-install.log); tests/sdk/test_upstream_llmring.py will skip

.PHONY: install lint typecheck test check demo wheel-check bench fuzz

install:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@# Upstream llmring is optional (its tests skip without it) and heavy: try, never fail,
	@# but say why (pip's output is kept in the venv).
	@$(BIN)/python -m pip install --quiet -e ".[upstream]" >$(VENV)/upstream-install.log 2>&1 \
		|| { tail -n 3 $(VENV)/upstream-install.log; echo "$(UPSTREAM_NOTE)"; }

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy

test:
	$(BIN)/pytest -q -n 2

check: lint typecheck test

# The fuzz tests, long: thousands of inputs per target (`make test` runs a bounded few).
fuzz:
	$(BIN)/pytest -q -n 2 -m fuzz --hypothesis-profile=fuzz --hypothesis-show-statistics

# The wheel must ship the library, the pytest plugin and the type marker.
wheel-check:
	rm -rf dist && $(BIN)/python -m pip wheel --quiet --no-deps -w dist .
	$(BIN)/python -c "import zipfile,glob; n=zipfile.ZipFile(glob.glob('dist/*.whl')[0]).namelist(); \
	need=['llmring_replay/py.typed','pytest_llmring_replay/plugin.py','llmring_replay/cli/__init__.py', \
	'llmring_replay/simulator/scenario.schema.json','llmring_replay/simulator/scenarios/weather.yaml']; \
	missing=[x for x in need if x not in n]; assert not missing, missing; print('wheel ok:', len(n), 'files')"

# The main job, offline: the bundled cassettes of all four providers through LLMRing.
demo:
	$(BIN)/python examples/demo.py

bench:
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	@# Each script's wall time is printed after it: the whole run must stay under 10 minutes.
	status=0; for script in benchmarks/*.py; do start=$$(date +%s); \
		$(BIN)/python $$script || status=1; \
		echo "[$$script took $$(( $$(date +%s) - start )) s]"; echo; done; exit $$status
