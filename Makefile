# Two commands on a fresh machine: `make report` (the main job) and `make test`.
# Each creates .venv on first use and reinstalls when pyproject.toml or the lock changes;
# the install is constrained to the pinned set in requirements.lock, so a new release of a
# dependency cannot change a study's numbers or break the two commands unseen.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
DATA := scenarios/data/fy27
PLANS := scenarios/plans

.PHONY: report test test-fast docs lint bench clean chromium lock
# both cores; a module's tests stay on one worker, so its fixtures are built once
XDIST := -n 2 --dist loadfile

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[test]'
	touch $(STAMP)

# The pinned set again, from pyproject.toml's dependencies and test extra (pip-tools): run it
# after changing either, review the diff of requirements.lock and commit both.
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet pip-tools
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --extra test --strip-extras \
		--no-emit-index-url --no-emit-find-links --output-file $(LOCK) pyproject.toml

report: $(STAMP)
	$(BIN)/spmsim validate $(PLANS)
	$(BIN)/spmsim report scenarios/studies/default.yaml --pdf
	$(BIN)/spmsim report scenarios/studies/q4_contest.yaml
	$(BIN)/spmsim simulate scenarios/acme_baseline.yaml --out reports/acme_baseline
	$(BIN)/spmsim simulate scenarios/acme_steeper_accelerator.yaml \
		--out reports/acme_steeper_accelerator
	$(BIN)/spmsim simulate scenarios/acme_teams.yaml --trials 500 --out reports/acme_teams
	$(BIN)/spmsim capacity scenarios/capacity/acme_hunters_farmers.yaml --confirm 2000 \
		--out reports/acme_hunters_farmers
	$(BIN)/spmsim simulate scenarios/acme_behavior.yaml --engine agents --trials 50 \
		--out reports/acme_behavior
	$(BIN)/spmsim territory optimise scenarios/data/territories/smb_accounts.csv \
		--balance 0.1 --disruption 0.5 --out reports/smb_territories
	$(BIN)/spmsim quota scenarios/acme_territories.yaml --role smb_ae --method flat_growth \
		--method potential --method equal --trials 500 --out reports/acme_quota
	$(BIN)/spmsim notebook quota_study --title "Acme SMB quota methods" \
		-p scenario=scenarios/acme_territories.yaml -p role=smb_ae -p trials=500
	$(BIN)/spmsim notebook territory_study --title "Acme SMB territories" \
		-p accounts=scenarios/data/territories/smb_accounts.csv -p balance=0.1
	$(BIN)/spmsim notebook capacity_study --title "Acme enterprise AE capacity" \
		-p capacity=scenarios/capacity/acme_capacity.yaml
	$(BIN)/spmsim notebook forecast_study --title "Pipeline forecast and backtest" \
		-p history=scenarios/data/crm
	$(BIN)/spmsim notebook years_study --title "Acme over three plan years: a quota ratchet" \
		-p scenario=scenarios/acme_years.yaml -p alternative=same -p trials=30
	$(BIN)/spmsim sweep scenarios/studies/sweep_accelerator.yaml --workers 2 --no-resume \
		--out reports/sweep_accelerator --report
	$(BIN)/spmsim replay --plan $(PLANS) --deals $(DATA)/deals.csv --quotas $(DATA)/quotas.csv \
		--roster $(DATA)/roster.csv --out reports/fy27_replay
	$(BIN)/spmsim compare $(PLANS)/enterprise_ae.yaml $(PLANS)/enterprise_ae_proposed.yaml \
		--plan $(PLANS) --deals $(DATA)/deals.csv --quotas $(DATA)/quotas.csv \
		--roster $(DATA)/roster.csv --out reports/fy27_enterprise_compare

# The browser test uses Debian's chromium (never a browser Playwright downloads).
chromium:
	command -v chromium >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

test: $(STAMP) chromium
	$(BIN)/ruff check spmsim tests benchmarks docs/hooks docs/tools .ci
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(XDIST) --durations=15

# everything but the slow, browser, notebook and Dask tests: under a minute
test-fast: $(STAMP)
	$(BIN)/python -m pytest $(XDIST) -m "not slow and not browser and not notebook and not dask" -q

# the manual, with the shipped notebooks executed: opens offline from site/index.html
docs: $(STAMP)
	SPMSIM_DOCS_NOTEBOOKS=execute $(BIN)/mkdocs build --strict

bench: $(STAMP)
	$(BIN)/python benchmarks/payout_engine.py
	$(BIN)/python benchmarks/montecarlo.py
	$(BIN)/python benchmarks/agents.py
	$(BIN)/python benchmarks/designer.py
	$(BIN)/python benchmarks/sweep.py
	$(BIN)/python benchmarks/cold_start.py

clean:
	rm -rf $(VENV) site build reports/fy27_* reports/acme_* reports/smb_* reports/default_study reports/*.html reports/index.* .pytest_cache .hypothesis
