"""nb2prod: from a Jupyter notebook to a production service."""

__version__ = "0.1.0"
