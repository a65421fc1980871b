# 村播助农 — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint format bench migrate demo i18n clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

## make run: install, migrate, seed the demo village on an empty local database, serve with the scheduler beside it
## (`shop run` itself never seeds: a real deployment has no well-known password)
run: $(STAMP)
	$(BIN)/shop demo --if-empty
	$(BIN)/shop run

migrate: $(STAMP)
	$(BIN)/shop db upgrade

demo: $(STAMP)
	$(BIN)/shop demo

## make test: lint (ruff, mypy --strict on shop/ and scheduler/), then the whole suite (SQLite; PostgreSQL too when SHOP_TEST_DATABASE_URL is set)
test: $(STAMP) lint
	$(BIN)/pytest -n $${SHOP_TEST_WORKERS:-2} --dist worksteal -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make bench: the order write path against the naive peer, and the other figures of docs/benchmarks.md
bench: $(STAMP)
	$(BIN)/python -m bench

## make i18n: extract messages and merge them into the Chinese catalog (then translate the new entries)
i18n: $(STAMP)
	$(BIN)/pybabel extract -F shop/locales/babel.cfg -k N_ -k gettext_ --no-location --sort-output -o var/messages.pot .
	$(BIN)/pybabel update -i var/messages.pot -d shop/locales -l zh_CN --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) var/shop.db* .pytest_cache
