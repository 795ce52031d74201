# Set-up is a virtualenv in .venv with the locked dependency set (constraints.txt).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup browser demo test lock

$(BIN)/mql: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(BIN)/mql

setup: $(BIN)/mql

demo: setup
	$(BIN)/mql demo

# The UI check of tests/ops needs headless Chromium (Debian packages chromium, chromium-driver):
# installed here when missing and we may (root); otherwise that test skips locally (fails in CI).
browser:
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; } || \
		echo "note: no /usr/bin/chromium; run: sudo apt-get install -y chromium chromium-driver"

test: setup browser
	$(BIN)/python -m pytest

# Re-resolve the dependency set after changing pyproject.toml, then commit constraints.txt.
lock:
	rm -rf $(VENV).lock && $(PYTHON) -m venv $(VENV).lock
	$(VENV).lock/bin/pip install --quiet -e '.[dev]'
	$(VENV).lock/bin/pip freeze --exclude-editable | grep -v '^mql-pipeline' > constraints.txt
	rm -rf $(VENV).lock
