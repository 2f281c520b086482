"""The Jupyter server extension of nb2prod: REST handlers under ``{base_url}nb2prod/``.

Enabled by ``jupyter-config/server-config/nb2prod.json`` (installed into
``etc/jupyter/jupyter_server_config.d/``); jupyter_server finds this module through
``nb2prod._jupyter_server_extension_points``. The handlers are thin layers over the core
(lint engine, rule registry, tag vocabulary, build pipeline): see :mod:`.handlers`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["_jupyter_server_extension_points", "_load_jupyter_server_extension"]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "nb2prod.labserver"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from nb2prod.labserver.handlers import setup_handlers

    state = setup_handlers(serverapp)
    serverapp.log.info("nb2prod: REST handlers under %snb2prod/ (root %s)", serverapp.base_url, state.root)

