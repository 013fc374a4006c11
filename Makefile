# 访调通 daily commands. The README's two commands are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
JOBS   ?= 2
PYTEST_ARGS ?=

.PHONY: run test install install-test browser-deps fonts demo serve bench lint migrations-check clean

$(BIN)/fangtiao: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "访调通需要 Python 3.11 或更高版本")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e .
	@touch $@

install: $(BIN)/fangtiao

# The CJK font PDFs embed (Noto Serif CJK from Debian's fonts-noto-cjk; FANGTIAO_PDF_FONT overrides).
fonts:
	@if [ -z "$$FANGTIAO_PDF_FONT" ] && [ ! -f /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc ] \
	    && [ ! -f /usr/share/fonts/noto-cjk/NotoSerifCJK-Regular.ttc ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "安装中文字体 fonts-noto-cjk（生成 PDF 文书用）…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; \
	  else \
	    echo "未找到中文字体：PDF 文书不可用（Word 版不受影响）。请安装 fonts-noto-cjk，或设置 FANGTIAO_PDF_FONT"; \
	  fi; \
	fi

# 1) Set everything up and start the demo district on SQLite (var/fangtiao.sqlite3).
run: install fonts
	FANGTIAO_DEMO=1 $(BIN)/fangtiao migrate --noinput -v 0
	FANGTIAO_DEMO=1 $(BIN)/fangtiao demo
	FANGTIAO_DEMO=1 $(BIN)/fangtiao serve --host 127.0.0.1 --port $(PORT)

$(VENV)/.test-installed: $(BIN)/fangtiao pyproject.toml constraints.txt
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[test]"
	@touch $@

install-test: $(VENV)/.test-installed

# Browser tests drive Debian's Chromium (never a downloaded browser).
browser-deps:
	@if [ -z "$$FANGTIAO_CHROMIUM" ] && ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "安装 Chromium（浏览器测试用）…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else \
	    echo "未找到 chromium，且无法用 apt-get 安装：浏览器测试将被跳过（sudo apt-get install chromium）"; \
	  fi; \
	fi

# 2) Install what the tests need and run the whole suite (DATABASE_URL picks the database).
test: install-test browser-deps fonts
	@$(BIN)/pytest -n $(JOBS) -q $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest: no tests collected"; rc=0; fi; exit $$rc

demo: install
	FANGTIAO_DEMO=1 $(BIN)/fangtiao demo

serve: install
	FANGTIAO_DEMO=1 $(BIN)/fangtiao serve --host 127.0.0.1 --port $(PORT)

# Benchmarks: ratios to a floor measured in the same run (see docs/benchmarks.md).
# Issue 8: on PostgreSQL (DATABASE_URL=postgres://…/ft_bench) one run over BENCH_SIZES, a database
# per size (ft_bench_100k, ft_bench_1m; BENCH_SIZES=100000,1000000,10000000 adds 10M), the curve at
# the end; BENCH_FLAGS adds parts (--screening, --stats, --ops a,b …). Without a PostgreSQL
# DATABASE_URL: the single-size run of N_CASES on SQLite under var/.
BENCH_SIZES ?= 100000,1000000
BENCH_OPS ?= api.cases.intake,api.cases.intake_c16,api.cases.list,api.cases.list_county,api.cases.filter_status,api.cases.filter_region,api.cases.filter_flag,api.cases.filter_repeat,api.cases.filter_category,api.cases.filter_channel,api.cases.filter_kind,api.cases.filter_dates,api.cases.filter_holder,api.cases.filter_combo,api.cases.filter_mediation,api.cases.filter_satisfied,api.cases.filter_clock,api.cases.q,api.cases.page_20,api.cases.detail,api.cases.similar,stats.summary_year,stats.summary_township
bench: install
	@case "$${DATABASE_URL:-}" in \
	  postgres*) FANGTIAO_DEMO=1 $(BIN)/fangtiao bench --sizes $(BENCH_SIZES) --ops $(BENCH_OPS) --documents --assessment \
	      --requests $${BENCH_REQUESTS:-100} --warmup 10 $(BENCH_FLAGS) --json $${BENCH_JSON:-var/bench-scale.json} ;; \
	  *) FANGTIAO_DEMO=1 $(BIN)/fangtiao migrate --noinput -v 0 && \
	     FANGTIAO_DEMO=1 $(BIN)/fangtiao bench --documents --screening --stats --n-cases $${N_CASES:-100000} --json $${BENCH_JSON:-var/bench.json} ;; \
	esac

lint: install-test
	$(BIN)/ruff check .

migrations-check: install
	FANGTIAO_DEMO=1 $(BIN)/fangtiao makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

# --- load and faults (issue 9): load run, fault tests, API fuzzing (docs/adr/0020, docs/benchmarks.md) ---
# Each starts its own production site on free loopback ports (fangtiao/loadtest/harness.py) and stops it.
# DB=postgres creates a fresh database on the server of DATABASE_URL (default postgres@127.0.0.1:5432).
DB ?= sqlite
USERS ?= 50
DURATION ?= 300
THINK ?= 1.0
FUZZ_EXAMPLES ?= 5
FUZZ_SEEDS ?= --seed 1 --seed random
FUZZ_TIMEOUT ?= 0
.PHONY: load faults fuzz
load: install-test
	$(BIN)/python -m fangtiao.loadtest load --db $(DB) --users $(USERS) --duration $(DURATION) --think $(THINK) --out var/load

faults: install-test
	FANGTIAO_FAULTS=1 $(BIN)/pytest -q -s -m faults fangtiao/loadtest/tests/test_faults.py $(FAULTS_ARGS)

fuzz: install-test fonts
	$(BIN)/python -m fangtiao.loadtest fuzz --db $(DB) --examples $(FUZZ_EXAMPLES) $(FUZZ_SEEDS) --timeout $(FUZZ_TIMEOUT) --out var/fuzz

# --- reliability (issue 9): the lost-update race, long form (docs/security.md §7, ADR 0019) ---
# `make race TRIALS=1000` runs 1,000 trials of 2–8 concurrent edits of one case at one version on the
# database of DATABASE_URL (default SQLite; a FILE copy of the test database) and prints the counts.
TRIALS ?= 1000
.PHONY: race
race: install-test
	FANGTIAO_RACE_TRIALS=$(TRIALS) $(BIN)/pytest -q -s fangtiao/core/tests/concurrency/test_lost_updates.py

# --- data at rest (issue 9): the backup and verified-restore drill (docs/security.md §4, ADR 0016) ---
# `make backup-drill` generates DRILL_CASES synthetic cases and DRILL_FILES encrypted attachments in a
# temporary FANGTIAO_VAR_DIR (SQLite), backs up, scans the archive for plaintext PII, restores into an
# empty database and media directory, verifies, and prints the RTO and sizes. With
# DATABASE_URL=postgres://…/<fresh db> it runs there (the restore goes to a scratch database, dropped).
DRILL_CASES ?= 10000
DRILL_FILES ?= 2000
.PHONY: backup-drill
backup-drill: install
	@d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; \
	export FANGTIAO_DEMO=1 FANGTIAO_VAR_DIR="$$d" FANGTIAO_MEDIA_ROOT="$$d/media"; \
	$(BIN)/fangtiao migrate -v0 && $(BIN)/fangtiao backup-drill --cases $(DRILL_CASES) --files $(DRILL_FILES) --workdir "$$d/drill"

# --- web hardening and supply chain (issue 9): docs/security.md §8, ADR 0021 ---
# security-lint: bandit (0 Medium/High without an inline `# nosec Bxxx — reason`) and our local semgrep
# rules (tools/semgrep/, offline: no registry, no metrics). semgrep has its own venv (its click pin
# clashes with celery's), pinned by tools/semgrep/requirements.txt.
SEMGREP_VENV ?= var/tools/semgrep
.PHONY: security-lint sbom audit-deps
$(SEMGREP_VENV)/bin/semgrep: tools/semgrep/requirements.txt
	$(PYTHON) -m venv $(SEMGREP_VENV)
	$(SEMGREP_VENV)/bin/python -m pip install -q -r tools/semgrep/requirements.txt
	@touch $@

security-lint: install-test $(SEMGREP_VENV)/bin/semgrep
	$(BIN)/bandit -r fangtiao -ll -ii -q
	$(SEMGREP_VENV)/bin/semgrep --test --metrics=off --disable-version-check --quiet tools/semgrep/
	$(SEMGREP_VENV)/bin/semgrep --config tools/semgrep/ --metrics=off --disable-version-check --error --quiet fangtiao/

# sbom: CycloneDX JSON of the installed environment (every CI build).
sbom: install-test
	@mkdir -p var
	$(BIN)/cyclonedx-py environment --of JSON -o var/sbom.cdx.json $(VENV)
	@echo "SBOM: var/sbom.cdx.json"

# audit-deps: pip-audit --strict against the vulnerability DB. Without network it fails and says so:
# that is NOT a pass (the real scan runs where PyPI/OSV are reachable; docs/security.md §8).
audit-deps: install-test
	@out=$$($(BIN)/pip-audit --strict --progress-spinner off 2>&1); rc=$$?; echo "$$out"; \
	  if [ $$rc -ne 0 ]; then \
	    if echo "$$out" | grep -qiE "not found on PyPI|could not be audited|connection|resolve|timed out|unreachable"; \
	    then echo "vulnerability DB unreachable: NOT a pass"; else echo "pip-audit: vulnerable dependencies (see above)"; fi; \
	    exit 1; fi
