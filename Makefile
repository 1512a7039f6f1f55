# BilimBot: `make run` serves the site, `make test` runs every test (browser tests included).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
FLASK := $(VENV)/bin/flask
export FLASK_APP := main:app

.PHONY: run test lint format babel-extract babel-update babel-compile install install-dev browser migrate-check clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# A local .env with random secrets, written once, so sessions and stored secrets survive restarts.
.env:
	@$(PY) -c "import secrets; from cryptography.fernet import Fernet; print('SECRET_KEY=' + secrets.token_urlsafe(48)); print('FERNET_KEY=' + Fernet.generate_key().decode())" > .env
	@echo "Wrote .env with fresh SECRET_KEY and FERNET_KEY."

babel-compile: install
	$(VENV)/bin/pybabel -q compile -d translations

babel-extract: install
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 -k lazy_ngettext:1,2 --no-location --sort-output --ignore-dirs=".* ._ .venv node_modules tests bench" -o translations/messages.pot .

babel-update: babel-extract
	$(VENV)/bin/pybabel -q update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

run: install .env babel-compile
	mkdir -p instance
	$(FLASK) db upgrade
	@$(FLASK) ensure-admin --notice-file instance/admin-notice.txt
	@# The admin's e-mail and password last, after pip and the migrations, where they are seen.
	@echo; cat instance/admin-notice.txt; rm -f instance/admin-notice.txt
	@echo "Open http://$${HOST:-127.0.0.1}:$${PORT:-5000}/auth/login"; echo
	HOST=$${HOST:-127.0.0.1} PORT=$${PORT:-5000} $(PY) main.py

# Debian's chromium when root (Playwright's own browser download needs the internet),
# else Playwright's chromium.
browser: install-dev
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		(apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else $(VENV)/bin/playwright install chromium; fi

test: install-dev browser babel-compile
	$(PY) -m pytest -q -p no:cacheprovider

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
