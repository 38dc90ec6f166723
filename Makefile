# The two commands: `make demo` (the main job, end to end) and `make test` (every test). Both set up the
# workspace first (scripts/bootstrap.sh: idempotent, seconds when nothing changed).
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eo pipefail -c
ENV := source scripts/env.sh

.PHONY: setup demo test lint bench dataset benchmark clean

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

# The grasp dataset of the shipped model (issue 5's recipe): resumable, so run it as often as it takes; the
# tables are committed under data/grasps (one Parquet file per object, part and style).
# Train: 42 objects x 24 categories = 1,008 objects, up to 3 batches of 16 grasps per (part, style), a unit
# stopping after a batch that validates nothing; held-out instances and categories for evaluation.
# Measured cost (plan version 8, first 24 objects): 84 validated grasps and ~270 CPU-seconds of synthesis per object,
# 1,100 validated grasps per core-hour (a test run shared the CPUs for a quarter of that hour); ~2.3 minutes per
# object on 2 workers, so ~38 hours for the train split. Plan version 10 (finger placement and wrist turns for
# closure), first 6 train objects: 106 validated grasps and ~450 CPU-seconds per object, 916 validated per
# core-hour; ~3.8 minutes per object on 2 workers, so ~63 hours for the train split (50,000 grasps after ~30).
# First 20 train objects: 94 validated grasps, ~420 CPU-seconds per object; Q1 hulls and finger closing made 8.5 %
# cheaper since (same grasps), so ~53 hours for the 988 train objects left and ~61 hours with the held-out splits.
# WORKERS=n parallel processes; BACKEND=ray for a cluster (shared storage under data/).
WORKERS ?= 2
BACKEND ?= process
PER_CATEGORY ?= 42
DATASET_FLAGS = --batch 16 --batches 3 --stop-when-empty --workers $(WORKERS) --backend $(BACKEND)
dataset: setup
	$(ENV)
	dexvlg synth --split train --per-category $(PER_CATEGORY) --out data/grasps/train $(DATASET_FLAGS) \
	    --name "DexVLG train grasps"
	dexvlg synth --split heldout_instance --per-category 4 --out data/grasps/heldout_instance $(DATASET_FLAGS) \
	    --name "DexVLG held-out instances"
	dexvlg synth --split heldout_category --per-category 8 --out data/grasps/heldout_category $(DATASET_FLAGS) \
	    --name "DexVLG held-out categories"

# The grasping benchmark's reference results (issue 7): the retrieval baseline's library (training grasps of one
# object per category), then every reference method on all three splits. Both steps resume where they stopped.
BENCH_OBJECTS ?= 4
benchmark: setup
	$(ENV)
	dexvlg synth --split train --per-category 1 --styles wrap --batch 8 --out data/bench/library/train \
	    --workers $(WORKERS) --name "retrieval library"
	dexvlg bench --out data/bench/run --objects-per-split $(BENCH_OBJECTS) --workers $(WORKERS) --publish results

clean:
	rm -rf build install log
