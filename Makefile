# The two commands: `make demo` (the main job, end to end) and `make test` (every test). Both set up the
# workspace first (scripts/bootstrap.sh: idempotent, seconds when nothing changed).
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eo pipefail -c
ENV := source scripts/env.sh

.PHONY: setup demo test lint bench clean

setup:
	bash scripts/bootstrap.sh

demo: setup
	$(ENV)
	python scripts/demo.py

# colcon build + colcon test (every package, linters included) + the workspace tests in test/.
test: setup
	$(ENV)
	colcon test --event-handlers console_cohesion- --return-code-on-test-failure || status=$$?
	colcon test-result --verbose --all || status=$${status:-$$?}
	python -m pytest test -q -p no:cacheprovider || { rc=$$?; [ $$rc -eq 5 ] || status=$$rc; }
	exit $${status:-0}

lint:
	$(ENV)
	ruff check src test launch scripts

bench: setup
	$(ENV)
	python scripts/bench_workspace.py

clean:
	rm -rf build install log
