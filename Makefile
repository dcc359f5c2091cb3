# Two commands do all the set-up on a fresh machine: `make chat` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CODE   := tgbot devtools tests $(wildcard bench)

.PHONY: chat test run lint typecheck bench standin clean

$(STAMP): pyproject.toml devtools/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' -e ./devtools  # the bot, the dev tools
	$(BIN)/tgbot warm  # the exemplar embeddings, so the first start is as quick as the rest
	touch $(STAMP)

chat: $(STAMP)  ## talk to the bot in this terminal (no token needed)
	$(BIN)/tgbot chat

test: $(STAMP)  ## lint, type-check and run the test suite
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/mypy $(CODE)
	$(BIN)/pytest -n auto --maxprocesses 4 --dist loadfile

run: $(STAMP)  ## the real bot; needs TELEGRAM_BOT_TOKEN (and optionally TELEGRAM_API_BASE_URL)
	$(BIN)/tgbot run

standin: $(STAMP)  ## the local Bot API stand-in on http://127.0.0.1:8081
	$(BIN)/tgbot standin

bench: $(STAMP)  ## print the performance figures beside their targets (a few minutes)
	$(BIN)/python bench/bench_updates.py
	$(BIN)/python bench/bench_matching.py
	$(BIN)/python bench/bench_reminders.py
	$(BIN)/python bench/bench_diary.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build *.egg-info devtools/build devtools/*.egg-info
