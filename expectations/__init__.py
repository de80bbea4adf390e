"""Great Expectations suites for the lake's tables, and the gate every batch passes before a commit.

- `rules`, `common`, `sightings`, `papers`, `snapshots`, `suites`: the rules, declared once as data.
- `gate`: `gate_batch` splits a batch into clean and quarantined rows or rejects it.
- `quarantine`: quarantined rows as JSON and back.
- `docs`: Data Docs and the run summary.

Only `gx_runtime` (and `docs` when it builds) imports Great Expectations; keep it that way so
commands that only read the lake stay fast.
"""
