"""Use cases, one module per noun, shared by the command line (``gridsvc.cli``) and the API
(``gridsvc.api``): they call the repository (SQL), the pure analysis, rendering and report writers.

- ``imports``: read, check and store files; export; the demo
- ``coverage``: thresholds, the coverage of an area (cached), alignment
- ``maps``: the three maps as HTML
- ``plans``: redraw plans: create, validate, diff, apply, history, scores
- ``proposals``: the automatic unified-grid proposal, stored as a draft plan
- ``reports``: reports and snapshots
- ``users``: accounts, passwords, tokens, the login brake
- ``access``: who is calling (``Principal``) and the database as they may see it (``scoped``)
"""
