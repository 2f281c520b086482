"""The HTTP service: `uvicorn {{ cookiecutter.package_name }}.app:app`, or `{{ cookiecutter.project_name }} serve`.

The app is the runtime's (runtime/app.py: endpoints, validation, drift, metrics, limits), made for
this notebook's SERVICE (service.py), with the settings of the environment (runtime/settings.py).
"""

from fastapi import FastAPI

from {{ cookiecutter.package_name }}.runtime.app import create_app as _create_app
from {{ cookiecutter.package_name }}.runtime.lockfile import PathLike
from {{ cookiecutter.package_name }}.runtime.observability import protocol_for
from {{ cookiecutter.package_name }}.runtime.settings import Settings
from {{ cookiecutter.package_name }}.service import SERVICE


def create_app(directory: PathLike | None = None, settings: Settings | None = None) -> FastAPI:
    """The service, loading its artifacts from `directory` (default: the package's own), with `settings`
    (default: `SERVICE.settings()`, from the environment)."""
    return _create_app(SERVICE, directory, settings)


app = create_app()

TimeoutH11Protocol = protocol_for(app.state.settings.header_timeout)
"""uvicorn's h11 protocol with this service's deadline for the request headers
(`{{ cookiecutter.package_name | upper }}_HEADER_TIMEOUT`), which `serve` runs; with uvicorn's own command line:
`uvicorn {{ cookiecutter.package_name }}.app:app --http {{ cookiecutter.package_name }}.app:TimeoutH11Protocol`."""
