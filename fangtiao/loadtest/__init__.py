"""Load, fault and fuzz runs on the loopback (issue 9; ADR 0020).

  harness   a database (SQLite file or a fresh PostgreSQL database), gunicorn and the task worker
            on free loopback ports, a seeded district, API tokens — everything torn down afterwards
  client    a closed-loop load client (threads + http.client): the mix, latencies, a ledger of
            every acknowledged submission
  ledger    the ledger held against the database: 0 lost, 0 duplicates
  faults    the injectors: SIGKILL of gunicorn workers and of the task worker, pg_terminate_backend,
            a tmpfs that fills up
  report    percentiles, JSON and a Markdown table
  fuzz      schemathesis against a live gunicorn with role tokens and township peers

`python -m fangtiao.loadtest load|fuzz …` (Makefile: `make load`, `make fuzz`); the fault tests are
`fangtiao/loadtest/tests/test_faults.py` (marker `faults`, `make faults`)."""
