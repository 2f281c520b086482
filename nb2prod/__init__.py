"""nb2prod: from a Jupyter notebook to a production service."""

__version__ = "0.1.0"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """The prebuilt JupyterLab extension (built from labextension/ into nb2prod/labextension)."""
    return [{"src": "labextension", "dest": "nb2prod"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """The Jupyter server extension (REST handlers for the JupyterLab extension)."""
    return [{"module": "nb2prod.labserver"}]
