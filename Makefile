# The README's two commands are `make run` and `make test`; each installs what it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SDK_DIR := tests/sdk
SDK_STAMP := $(SDK_DIR)/node_modules/.installed
WIDGET_DIR := tests/widget
WIDGET_STAMP := $(WIDGET_DIR)/node_modules/.installed
WEB_DIR := verifalia_server/web
WEB_STAMP := $(WEB_DIR)/node_modules/.installed

.PHONY: run test lint typecheck bench bench-postfix bench-engine bench-api install sdk web clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

$(SDK_STAMP): $(SDK_DIR)/package.json $(SDK_DIR)/package-lock.json
	@command -v npm >/dev/null || { echo "npm is required for the SDK tests (install Node.js 18+)"; exit 1; }
	cd $(SDK_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $(SDK_STAMP)

sdk: $(SDK_STAMP)

$(WIDGET_STAMP): $(WIDGET_DIR)/package.json $(WIDGET_DIR)/package-lock.json
	@command -v npm >/dev/null || { echo "npm is required for the widget tests (install Node.js 18+)"; exit 1; }
	cd $(WIDGET_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $(WIDGET_STAMP)

$(WEB_STAMP): $(WEB_DIR)/package.json $(WEB_DIR)/package-lock.json
	@command -v npm >/dev/null || { echo "npm is required for the web client's libraries (install Node.js 18+)"; exit 1; }
	cd $(WEB_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $(WEB_STAMP)

web: $(WEB_STAMP)

run: $(STAMP) $(WEB_STAMP)
	$(BIN)/verifalia-server cluster

test: $(STAMP) $(SDK_STAMP) $(WIDGET_STAMP) $(WEB_STAMP)
	sh tests/install-packages.sh
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check verifalia_server tests bench
	$(BIN)/ruff format --check verifalia_server tests bench
	$(BIN)/mypy

bench: bench-postfix bench-engine bench-api

bench-postfix: $(STAMP)
	sh tests/install-packages.sh
	$(BIN)/python bench/postfix.py

bench-engine: $(STAMP)
	$(BIN)/python bench/engine.py

bench-api: $(STAMP)
	$(BIN)/python bench/api.py

clean:
	rm -rf $(VENV) var $(SDK_DIR)/node_modules $(WIDGET_DIR)/node_modules $(WEB_DIR)/node_modules bench/.peer-venv
