"""Run the notebook top to bottom in a fresh kernel and capture what the service needs.

``skip`` cells are left out; build parameters are injected after the ``parameters``
cell as a cell tagged ``injected-parameters`` (papermill's convention: an existing one
is replaced, so builds are re-runnable). The run is :mod:`nb2prod.kernel_runner`'s (the
one runner, shared with ``lint --execute`` and the pytest plugin); the capture code
(:mod:`._capture`) runs after the notebook's cells in the same kernel, as the runner's
``after`` step. When the notebook has a ``reference`` cell, it also profiles
``reference`` for each scalar input of ``predict`` (see :func:`profile_features`).
:func:`build_error` is the one place where a run's outcome becomes the build's error.
"""

from __future__ import annotations

import ast
import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat import v4

from nb2prod.converter.errors import BuildError
from nb2prod.converter.events import Reporter
from nb2prod.converter.plan import RESPONSE_TYPES, BuildPlan
from nb2prod.kernel_runner import (
    CELL_RAISED,
    KERNEL_DIED,
    NO_KERNEL,
    RAN,
    TIMED_OUT,
    NotebookRun,
    RunOptions,
    Step,
    kernel_for,
    run_cells,
)

__all__ = ["Capture", "build_error", "execute", "execution_notebook", "profile_features"]

_CAPTURE_SOURCE = (Path(__file__).with_name("_capture.py")).read_text(encoding="utf-8")
_SERIALIZERS_FILE = Path(__file__).resolve().parent.parent / "service_runtime" / "serializers.py"
_SERIALIZERS_MODULE = "_nb2prod_serializers"  # the registry's name in the kernel (see _capture.py)
_PARAMETERS = "the injected parameters"
_REACHING = "the build's record of the values that reach the serving code"
_CAPTURE = "the build's capture step"


@dataclass
class Capture:
    python: str
    artifacts: list[dict[str, Any]]
    examples: list[dict[str, Any]]
    versions: dict[str, str]
    needed_distributions: list[str]
    artifact_dir: Path
    executed: nbformat.NotebookNode | None = field(default=None, repr=False)
    profile: dict[str, Any] | None = None  # the `reference` profile (None without a reference cell)
    origin: list[int | None] = field(default_factory=list, repr=False)  # notebook cell index of each executed cell
    # Notebook functions and classes (of plan.notebook_definitions) that the artifacts refer to:
    # their source must go into the service so that the artifacts load against it.
    exports: list[str] = field(default_factory=list)
    # With predict_batch: up to REFERENCE_SAMPLE rows of `reference`, for the generated test that compares
    # predict_batch with predict (tests/reference_sample.json of the project).
    reference_sample: list[dict[str, Any]] = field(default_factory=list)


REFERENCE_SAMPLE = 100
"""How many rows of `reference` the project's tests compare predict_batch with predict on."""


def execution_notebook(plan: BuildPlan, out_dir: Path) -> tuple[nbformat.NotebookNode, list[int | None]]:
    """The notebook that runs: (notebook, original cell index of each cell or None). Its
    last cell is the capture step."""
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
        if plan.rebound and cell.index == plan.serving_cell:
            # The values that reach the serving code (DESIGN 5), kept before a later cell binds
            # the names again; the capture serves and calls predict with them.
            keep = f"_nb2prod_reaching = {{_n: globals()[_n] for _n in {plan.rebound!r} if _n in globals()}}"
            book.cells.append(v4.new_code_cell(keep, metadata={"tags": ["nb2prod-reaching"]}))
            origin.append(None)
    features = profile_features(plan)
    call = (
        "\nglobals().update(globals().pop('_nb2prod_reaching', {}))\n"
        f"_nb2prod_capture({str(out_dir)!r}, {plan.artifacts!r}, {plan.export_modules!r}, {features!r}, "
        f"{list(plan.notebook_definitions)!r}, {REFERENCE_SAMPLE if plan.predict_batch else 0})\n"
        "del _nb2prod_capture, _nb2prod_profile\n"
    )
    book.cells.append(v4.new_code_cell(serializers_preamble() + _CAPTURE_SOURCE + call,
                                       metadata={"tags": ["nb2prod-capture"]}))
    origin.append(None)
    return book, origin


def serializers_preamble() -> str:
    """Code that makes the registry of serialisers (``service_runtime/serializers.py``, standard
    library only at import) the module ``_nb2prod_serializers`` of the kernel, for the capture step."""
    source = _SERIALIZERS_FILE.read_text(encoding="utf-8")
    return (
        "import sys as _nb2prod_sys, types as _nb2prod_types\n"
        f"_nb2prod_module = _nb2prod_types.ModuleType({_SERIALIZERS_MODULE!r})\n"
        f"_nb2prod_sys.modules[{_SERIALIZERS_MODULE!r}] = _nb2prod_module\n"
        f"exec(compile({source!r}, {str(_SERIALIZERS_FILE)!r}, 'exec'), _nb2prod_module.__dict__)\n"
        "del _nb2prod_sys, _nb2prod_types, _nb2prod_module\n"
    )


def execute(
    plan: BuildPlan,
    out_dir: Path,
    reporter: Reporter,
    *,
    cell_timeout: int | None = None,
    timeout: int | None = None,
    kernel_name: str | None = None,
    before: tuple[Step, ...] = (),
) -> Capture:
    """Execute and capture. ``cell_timeout`` (seconds per cell) and ``timeout`` (the whole
    run, 0 for no limit) default to the build's declared ones (:class:`RunOptions`);
    ``before`` runs first, unseen (:func:`run_cells`: the build's lineage hook).
    Raises :class:`BuildError` naming the failing cell."""
    options = RunOptions.for_command("build", cell_timeout=cell_timeout, timeout=timeout, kernel_name=kernel_name)
    book, origin = execution_notebook(plan, out_dir)
    *cells, capture = book.cells
    steps = [Step(cell.source, where, tuple(cell.metadata.get("tags", ())), label=_label(cell, where))
             for cell, where in zip(cells, origin, strict=False)]
    total = len(steps)

    def on_cell_start(position: int, step: Step) -> None:
        if position < total:
            label = step.name if step.index is not None else step.label.removeprefix("the ")
            reporter.progress("execute", f"{label} ({position + 1}/{total})", current=position + 1, total=total)
        else:  # the notebook has run: the capture step starts
            reporter.done("execute", f"{total} cells ran")
            reporter.start("capture", "serialising artifacts and recording examples")

    kernel, _ = kernel_for(plan.nb, options.kernel_name)
    workdir = plan.nb.path.parent if plan.nb.path is not None else Path.cwd()
    run = run_cells(steps, options, kernel=kernel or "python3", cwd=workdir,
                    after=[Step(capture.source, label=_CAPTURE)], on_cell_start=on_cell_start, before=before)
    error = build_error(run, options)
    if error is not None:
        raise error
    for cell, ran in zip(book.cells, run.cells, strict=False):  # the outputs, for the model card's metrics
        cell.outputs = [nbformat.from_dict(o) for o in ran.outputs]
    data = json.loads((out_dir / "capture.json").read_text(encoding="utf-8"))
    _raise_capture_errors(plan, data)
    _check_outputs(plan, data["examples"])
    return Capture(
        python=data["python"],
        artifacts=data["artifacts"],
        examples=data["examples"],
        versions=data["versions"],
        needed_distributions=data["needed_distributions"],
        artifact_dir=out_dir / "artifacts",
        executed=book,
        profile=_with_unprofiled(plan, data.get("profile")),
        origin=origin,
        exports=list(data.get("exports", [])),
        reference_sample=list(data.get("reference_sample", [])),
    )


def _label(cell: nbformat.NotebookNode, where: int | None) -> str:
    """How a step the build adds is named in progress and errors ('' for a notebook cell)."""
    if where is not None:
        return ""
    return _PARAMETERS if "injected-parameters" in cell.metadata.get("tags", ()) else _REACHING


def build_error(run: NotebookRun, options: RunOptions) -> BuildError | None:
    """What the build says about a run that did not run through (None when it did)."""
    place = run.failed_step or "a cell"
    if run.outcome == RAN:
        return None
    if run.outcome == CELL_RAISED:
        ename, evalue, _ = run.cells[-1].error or ("an error", "", [])
        evalue = " ".join(evalue.split())
        if len(evalue) > 200:
            evalue = evalue[:197] + "..."
        if ename == "SystemExit":
            return BuildError(f"{place} called sys.exit({evalue}): the build runs every cell that is not tagged "
                              "`skip`, and the run stops there")
        return BuildError(f"{place} raised {ename}: {evalue}".rstrip(": "))
    if run.outcome == TIMED_OUT:
        if run.reason == "cell":
            return BuildError(f"{place} took longer than {options.cell_timeout} s (--cell-timeout)")
        if not run.failed_step:
            return BuildError(f"the kernel did not start within the build's time limit of {options.timeout} s "
                              "(--timeout)")
        return BuildError(f"the notebook ran longer than the build's time limit of {options.timeout} s "
                          f"(--timeout): stopped in {place}")
    if run.outcome == KERNEL_DIED:
        return BuildError(f"the kernel died while running {place} (the cell ended its process or its parent's, "
                          "crashed, or ran out of memory)")
    if run.outcome == NO_KERNEL and run.reason == "not-installed":
        return BuildError(f"no Jupyter kernel named {run.kernel!r}: install ipykernel "
                          "in the environment the notebook needs")
    return BuildError(f"could not run the notebook: {run.message}")


def _raise_capture_errors(plan: BuildPlan, data: dict[str, Any]) -> None:
    for err in data.get("errors", []):
        if "artifact" in err:
            name = err["artifact"]
            cell = plan.artifact_cells.get(name)
            where = f" (defined in cell {cell})" if cell is not None else ""
            if "local" in err:
                raise BuildError(f"artifact `{name}`{where} {_local_reference(err['local'])}")
            if "unsaveable" in err:
                raise BuildError(f"artifact `{name}`{where} cannot be serialised: {_unsaveable(err)}")
            raise BuildError(f"artifact `{name}`{where} cannot be serialised: {err['error']}")
        if "reference" in err:
            cells = ", ".join(str(c.index) for c in plan.reference_cells)
            plural = "s" if len(plan.reference_cells) > 1 else ""
            raise BuildError(f"the `reference` cell{plural} (cell{plural} {cells}): {err['error']}")
        which, stage = f"example {err['example'] + 1}", err.get("stage", "call")
        if stage == "input":
            raise BuildError(f"{which}: its input cannot be recorded as JSON ({err['error']}): an example holds "
                             "the arguments a client would send, as plain JSON values")
        if stage == "exit":
            raise BuildError(f"{which}: predict(**example) called {err['error']}: a service's predict must return "
                             "an answer (raise an exception for bad input)")
        if stage == "output":
            raise BuildError(f"{which}: predict(**example) returned a value of type `{err['type']}`, which cannot "
                             f"be sent as JSON ({err['error']}): return numbers, strings, lists or dicts of them")
        raise BuildError(f"{which}: predict(**example) raised {err['error']}")


def _feature_kind(annotation: str) -> str | None:
    """How a parameter of ``predict`` is profiled, from its annotation: ``numeric`` (int,
    float), ``categorical`` (str, bool, Literal), ``auto`` (Any: decided by the values), or
    None for what is not one value (list, dict...). ``Optional``/``| None`` are looked through."""
    try:
        node = ast.parse(annotation, mode="eval").body
    except SyntaxError:
        return None

    def parts(n: ast.expr) -> list[ast.expr]:
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitOr):
            return parts(n.left) + parts(n.right)
        if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id in ("Optional", "Union"):
            items = n.slice.elts if isinstance(n.slice, ast.Tuple) else [n.slice]
            return [p for item in items for p in parts(item)]
        return [n]

    kinds = set()
    for part in parts(node):
        if isinstance(part, ast.Constant) and part.value is None or isinstance(part, ast.Name) and part.id == "None":
            continue
        if isinstance(part, ast.Name) and part.id in ("int", "float"):
            kinds.add("numeric")
        elif isinstance(part, ast.Name) and part.id in ("str", "bool"):
            kinds.add("categorical")
        elif isinstance(part, ast.Subscript) and isinstance(part.value, ast.Name) and part.value.id == "Literal":
            kinds.add("categorical")
        elif isinstance(part, ast.Name) and part.id == "Any":
            kinds.add("auto")
        else:
            return None
    return kinds.pop() if len(kinds) == 1 else None


def profile_features(plan: BuildPlan) -> list[dict[str, Any]] | None:
    """What the capture profiles from ``reference``: each parameter of ``predict`` that
    holds one value, with its kind; None when no cell is tagged ``reference``."""
    if not plan.reference_cells:
        return None
    features = []
    for f in plan.fields:
        kind = _feature_kind(f.annotation)
        if kind is not None:
            features.append({"name": f.name, "kind": kind, "required": f.required})
    return features


def _with_unprofiled(plan: BuildPlan, profile: dict[str, Any] | None) -> dict[str, Any] | None:
    """The capture's profile, noting the parameters whose type is not one value."""
    if profile is None:
        return None
    for f in plan.fields:
        if _feature_kind(f.annotation) is None:
            profile.setdefault("unprofiled", {})[f.name] = f"its type, `{f.annotation}`, is not a single value"
    return profile


def _unsaveable(err: dict[str, Any]) -> str:
    """Why no serialiser saved an artifact, and what to do: one line."""
    what, tried = err["unsaveable"], [tuple(t) for t in err.get("tried", [])]
    names = ", ".join(str(name) for name, _ in tried) or "none handles it"
    said = ""
    if what.startswith("an object of type") and tried:  # not a kind known to be unsaveable: say why
        last, reason = tried[-1]
        said = f"; {last}: {reason if len(reason) <= 160 else reason[:157] + '...'}"
    return (f"it is {what}, which no serialiser can save (tried: {names}{said}): compute plain data or a model "
            "object in the training cells, and keep what cannot be saved inside `predict` or a function it calls")


def _local_reference(local: dict[str, Any]) -> str:
    """Why an artifact whose pickle names notebook (or notebook-folder) code cannot be served."""
    module, qualname, kind = local["module"], local["name"], local["kind"]
    if local.get("stale"):
        what = {"instance": "is an instance of", "held": "holds an instance of"}.get(kind, "refers to")
        return (f"{what} an earlier definition of `{qualname}`: the "
                f"notebook defines `{qualname.split('.')[0]}` again after this object was made, and the service "
                "gets only the last definition — make the object after the definition it uses, or rename one")
    if module == "__main__":
        origin = "defined in the notebook (`__main__`)"
    else:
        origin = f"defined in `{module}` ({Path(local['file']).name}, a local module no package installs)"
    if kind == "instance":
        what, fix = f"is an instance of `{qualname}`", "move the class"
    elif kind == "held":
        what, fix = f"holds an instance of `{qualname}`", "move the class"
    elif kind == "class":
        what, fix = f"is or holds the class `{qualname}`", "move the class"
    else:
        what, fix = f"refers to the function `{qualname}`", "move the function"
    return (f"{what}, {origin}: the service cannot import it — {fix} into a package the service installs, "
            "or serve plain data")


def _json_type(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def _fits(value: Any, annotation: str) -> bool:
    """Whether the response model (``prediction: <annotation>``) accepts ``value``, as JSON."""
    if annotation == "int":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if annotation == "float":  # None: the capture's record of NaN/Infinity, which JSON lacks
        return value is None or isinstance(value, (int, float))
    if annotation == "bool":
        return isinstance(value, bool) or (type(value) is int and value in (0, 1))
    return isinstance(value, {"str": str, "list": list, "dict": dict}[annotation])


def _check_outputs(plan: BuildPlan, examples: list[dict[str, Any]]) -> None:
    """Each example's output must fit the response type the template derives from the return
    annotation (``-> int`` and the like): else the service would answer 500 for it."""
    annotation = plan.return_annotation
    if annotation not in RESPONSE_TYPES:
        return
    for i, example in enumerate(examples):
        output = example.get("output")
        if not _fits(output, annotation):
            raise BuildError(f"predict is annotated -> {annotation} but returned {_json_type(output)} "
                             f"for example {i + 1}: fix the annotation, or convert the result")
