# make demo · make test · make bench · make zip · make test-lts · make test-latest · make packages · make gpu-rehearsal
PYTHON ?= python3.11
PYTHON313 ?= $(firstword $(wildcard /root/.pyenv/versions/3.13*/bin/python3.13) python3.13)
PYTHON312 ?= $(firstword $(wildcard /root/.pyenv/versions/3.12*/bin/python3.12) python3.12)
VENV := .venv
PY := $(VENV)/bin/python
LTS_VENV := .venv-lts
LATEST_VENV := .venv-latest
GPU_VENV := .venv-gpu
PACKAGE ?= linux-x64
ZIP := dist/depthy_blender-0.1.0-$(PACKAGE).zip

TIERS := core engines blender install fuzz training

.PHONY: setup demo test bench zip packages test-lts test-latest gpu-rehearsal mutate mutate-blender mutate-training clean $(addprefix test-,$(TIERS))

$(VENV)/.ready: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.ready

demo: setup
	$(PY) -m depthy_blender mesh examples/bottle.png -o out/demo.blend -o out/demo.glb --render out/demo.png \
		--render-side out/demo-side.png --back flat
	@ls -l out/demo.blend out/demo.glb out/demo.png out/demo-side.png
	@if [ -f ../shared/data/sheets/ttt-ppp0101.png ]; then \
		$(PY) -m depthy_blender sheet ../shared/data/sheets/ttt-ppp0101.png -o out/sheet.blend --render out/sheet.png --solid --json out/sheet.json && \
		ls -l out/sheet.blend out/sheet.png; \
	else echo "(../shared/data/sheets not present: sheet demo skipped)"; fi

test: setup
	$(PY) -m pytest -q tests

# one tier: make test-core, test-engines, test-blender, test-install, test-fuzz, test-training
$(addprefix test-,$(TIERS)): test-%: setup
	$(PY) -m pytest -q tests -m $*

bench: setup
	$(PY) benchmarks/mesh_build.py

# one package (PACKAGE=linux-x64-cuda … ; `make packages` lists them with their pinned wheels)
zip: setup
	$(PY) build.py --package $(PACKAGE)

packages: setup
	$(PY) build.py --list

# Blender 4.2 LTS (the manifest's minimum): the Blender, install and core tiers in a second venv, the
# install test with the linux-x64 zip built by the 3.11 environment; not run in CI
$(LTS_VENV)/.ready: requirements-dev.txt
	$(PYTHON) -m venv $(LTS_VENV)
	$(LTS_VENV)/bin/python -m pip install --quiet "bpy==4.2.*" $$(grep -v -e '^bpy' -e '^numpy' -e '^#' requirements-dev.txt)
	touch $@

test-lts: setup $(LTS_VENV)/.ready
	$(PY) build.py --package linux-x64 --out dist
	DEPTHY_ZIP=$(abspath dist/depthy_blender-0.1.0-linux-x64.zip) $(LTS_VENV)/bin/python -m pytest -q tests/blender tests/install tests/core

# Blender 5.1–5.3 (Python 3.13, bpy 5.3): build the linux-x64 zip with the 3.11 environment (which has
# torch and onnx for the export), then run the Blender, install and core tiers under Python 3.13; the
# install test installs that zip into a fresh Blender 5.3 profile and generates with Depthy. Not run in CI.
$(LATEST_VENV)/.ready: requirements-latest.txt
	$(PYTHON313) -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/python -m pip install --quiet -r requirements-latest.txt
	touch $@

test-latest: setup $(LATEST_VENV)/.ready
	$(PY) build.py --package linux-x64 --out dist
	DEPTHY_ZIP=$(abspath dist/depthy_blender-0.1.0-linux-x64.zip) $(LATEST_VENV)/bin/python -m pytest -q tests/blender tests/install tests/core

# The GPU window's prepared commands (training/gpu_window.sh) on the CPU, under the GPU machine's Python
# 3.12 and torch 2.11 (requirements-gpu-image.txt), so a lent GPU's minutes are not lost to a version
# mismatch. Not run in CI (the venv is about 5 GB); run it after changing anything the window runs.
$(GPU_VENV)/.ready: requirements-gpu-image.txt
	$(PYTHON312) -m venv $(GPU_VENV)
	$(GPU_VENV)/bin/python -m pip install --quiet -r requirements-gpu-image.txt
	touch $@

gpu-rehearsal: $(GPU_VENV)/.ready
	rm -rf build/gpu-rehearsal && mkdir -p build/gpu-rehearsal
	PATH=$(abspath $(GPU_VENV))/bin:$$PATH OUT=$(abspath build/gpu-rehearsal) bash training/gpu_window.sh rehearse

# mutation testing of the core paths (pyproject.toml [tool.mutmut]); not part of CI; see docs/testing.md
# mutmut runs the tests from mutants/, one folder down: a link lets them find ../shared (the real sheets)
mutate: setup
	if [ -d ../shared ] && [ ! -e shared ]; then ln -s ../shared shared; fi
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(VENV)/bin/mutmut run $(MUTANTS); $(VENV)/bin/mutmut results | sed 's/__mutmut_[0-9]*//' | sort | uniq -c | sort -rn

# $(call mutate_copy,FOLDER,MODULES,TESTS,ALSO_COPY,CHILDREN): mutmut on MODULES in a copy of the tracked tree
# with its own [tool.mutmut] (mutmut reads one configuration per tree), running TESTS; the results stay in
# FOLDER/mutants
define mutate_copy
	mkdir -p $(1)
	git ls-files -z | xargs -0 cp --parents -t $(1)
	ln -sfn $(abspath $(VENV)) $(1)/.venv
	$(PY) -c "import json, re, pathlib; p = pathlib.Path('$(1)/pyproject.toml'); s = p.read_text(); \
	s = re.sub(r'source_paths = \[[^]]*\]', 'source_paths = ' + json.dumps('$(2)'.split()), s); \
	s = re.sub(r'pytest_add_cli_args_test_selection = \[[^]]*\]', 'pytest_add_cli_args_test_selection = ' + json.dumps('$(3)'.split()), s); \
	s = re.sub(r'also_copy = \[', 'also_copy = [' + ''.join(json.dumps(x) + ', ' for x in '$(4)'.split()), s); \
	p.write_text(s)"
	cd $(1) && OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 .venv/bin/mutmut run --max-children $(5); .venv/bin/mutmut results | sed 's/__mutmut_[0-9]*//' | sort | uniq -c | sort -rn
endef

# Blender-layer modules (props.py unless BLENDER_MODULES names others), driven by the Blender tier
MUTATE_BLENDER := build/mutate-blender
BLENDER_MODULES ?= depthy_blender/blender/props.py
mutate-blender: setup
	$(call mutate_copy,$(MUTATE_BLENDER),$(BLENDER_MODULES),tests/blender,,1)

# Training modules (never shipped): TRAINING_MODULES mutated, TRAINING_TESTS run; the copy holds the tracked
# training files only, so the cache stays out
MUTATE_TRAINING := build/mutate-training
TRAINING_MODULES ?= training/losses.py
TRAINING_TESTS ?= tests/training/test_losses_by_hand.py tests/training/test_depthy_training.py
mutate-training: setup
	$(call mutate_copy,$(MUTATE_TRAINING),$(TRAINING_MODULES),$(TRAINING_TESTS),training,2)

clean:
	rm -rf build dist out
