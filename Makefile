# Relay: `make run` to chat with the bot, `make test` to run every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
STAMP := $(VENV)/.installed
# pip-audit gets a virtualenv of its own: it cannot sit beside Rasa 3.6 (requirements-audit.txt).
AUDIT_VENV := .venv-audit
AUDIT_STAMP := $(AUDIT_VENV)/.installed
MODEL := models/relay.tar.gz
SPACY_MODEL := models/spacy/relay_en/meta.json
FOLDS ?= 5
# Minutes of load of `make soak` (the start-up and the drain come on top).
MINUTES ?= 4
# Conversations at once per level of `make bench`, and seconds per level and stack.
LEVELS ?= 1,10,50,100
BENCH_SECONDS ?= 30
# `make bench`'s plain Rasa bot: full (rasa init's config, trained once, ~45 min), quick, or
# none (left out). SCALED=no leaves out the scaled profile (2 replicas behind nginx, PostgreSQL, Redis).
BASELINE ?= full
SCALED ?= yes
# Public benchmark data (read at run time, never copied into the repository).
BENCHMARKS ?= ../shared/benchmarks
AIRLINE_TWEETS := $(BENCHMARKS)/twitter_airline_sentiment/Tweets.csv
TRAINING_DATA := $(shell find data -type f \( -name '*.yml' -o -name '*.jsonl' \) 2>/dev/null)

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONPATH := $(CURDIR)

.PHONY: help run run-scaled test train spacy shell agent validate crossval eval eval-sentiment tune-sentiment ablation lint audit clean \
  privacy-export privacy-delete purge soak bench bench-actions profile-turns demo-data profile-training \
  profile-finetuning profile-startup

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

$(STAMP): requirements.in constraints.txt scripts/find_python310.sh
	@python=$$(scripts/find_python310.sh) || exit 1; \
	  echo "Creating $(VENV) with $$python"; \
	  [ -x $(PY) ] || "$$python" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip==26.3" "setuptools==70.3.0" "wheel==0.45.1"
	$(PY) -m pip install --quiet -r requirements.in -c constraints.txt
	@touch $(STAMP)

$(SPACY_MODEL): $(STAMP) data/patterns/entities.jsonl bot/nlu/spacy_model.py
	$(PY) -m bot.nlu.spacy_model --patterns data/patterns/entities.jsonl --out models/spacy/relay_en

spacy: $(SPACY_MODEL)  ## Build the spaCy pipeline (tokenizer, lemmas, entity patterns)

# FINETUNE=1: after a change to NLU examples only (same intents and entities), fine-tune the previous
# model instead (DIET continues from its weights for a fifth of its epochs); anything else trains in
# full. bot/tools/train_model.py says which it did and why; figures in docs/performance.md, "Training".
$(MODEL): $(STAMP) $(SPACY_MODEL) config.yml domain.yml $(TRAINING_DATA)
	$(PY) -m bot.tools.train_model --config config.yml --domain domain.yml --data data \
	  --out models --name relay $(if $(filter 1 yes,$(FINETUNE)),--finetune)

train: $(MODEL)  ## Train the model when the data, config or domain changed (FINETUNE=1: fine-tune after an NLU-only change)

run: $(MODEL)  ## Install, train if needed, and start Relay on localhost (Ctrl-C stops)
	$(PY) -m bot.tools.run --model $(MODEL)

test: lint $(MODEL)  ## Lint and type-check, then run the whole test suite (trains first when needed)
	$(PY) -m pytest

# PostgreSQL, Redis and nginx come from Debian's packages (postgresql, redis-server, nginx).
run-scaled: $(MODEL)  ## Relay on PostgreSQL and Redis, REPLICAS (2) Rasa servers behind nginx (Ctrl-C stops)
	$(PY) -m bot.tools.scaled.run --model $(MODEL) --replicas $(or $(REPLICAS),2)

shell: $(MODEL)  ## Talk to the bot in the terminal
	$(PY) -m bot.tools.shell --model $(MODEL) $(ARGS)

agent: $(STAMP)  ## Add a console agent or reset their password: make agent USERNAME=alice NAME="Alice M" [ROLE=admin]
	$(PY) -m bot.handoff.agents add "$(USERNAME)" --name "$(or $(NAME),$(USERNAME))" $(if $(ROLE),--role $(ROLE))

privacy-export: $(STAMP)  ## Export a customer's data as JSON: make privacy-export EMAIL=maya@example.com [OUT=file]
	@[ -n "$(EMAIL)" ] || { echo "Give EMAIL=<the customer's email>"; exit 2; }
	$(PY) -m bot.tools.privacy export --email "$(EMAIL)" --out "$(or $(OUT),var/exports/$(EMAIL).json)"

privacy-delete: $(STAMP)  ## Delete a customer's chat data (lists it, then asks): make privacy-delete EMAIL=...
	@[ -n "$(EMAIL)" ] || { echo "Give EMAIL=<the customer's email>"; exit 2; }
	$(PY) -m bot.tools.privacy delete --email "$(EMAIL)"

purge: $(STAMP)  ## Delete chat data older than RELAY_RETENTION_DAYS (or DAYS=N)
	$(PY) -m bot.tools.privacy purge $(if $(DAYS),--days $(DAYS))

demo-data: $(STAMP)  ## Load the demo shop's data into an empty RELAY_SHOP_DB_URL (SQLite gets it by itself)
	$(PY) -m bot.tools.demo_data

validate: $(STAMP)  ## Check the training data and domain for conflicts
	$(RASA) data validate --config config.yml --domain domain.yml --data data

crossval: $(STAMP) $(SPACY_MODEL)  ## NLU cross-validation report in results/crossval/
	$(RASA) test nlu --config config.yml --nlu data/nlu --cross-validation --folds $(FOLDS) \
	  --out results/crossval

eval: $(MODEL)  ## Accuracy and macro-F1 on the held-out set tests/nlu/, with a plot
	$(PY) -m bot.tools.evaluate_nlu --model $(MODEL) --data tests/nlu --out results/nlu_eval

eval-sentiment: $(MODEL)  ## Sentiment on tests/sentiment vs VADER and majority, spaCy ablation, plot
	$(PY) -m bot.tools.evaluate_sentiment --model $(MODEL) --train data/nlu --test tests/sentiment \
	  --out results/sentiment_eval $(if $(wildcard $(AIRLINE_TWEETS)),--benchmark $(AIRLINE_TWEETS))

ablation: $(MODEL)  ## Train the NLU without spaCy and compare on the held-out sets (plot)
	$(PY) -m bot.tools.ablate_spacy --model $(MODEL) --out results/ablation

tune-sentiment: $(STAMP) $(SPACY_MODEL)  ## Cross-validate the sentiment settings on data/nlu (report + plot)
	$(PY) -m bot.tools.tune_sentiment --train data/nlu --out results/sentiment_tuning

soak: $(MODEL)  ## Mixed load with faults on the real stack for MINUTES (4); figures into docs/reliability.md
	$(PY) -m bot.tools.soak --minutes $(MINUTES)

# Compares config.yml with another configuration: make profile-training COMPARE=old_config.yml
profile-training: $(STAMP) $(SPACY_MODEL)  ## Time each part of a full training and a one-example retraining, with quality (report + plot)
	$(PY) -m bot.tools.profile_training --config config.yml $(if $(COMPARE),--config $(COMPARE)) \
	  --out results/training

profile-finetuning: $(MODEL)  ## Full training vs `rasa train --finetune` (0.2, 0.5 of the epochs) after 5 new NLU examples, with quality; results/finetuning/
	$(PY) -m bot.tools.profile_finetuning --config config.yml --base $(MODEL) \
	  --epoch-fraction 0.2 --epoch-fraction 0.5 --out results/finetuning

profile-startup: $(MODEL)  ## Rasa server start-up per phase, Relay before/after vs plain Rasa (ARGS="--rounds 2 --py-spy"); results/startup/
	$(PY) -m bot.tools.startup_profile --out results/startup $(ARGS)

bench: $(MODEL)  ## Relay vs a plain Rasa bot (BASELINE=full|quick|none) and vs Relay scaled (SCALED=yes|no) at LEVELS; results/bench/
	$(PY) -m bot.tools.bench --levels $(LEVELS) --seconds $(BENCH_SECONDS) --baseline $(BASELINE) \
	  $(if $(filter no,$(SCALED)),--no-scaled)

profile-turns: $(MODEL)  ## Where the Rasa server's CPU goes under LEVEL (10) customers, by py-spy; results/turns/
	$(PY) -m bot.tools.turn_profile --level $(or $(LEVEL),10)

bench-actions: $(STAMP)  ## The action server's calls/s with 1 and 2 workers at 1, 10, 50 callers; results/actions/
	$(PY) -m bot.tools.action_concurrency

# mypy reads its settings (strict, on bot/ and actions/) from pyproject.toml; its incremental cache in
# .mypy_cache/ keeps a re-run to a few seconds.
lint: $(STAMP)  ## Lint, format-check and type-check the Python code (make test runs it first)
	$(VENV)/bin/ruff check bot actions tests
	$(VENV)/bin/ruff format --check bot actions tests
	$(VENV)/bin/mypy

$(AUDIT_STAMP): requirements-audit.txt scripts/find_python310.sh
	@python=$$(scripts/find_python310.sh) || exit 1; \
	  [ -x $(AUDIT_VENV)/bin/python ] || "$$python" -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/python -m pip install --quiet --upgrade "pip==26.3"
	$(AUDIT_VENV)/bin/python -m pip install --quiet -r requirements-audit.txt
	@touch $(AUDIT_STAMP)

audit: $(AUDIT_STAMP)  ## Check constraints.txt for known vulnerabilities (pip-audit, report in results/)
	$(AUDIT_VENV)/bin/python -m bot.tools.audit_dependencies --pip-audit $(AUDIT_VENV)/bin/pip-audit \
	  --requirements constraints.txt --out results/dependency_audit

clean:  ## Remove trained models and results (keeps .venv and var/)
	rm -rf models results
