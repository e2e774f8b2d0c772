# make demo · make test · make bench · make zip · make test-lts
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
LTS_VENV := .venv-lts

.PHONY: setup demo test bench zip test-lts clean

$(VENV)/.ready: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.ready

demo: setup
	$(PY) -m depthy_blender mesh examples/bottle.png -o out/demo.blend -o out/demo.glb --render out/demo.png --back flat
	@ls -l out/demo.blend out/demo.glb out/demo.png
	@if [ -f ../shared/data/sheets/ttt-ppp0101.png ]; then \
		$(PY) -m depthy_blender sheet ../shared/data/sheets/ttt-ppp0101.png -o out/sheet.blend --render out/sheet.png --solid --json out/sheet.json && \
		ls -l out/sheet.blend out/sheet.png; \
	else echo "(../shared/data/sheets not present: sheet demo skipped)"; fi

test: setup
	$(PY) -m pytest -q tests

bench: setup
	$(PY) benchmarks/mesh_build.py

zip: setup
	$(PY) build.py --platform linux-x64

# Blender 4.2 LTS (the manifest's minimum): the Blender-tier tests in a second venv; not run in CI
$(LTS_VENV)/.ready: requirements-dev.txt
	$(PYTHON) -m venv $(LTS_VENV)
	$(LTS_VENV)/bin/python -m pip install --quiet "bpy==4.2.*" $$(grep -v -e '^bpy' -e '^numpy' -e '^#' requirements-dev.txt)
	touch $@

test-lts: $(LTS_VENV)/.ready
	$(LTS_VENV)/bin/python -m pytest -q tests/blender tests/core

clean:
	rm -rf build dist out
