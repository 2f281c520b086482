"""Run the notebook top to bottom in a fresh kernel and capture what the service needs.

``skip`` cells are left out; build parameters are injected after the ``parameters``
cell as a cell tagged ``injected-parameters`` (papermill's convention: an existing one
is replaced, so builds are re-runnable). The capture code (:mod:`._capture`) runs last
in the same kernel.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat import v4

from nb2prod.build.errors import BuildError
from nb2prod.build.events import Reporter
from nb2prod.build.plan import BuildPlan

__all__ = ["Capture", "execute", "execution_notebook"]

_CAPTURE_SOURCE = (Path(__file__).with_name("_capture.py")).read_text(encoding="utf-8")


@dataclass
class Capture:
    python: str
    artifacts: list[dict[str, Any]]
    examples: list[dict[str, Any]]
    versions: dict[str, str]
    needed_distributions: list[str]
    artifact_dir: Path
    executed: nbformat.NotebookNode | None = field(default=None, repr=False)


def execution_notebook(plan: BuildPlan, out_dir: Path) -> tuple[nbformat.NotebookNode, list[int | None]]:
    """The notebook that runs: (notebook, original cell index of each cell or None)."""
    src = plan.nb
    book = v4.new_notebook(metadata=copy.deepcopy(src.metadata))
    origin: list[int | None] = []
    skipped = {c.index for c in plan.skip_cells}
    overrides = plan.parameters if plan.parameters_cell is not None else {}
    for cell in src.cells:
        if cell.cell_type != "code" or cell.index in skipped or "injected-parameters" in cell.tags:
            continue
        book.cells.append(v4.new_code_cell(cell.source, metadata={"tags": list(cell.tags)}))
        origin.append(cell.index)
        if plan.parameters_cell is not None and cell is plan.parameters_cell and overrides:
            lines = ["# Parameters (injected by nb2prod build)"]
            lines += [f"{name} = {value!r}" for name, value in overrides.items()]
            book.cells.append(v4.new_code_cell("\n".join(lines), metadata={"tags": ["injected-parameters"]}))
            origin.append(None)
    call = (
        f"\n_nb2prod_capture({str(out_dir)!r}, {plan.artifacts!r}, {plan.export_modules!r})\n"
        "del _nb2prod_capture\n"
    )
    book.cells.append(v4.new_code_cell(_CAPTURE_SOURCE + call, metadata={"tags": ["nb2prod-capture"]}))
    origin.append(None)
    return book, origin


def execute(
    plan: BuildPlan,
    out_dir: Path,
    reporter: Reporter,
    *,
    timeout: int = 600,
    kernel_name: str | None = None,
) -> Capture:
    """Execute and capture. Raises :class:`BuildError` naming the failing cell."""
    from nbclient import NotebookClient

    book, origin = execution_notebook(plan, out_dir)
    ks = plan.nb.metadata.get("kernelspec")
    name = kernel_name or (ks.get("name") if isinstance(ks, dict) and isinstance(ks.get("name"), str) else None)
    total = len(book.cells) - 1

    def on_cell_start(cell: Any, cell_index: int) -> None:
        if cell_index < total:
            where = origin[cell_index]
            label = f"cell {where}" if where is not None else "injected parameters"
            reporter.progress("execute", f"{label} ({cell_index + 1}/{total})", current=cell_index + 1, total=total)
        else:
            reporter.done("execute", f"{total} cells ran")
            reporter.start("capture", "serialising artifacts and recording examples")

    workdir = plan.nb.path.parent if plan.nb.path is not None else Path.cwd()
    with tempfile.TemporaryDirectory(prefix="nb2prod-kernel-") as sockets:
        client = NotebookClient(
            book,
            timeout=timeout,
            kernel_name=name or "python3",
            kernel_manager_class=_ipc_kernel_manager(os.path.join(sockets, "kernel")),
            resources={"metadata": {"path": str(workdir)}},
            on_cell_start=on_cell_start,
        )
        _run(client, book, origin, timeout, name)
    data = json.loads((out_dir / "capture.json").read_text(encoding="utf-8"))
    _raise_capture_errors(plan, data)
    return Capture(
        python=data["python"],
        artifacts=data["artifacts"],
        examples=data["examples"],
        versions=data["versions"],
        needed_distributions=data["needed_distributions"],
        artifact_dir=out_dir / "artifacts",
        executed=book,
    )


def _ipc_kernel_manager(socket_prefix: str) -> type:
    """A KernelManager whose kernel talks over Unix sockets under ``socket_prefix``: no
    TCP ports, nothing reachable from outside, no warning about unencrypted TCP. nbclient
    creates and owns it, so it also shuts the kernel down and closes the channels."""
    from jupyter_client.manager import KernelManager

    class IPCKernelManager(KernelManager):
        def __init__(self, **kwargs: Any) -> None:
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", socket_prefix)
            super().__init__(**kwargs)

    return IPCKernelManager


def _run(client: Any, book: nbformat.NotebookNode, origin: list[int | None], timeout: int, name: str | None) -> None:
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    try:
        client.execute()
    except CellTimeoutError:
        raise BuildError(f"{_failed_cell(book, origin)} took longer than {timeout} s (--timeout)") from None
    except CellExecutionError:
        raise BuildError(_describe_failure(book, origin)) from None
    except DeadKernelError:
        raise BuildError(f"the kernel died while running {_failed_cell(book, origin)}") from None
    except Exception as exc:  # kernel missing, cannot start...
        message = " ".join(str(exc).split())[:300]
        if "No such kernel" in message:
            raise BuildError(f"no Jupyter kernel named {name or 'python3'!r}: install ipykernel "
                             "in the environment the notebook needs") from None
        raise BuildError(f"could not run the notebook: {type(exc).__name__}: {message}") from None


def _failed_cell(book: nbformat.NotebookNode, origin: list[int | None]) -> str:
    for i, cell in enumerate(book.cells):
        if cell.get("execution_count") is None and cell.cell_type == "code":
            where = origin[i] if i < len(origin) else None
            return f"cell {where}" if where is not None else "the build's own cell"
    return "a cell"


def _describe_failure(book: nbformat.NotebookNode, origin: list[int | None]) -> str:
    for i, cell in enumerate(book.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                where = origin[i]
                evalue = " ".join(str(out.get("evalue", "")).split())
                if len(evalue) > 200:
                    evalue = evalue[:197] + "..."
                place = f"cell {where}" if where is not None else "the injected parameters"
                if where is None and i == len(book.cells) - 1:
                    place = "the build's capture step"
                return f"{place} raised {out.get('ename', 'an error')}: {evalue}".rstrip(": ")
    return "a cell raised an error"


def _raise_capture_errors(plan: BuildPlan, data: dict[str, Any]) -> None:
    for err in data.get("errors", []):
        if "artifact" in err:
            name = err["artifact"]
            cell = plan.artifact_cells.get(name)
            where = f" (defined in cell {cell})" if cell is not None else ""
            raise BuildError(f"artifact `{name}`{where} cannot be serialised: {err['error']}")
        raise BuildError(f"example {err['example'] + 1}: predict(**example) failed: {err['error']}")
