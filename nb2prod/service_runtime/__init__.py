"""The runtime of a generated prediction service: its app, drift monitor, observability, lock, batch
scorer, command line and settings.

`nb2prod build` copies this package, byte for byte, into every project made from a template that asks
for it (the default one does), as `<package>/runtime/`; the template renders only what differs per
notebook (`model.py`, `schema.py`, `service.py`, `train.py`...), and `service.py` wires them into one
`Service` (see service.py) that the runtime takes as an argument. So these modules import each other
relatively and never a notebook's module; nothing else in nb2prod imports them (fastapi, uvicorn and
prometheus-client are the service's dependencies, not nb2prod's).

Modules: settings (every `<PREFIX>_*` environment variable), lockfile (the lock and the artifacts),
schema (shared answer models, batch models), drift, observability (metrics, logs, limits), store (the
prediction store: predictions and feedback in SQLite or PostgreSQL, written off the request path),
quality (live quality from feedback, against the notebook's metrics), app (the FastAPI app), batch (the
file scorer), cli (`serve`, `predict`, `train`), service (the `Service`).
"""
