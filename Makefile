# 国培计划管理平台 — the two front-door commands are `make demo` and `make test`.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/guopei
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: demo test install install-system assets lint typecheck check-migrations check-deploy pytest pytest-pg bench clean

$(BIN)/activate:
	$(PY) -m venv $(VENV) 2>/dev/null || python3 -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install -q -U pip setuptools wheel
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed assets

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

assets: node_modules/.package-lock.json

# Debian packages the tests need: chromium for browser tests, CJK fonts and harfbuzz-subset for PDFs,
# poppler for turning PDFs into text in checks. Installed only when missing and only as root.
install-system:
	@missing=""; \
	for p in chromium fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 poppler-utils; do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "安装系统依赖:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "缺少系统依赖（需 root 安装）:$$missing"; fi; \
	fi

demo: install
	DJANGO_SETTINGS_MODULE=config.settings.dev $(BIN)/python manage.py migrate --noinput
	DJANGO_SETTINGS_MODULE=config.settings.dev $(BIN)/python manage.py load_regions
	DJANGO_SETTINGS_MODULE=config.settings.dev $(BIN)/python manage.py demo
	DJANGO_SETTINGS_MODULE=config.settings.dev $(BIN)/python manage.py collectstatic --noinput -v0
	DJANGO_SETTINGS_MODULE=config.settings.dev PORT=$(PORT) bash scripts/run_demo.sh

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy guopei config

check-migrations: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

check-deploy: install
	DJANGO_SETTINGS_MODULE=config.settings.production DJANGO_SECRET_KEY=check-deploy-$$(openssl rand -hex 32) \
	  PII_KEYS=$$($(BIN)/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())') \
	  PII_HASH_KEY=check-deploy-hash-key DJANGO_ALLOWED_HOSTS=guopei.example.gov.cn \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

collectstatic-test: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py collectstatic --noinput -v0

pytest: install install-system collectstatic-test
	$(BIN)/pytest -q -p no:cacheprovider

pytest-pg: install install-system collectstatic-test
	@if $(BIN)/python scripts/pg_ready.py "$${DATABASE_URL:-$(PG_URL)}"; then \
	  DATABASE_URL="$${DATABASE_URL:-$(PG_URL)}" $(BIN)/pytest -q -p no:cacheprovider; \
	else echo "PostgreSQL 不可达，跳过 PostgreSQL 测试"; fi

test: install install-system lint typecheck check-migrations check-deploy
	$(MAKE) --no-print-directory pytest
	$(MAKE) --no-print-directory pytest-pg

# Benchmarks (by hand; results go into docs/performance.md). BENCH_DATABASE_URL=postgres://… runs them on
# PostgreSQL; without it they use SQLite files under var/bench/. See bench/README.md for sizes and options.
bench: install
	$(BIN)/pip install -q -e '.[dev,bench]'
	$(BIN)/python bench/teachers_generate.py
	$(BIN)/python bench/teachers_import.py
	$(BIN)/python bench/teachers_selection.py
	$(BIN)/python bench/teachers_list.py
	$(BIN)/python bench/rush_run.py

clean:
	rm -rf var/test-media var/staticfiles
