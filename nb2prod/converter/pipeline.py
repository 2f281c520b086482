"""The build pipeline: lint gate -> analyse -> execute -> capture -> render -> verify.

Everything is written into a staging folder beside the target and moved into place at
the end, so a failed build leaves nothing behind and an existing project is replaced
only with ``force`` (and then only once the new one is complete).
"""

from __future__ import annotations

import ast
import datetime as _dt
import hashlib
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nb2prod import __version__
from nb2prod.converter._render import command as render_command
from nb2prod.converter.errors import BuildError
from nb2prod.converter.events import EventSink, Reporter
from nb2prod.converter.execute import Capture, execute
from nb2prod.converter.lineage import (
    LOG_FILE,
    Lineage,
    cell_numbers,
    changed_names,
    data_changes,
    data_files,
    previous_data,
    project_root,
    read_log,
    setup_step,
    system_dirs,
)
from nb2prod.converter.model_card import collect_metrics, model_card_for_build
from nb2prod.converter.plan import BuildPlan, exported_modules, make_plan
from nb2prod.converter.records import LOCK_FILE, BuildContext, FileRef, Lock, LockedArtifact, NotebookRef, write_lock
from nb2prod.converter.requirements import pinned_requirements, verify, verify_failure_summary
from nb2prod.converter.resolve import DEFINITION, statement_lines
from nb2prod.converter.runtime import copy_runtime
from nb2prod.masking import redact
from nb2prod.notebook import Cell, Notebook, NotebookError, read_notebook

__all__ = [
    "BuildOptions", "BuildResult", "build", "default_template", "profile_bytes", "project_names", "write_profile",
]

PROFILE_FILE = "profile.json"  # the `reference` profile, in <package>/, named with its sha256 by the lock


def profile_bytes(profile: dict[str, Any]) -> bytes:
    """The content of ``<package>/profile.json``: the build writes exactly these bytes, and
    the lock names their sha256."""
    return (json.dumps(profile, indent=2, allow_nan=False) + "\n").encode("utf-8")


def write_profile(package_dir: Path, profile: dict[str, Any]) -> Path:
    """Write ``profile.json`` into a rendered package (a template does not render it)."""
    path = package_dir / PROFILE_FILE
    path.write_bytes(profile_bytes(profile))
    return path


REFERENCE_SAMPLE_FILE = "reference_sample.json"  # in the project's tests/, with predict_batch


def write_reference_sample(tests_dir: Path, rows: list[dict[str, Any]]) -> Path:
    """Write ``tests/reference_sample.json``: rows of ``reference`` on which the project's tests check that
    ``predict_batch`` answers as ``predict`` does (not shipped in the wheel: tests/ is not in the package)."""
    path = tests_dir / REFERENCE_SAMPLE_FILE
    path.unlink(missing_ok=True)
    lines = ",\n".join(json.dumps(row, allow_nan=False, ensure_ascii=False) for row in rows)
    path.write_text(f"[\n{lines}\n]\n" if rows else "[]\n", encoding="utf-8")
    return path


@dataclass
class BuildOptions:
    notebook: Path
    output: Path | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    template: str | None = None
    verify: bool = False
    force: bool = False
    gate: bool = True
    cell_timeout: int | None = None  # seconds per cell; None: the build's declared default (kernel_runner.RunOptions)
    timeout: int | None = None  # seconds for the whole run, 0: no limit; None: the build's declared default
    kernel_name: str | None = None


@dataclass
class BuildResult:
    output: Path
    project_name: str
    package_name: str
    plan: BuildPlan
    capture: Capture
    timings: dict[str, float]
    verified: bool | None = None
    verify_log: str = ""
    verify_summary: str = ""  # why verify failed, in one line (secrets masked)
    lineage: Lineage = field(default_factory=Lineage)  # the data files the notebook read (also in the lock)
    # One line per data file changed, new or no longer read since the build this one replaced
    # (the progress events of the capture stage say them too).
    data_changes: list[str] = field(default_factory=list)


def default_template() -> Path:
    """The bundled template: inside the wheel, else the checkout's ``templates/``."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "templates" / "service", here.parent / "templates" / "service"):
        if (candidate / "cookiecutter.json").is_file():
            return candidate
    raise BuildError("the default template is missing from this installation of nb2prod")


def project_names(output: Path) -> tuple[str, str]:
    """(distribution name, package name) from the output folder's name.

    Accents are folded (``Ürün`` -> ``urun``); a name that an installed or standard
    module already has (``-o pandas``) gets ``_service`` so the service does not shadow it.
    """
    import importlib.util
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", output.name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "service"
    if not slug[0].isalpha():
        slug = f"service-{slug}"
    package = slug.replace("-", "_")
    taken = package in sys.stdlib_module_names or importlib.util.find_spec(package) is not None
    if taken:
        slug, package = f"{slug}-service", f"{package}_service"
    return slug, package


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _strip_tag_comment(source: str) -> str:
    lines = source.splitlines()
    if lines and re.match(r"^\s*#\s*nb2prod\s*:", lines[0]):
        lines = lines[1:]
    return "\n".join(lines).strip("\n")


def _model_code(plan: BuildPlan) -> str:
    """The service's code: what the serving code needs from other cells (imports,
    definitions, constants: see :mod:`.resolve`), then the ``serve`` and ``predict`` cells,
    in notebook order, each block marked with its cell."""
    exported = {c.index for c in plan.exported_cells}
    pieces: list[tuple[int, int, str]] = []  # (cell, position, code)
    if plan.resolution is not None:
        pieces += [piece for piece in plan.resolution.statements() if piece[0] not in exported]
    pieces += [(c.index, -1, "") for c in plan.exported_cells]
    by_index = {c.index: c for c in plan.nb.cells}
    blocks: list[tuple[str, list[str]]] = []  # (header, statements)
    current: int | None = None
    for cell_index, _position, code in sorted(pieces, key=lambda p: (p[0], p[1])):
        if cell_index in exported:
            cell = by_index[cell_index]
            tag = "predict" if cell is plan.predict_cell else "serve"
            blocks.append((f"# --- notebook cell {cell_index} ({tag}) ---", [_strip_tag_comment(cell.source)]))
            current = None
        elif cell_index == current:
            blocks[-1][1].append(code)
        else:
            blocks.append((f"# --- notebook cell {cell_index} ---", [code]))
            current = cell_index

    def joined(statements: list[str]) -> str:
        out = statements[0]
        for before, after in zip(statements, statements[1:], strict=False):
            compound = any(s.lstrip().startswith(_DEFINITION_STARTS) for s in (before, after))
            out += ("\n\n\n" if compound else "\n") + after
        return out

    return "\n\n".join(f"{header}\n{joined(statements)}\n" for header, statements in blocks)


_DEFINITION_STARTS = ("def ", "async def ", "class ", "@")


def _script_source(cell: Cell, replaced: dict[int, tuple[int, str]] | None = None) -> str:
    """A training cell as script code: IPython-only lines become comments, and the
    statements in ``replaced`` (first cell line -> (last line, what)) a note that the
    service's code has them."""
    source = _strip_tag_comment(cell.source)
    parsed = cell.parsed
    if parsed.cell_magic is not None and parsed.tree is None:  # %%bash, %%html...: not Python
        return "\n".join(f"# (not run outside IPython) {line}" for line in source.splitlines())
    if not parsed.magics and not replaced:
        return source
    lines = cell.source.splitlines()
    for m in parsed.magics:  # line magics, and the %%time line of a Python-body cell magic
        if 1 <= m.line <= len(lines):
            line = lines[m.line - 1]
            indent = line[: len(line) - len(line.lstrip())]
            lines[m.line - 1] = f"{indent}pass  # (not run outside IPython) {line.strip()}"
    for first, (last, what) in sorted((replaced or {}).items(), reverse=True):
        lines[first - 1:last] = [f"pass  # {what}: in the service's model.py, imported above"]
    return _strip_tag_comment("\n".join(lines))


# In train.py, after the serving cell: the values that reach the serving code, which later cells
# bind again (DESIGN 5); run_training() returns these, as the build served them.
_REACHING_TRAIN = ("# --- the values that reach the serving code (later cells bind these names again) ---\n"
                   "_nb2prod_reaching = {{_n: _v for _n, _v in locals().items() if _n in {names!r}}}\n")


def _train_code(plan: BuildPlan) -> str:
    """The training cells, for train.py: the cells that run at build time, but the
    ``serve`` and ``predict`` cells and the definitions exported with them, which train.py
    takes from model.py (so that retrained artifacts are instances of the service's classes)."""
    skip = {c.index for c in [*plan.skip_cells, *plan.test_cells, *plan.example_cells, *plan.exported_cells]}
    replaced: dict[int, dict[int, tuple[int, str]]] = {}
    by_index = {c.index: c for c in plan.nb.cells}
    if plan.resolution is not None:
        for need in plan.resolution.of_kind(DEFINITION):
            cell = by_index[need.cell]
            offset = cell.parsed.line_offset
            stmt = cell.parsed.tree.body[need.position] if cell.parsed.tree is not None else None
            if stmt is None:
                continue
            first, last = statement_lines(stmt)
            kind = "class" if isinstance(stmt, ast.ClassDef) else "def"
            replaced.setdefault(need.cell, {})[first + offset] = (last + offset, f"{kind} {need.name}")
    blocks = []
    kept = False
    for cell in plan.nb.cells:
        if plan.rebound and not kept and cell.index > plan.serving_cell:
            blocks.append(_REACHING_TRAIN.format(names=plan.rebound))
            kept = True
        if not cell.is_code or cell.index in skip or not cell.source.strip():
            continue
        blocks.append(f"# --- notebook cell {cell.index} ---\n{_script_source(cell, replaced.get(cell.index))}\n")
        if cell is plan.parameters_cell and plan.parameters:
            lines = [f"{k} = {v!r}" for k, v in plan.parameters.items()]
            blocks.append("# --- build parameters ---\n" + "\n".join(lines) + "\n")
    return "\n\n".join(blocks)


def _test_code(plan: BuildPlan) -> str:
    blocks = []
    for cell in plan.exported_test_cells:
        body = _strip_tag_comment(cell.source)
        tree = cell.parsed.tree
        defines_tests = tree is not None and any(
            getattr(s, "name", "").startswith("test") for s in tree.body
        )
        if defines_tests:
            blocks.append(f"# --- notebook cell {cell.index} (test) ---\n{body}\n")
        else:
            blocks.append(
                f"# --- notebook cell {cell.index} (test) ---\ndef test_cell_{cell.index}() -> None:\n"
                + textwrap.indent(body or "pass", "    ")
                + "\n"
            )
    return "\n\n".join(blocks)


def _lock(
    plan: BuildPlan, capture: Capture, lint_score: int | None, lineage: Lineage | None, metrics: dict[str, Any]
) -> Lock:
    nb_path = plan.nb.path
    notebook_sha = _sha256(nb_path) if nb_path is not None and nb_path.is_file() else ""
    built = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
    profile = None
    if capture.profile:
        profile = FileRef(PROFILE_FILE, hashlib.sha256(profile_bytes(capture.profile)).hexdigest())
    return Lock(
        nb2prod_version=__version__,
        built_at=built,
        notebook=NotebookRef(nb_path.name if nb_path else "", notebook_sha),
        python=capture.python,
        parameters=plan.parameters,
        seeds=plan.seeds,
        lint_score=lint_score,
        artifacts=[LockedArtifact.from_dict({**a, "cell": plan.artifact_cells.get(a["name"])})
                   for a in capture.artifacts],
        packages=capture.versions,
        requirements=pinned_requirements(capture.versions, capture.needed_distributions),
        examples=len(capture.examples),
        profile=profile,
        data=list(lineage.data) if lineage else [],
        data_outputs=list(lineage.outputs) if lineage else [],
        metrics=[{key: entry[key] for key in ("name", "value", "printed", "cell")} for entry in metrics["values"]],
    )


def _context(
    plan: BuildPlan, capture: Capture, project: str, package: str, lint_score: int | None,
    lineage: Lineage | None = None,
) -> BuildContext:
    """What the template is rendered with (:meth:`BuildContext.cookiecutter_context` makes
    the documented keys of it)."""
    nb_path = plan.nb.path
    metrics = collect_metrics(plan.nb, capture.executed, capture.origin)  # the lock's and the model card's
    lock = _lock(plan, capture, lint_score, lineage, metrics)
    return BuildContext(
        project_name=project,
        package_name=package,
        title=plan.title or project,
        description=plan.description,
        python_version=".".join(capture.python.split(".")[:2]),
        nb2prod_version=__version__,
        notebook_name=nb_path.name if nb_path else "notebook.ipynb",
        fields=plan.fields,
        return_annotation=plan.return_annotation,
        model_code=_model_code(plan),
        train_code=_train_code(plan),
        test_code=_test_code(plan),
        examples=capture.examples,
        parameters=plan.parameters,
        profile=capture.profile,
        lock=lock,
        model_card=model_card_for_build(plan, capture, lock, project, metrics),
        predict_batch=plan.predict_batch,
    )


def _render(template: str, context: dict[str, Any], staging: Path) -> Path:
    """Render ``template`` into ``staging/rendered`` in a child process (see :mod:`._render`:
    cookiecutter changes the working directory of the process it runs in)."""
    out = staging / "rendered"
    out.mkdir()
    job_file, result_file = staging / "render-job.pickle", staging / "render-result.json"
    with job_file.open("wb") as fh:
        pickle.dump({"template": template, "context": context, "output_dir": str(out)}, fh)
    proc = subprocess.run(render_command(job_file, result_file), cwd=staging, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, errors="replace")
    try:
        result = json.loads(result_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        last = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
        raise BuildError(f"template {template} failed to render: {last}") from None
    if "error" in result:
        raise BuildError(result["error"])
    return Path(result["project"])


def _place(project: Path, target: Path, force: bool, notebook: Path) -> None:
    if target.exists() and target.is_dir() and not any(target.iterdir()):
        target.rmdir()
    if not target.exists():
        os.replace(project, target)
        return
    check_target(target, force, notebook)  # again: the folder may have changed while the notebook ran
    backup = target.with_name(f".{target.name}.nb2prod-old-{os.getpid()}")
    os.replace(target, backup)
    try:
        os.replace(project, target)
    except OSError:
        os.replace(backup, target)
        raise
    if backup.is_dir() and not backup.is_symlink():
        shutil.rmtree(backup)
    else:
        backup.unlink()


def built_by_nb2prod(folder: Path) -> bool:
    """Whether ``folder`` is a project that an nb2prod build wrote: a package folder in it
    holds the build's lock (``<package>/nb2prod.lock.json`` naming an nb2prod version)."""
    try:
        children = [c for c in folder.iterdir() if c.is_dir() and not c.is_symlink()]
    except OSError:
        return False
    for child in children:
        lock = child / LOCK_FILE
        try:
            if lock.is_file() and not lock.is_symlink() and lock.stat().st_size < 10_000_000:
                data = json.loads(lock.read_text(encoding="utf-8"))
                if isinstance(data, dict) and "nb2prod_version" in data:
                    return True
        except (OSError, ValueError):
            continue
    return False


def real_path(path: Path) -> Path:
    """``path`` absolute, with every symbolic link and ``..`` resolved (it need not exist):
    the only form in which two paths can be compared safely."""
    return Path(os.path.realpath(os.path.abspath(path)))


def check_target(target: Path, force: bool, notebook: Path) -> None:
    """Raise :class:`BuildError` unless the build may write ``target`` (a real path, see
    :func:`real_path`). Never the folder of the notebook or of the current directory, or
    one that holds them (however they are reached: symbolic links are resolved); a
    non-empty folder only with ``force``, and only when an earlier build made it."""
    nb = real_path(notebook)
    if nb == target or nb.is_relative_to(target):
        raise BuildError(f"{target} holds the notebook itself: choose another output folder")
    if real_path(Path.cwd()).is_relative_to(target):
        raise BuildError(f"{target} is the current folder or holds it: choose another output folder")
    if target.exists() and not target.is_dir():
        raise BuildError(f"{target} exists and is not a folder")
    if not target.parent.is_dir():
        raise BuildError(f"{target.parent} does not exist")
    try:
        empty = not target.is_dir() or not any(target.iterdir())
    except OSError as exc:
        raise BuildError(f"{target}: cannot read the folder: {exc.strerror or exc}") from None
    if empty:
        return
    if not force:
        raise BuildError(f"{target} is not empty: use --force to replace it")
    if not built_by_nb2prod(target):
        raise BuildError(f"{target} is not empty and no nb2prod build made it (no <package>/{LOCK_FILE} in it): "
                         "--force only replaces a project an earlier build wrote; choose another output folder")


def build(options: BuildOptions, sink: EventSink | None = None) -> BuildResult:
    """Build the service. Raises :class:`BuildError`; then nothing was written."""
    reporter = Reporter(sink)
    nb_path = options.notebook
    from nb2prod.config import ConfigError, settings_for

    try:
        limit = settings_for(nb_path).options["max-notebook-bytes"]
    except ConfigError as exc:
        raise BuildError(str(exc)) from None
    try:
        nb = read_notebook(nb_path, max_bytes=limit)
    except NotebookError as exc:  # the CLI and the server name the notebook before the message
        raise BuildError(f"cannot read the notebook: {exc}") from None
    given = Path(os.path.abspath(options.output or nb_path.parent / f"{nb_path.stem}-service"))
    project, package = project_names(given)  # named as the user named it; written where it really is
    target = real_path(given)
    check_target(target, options.force, nb_path)
    previous = previous_data(target, package)  # before anything replaces it: the lineage of the build there
    template = options.template or str(default_template())
    _check_template(template)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.nb2prod-", dir=target.parent))
    except OSError as exc:
        raise BuildError(f"cannot write in {target.parent}: {exc.strerror or exc}") from None
    try:
        return _build(options, reporter, nb, target, project, package, template, staging, previous)
    except OSError as exc:  # the disk filled up, a folder became read-only...
        where = f"{exc.filename}: " if exc.filename else ""
        raise BuildError(f"cannot write the project: {where}{exc.strerror or exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _build(
    options: BuildOptions, reporter: Reporter, nb: Notebook, target: Path, project: str, package: str, template: str,
    staging: Path, previous: list[dict[str, Any]] | None = None,
) -> BuildResult:
    """The stages, in order (DESIGN 6); each runs inside one :meth:`Reporter.stage`.
    ``previous`` is the lineage of the build in ``target`` (:func:`.lineage.previous_data`)."""
    lint_score = _lint_gate(options, reporter, nb)
    plan = _analyse(options, reporter, nb)
    capture, lineage, changes = _execute_and_capture(options, reporter, plan, staging, target, previous)
    rendered = _render_stage(reporter, plan, capture, project, package, template, lint_score, staging, lineage)
    result = BuildResult(target, project, package, plan, capture, reporter.timings, lineage=lineage,
                         data_changes=changes)
    if options.verify:
        _verify_stage(reporter, result, rendered, target, staging)
    else:
        reporter.skipped("verify", "use --verify to install and test the service in a fresh venv")
    _place(rendered, target, options.force, options.notebook)
    reporter.progress("render", f"written to {target}")
    result.timings = reporter.timings
    return result


def _lint_gate(options: BuildOptions, reporter: Reporter, nb: Notebook) -> int | None:
    """Lint the notebook; errors stop the build unless ``options.gate`` is off. Its readiness score."""
    from nb2prod.config import ConfigError, settings_for
    from nb2prod.diagnostics import Severity
    from nb2prod.engine import lint_notebook

    with reporter.stage("lint") as stage:
        try:
            result = lint_notebook(nb, settings_for(options.notebook))
        except ConfigError as exc:
            raise BuildError(str(exc)) from None
        lint_score = result.score.total if result.score else None
        errors = [f for f in result.findings if f.severity >= Severity.ERROR]
        if errors and options.gate:
            shown = "; ".join(f"cell {f.cell}: {f.code} {f.message}" for f in errors[:3])
            more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
            stage.fail(f"{len(errors)} error(s)")
            raise BuildError(f"lint found {len(errors)} error(s) that block the build: {shown}{more} "
                             "(fix them, or build anyway with --no-gate)")
        stage.summary(f"readiness {lint_score}/100, {len(result.findings)} finding(s)",
                      score=lint_score, findings=len(result.findings))
    return lint_score


def _analyse(options: BuildOptions, reporter: Reporter, nb: Notebook) -> BuildPlan:
    """Tags, dataflow, the schema from ``predict``'s signature: the plan of the build."""
    with reporter.stage("analyse") as stage:
        plan = make_plan(nb, options.parameters)
        found = plan.resolution.summary() if plan.resolution is not None else ""
        stage.summary(f"predict({', '.join(f.name for f in plan.fields)}); from the notebook: {found}",
                      fields=[f.to_dict() for f in plan.fields], artifacts=plan.artifacts,
                      resolved=[{"name": n.name, "kind": n.kind, "cell": n.cell, "reader": n.reader}
                                for n in (plan.resolution.needs.values() if plan.resolution else ())])
    return plan


def _execute_and_capture(
    options: BuildOptions, reporter: Reporter, plan: BuildPlan, staging: Path, target: Path,
    previous: list[dict[str, Any]] | None = None,
) -> tuple[Capture, Lineage, list[str]]:
    """Run the notebook in a fresh kernel, then capture what it made (in that kernel):
    :func:`execute` ends ``execute`` and starts ``capture`` when the notebook's own cells
    have run, so a failure is reported by the stage it happened in. The files the notebook
    read (:mod:`.lineage`) are hashed here, and compared with ``previous``: (capture, the
    lineage, one line per data file changed since the previous build)."""
    capture_dir = staging / "capture"
    capture_dir.mkdir()
    log = staging / LOG_FILE
    with reporter.stage("execute", "running the notebook in a fresh kernel") as stage:
        capture = execute(plan, capture_dir, reporter, cell_timeout=options.cell_timeout, timeout=options.timeout,
                          kernel_name=options.kernel_name, before=(setup_step(log),))
        _export_artifact_classes(plan, capture)
        lineage = _lineage(plan, capture, log, staging, target)
        changes = data_changes(previous, lineage.data)
        for line in changes:
            stage.progress(line)
        profiled = f", reference profiled ({len(capture.profile['features'])} input(s))" if capture.profile else ""
        read = f", {len(lineage.data)} data file(s) read"
        if changes:
            read += f"; changed since the previous build: {changed_names(changes)}"
        stage.summary(f"{len(capture.artifacts)} artifact(s), {len(capture.examples)} example(s){profiled}{read}",
                      data=[d.path for d in lineage.data], data_changes=changes)
    return capture, lineage, changes


def _lineage(plan: BuildPlan, capture: Capture, log: Path, staging: Path, target: Path) -> Lineage:
    """The data files the notebook read, from the hook's log (see :mod:`.lineage`)."""
    from nb2prod.config import ConfigError, settings_for

    nb_path = plan.nb.path
    if nb_path is None:
        return Lineage()
    header, reads = read_log(log)
    executed = capture.executed.cells[:-1] if capture.executed is not None else []  # the capture step left out
    cells = cell_numbers([c.source for c in executed], capture.origin[: len(executed)], header.get("base"))
    try:
        config_root = settings_for(nb_path).root
    except ConfigError:  # the lint gate read it already: not reached
        config_root = None
    excluded = [*system_dirs(header), nb_path, staging, target]
    return data_files(reads, root=project_root(nb_path, config_root), excluded=excluded, cells=cells)


def _export_artifact_classes(plan: BuildPlan, capture: Capture) -> None:
    """The notebook's classes and functions that the artifacts refer to (an instance of a
    class the notebook defines, a function held in a pipeline) go into the service's code
    with what they need, so the artifacts load against them."""
    if not capture.exports or plan.resolution is None:
        return
    extra = plan.resolution.add(capture.exports, "an artifact")
    if extra:
        need = plan.resolution.needs[extra[0]]
        raise BuildError(f"{need.reader} reads `{need.name}` (cell {need.cell}), a computed value: the service gets "
                         "it only as an artifact, and an artifact cannot need one; pass it in, or compute it inside")
    # What the exported classes import (say a class's method imports scipy) must be installed too:
    # the distributions of the new modules, among those the build kernel had.
    new_modules = [m for m in exported_modules(plan.resolution) if m not in plan.export_modules]
    if new_modules:
        import importlib.metadata

        by_module = importlib.metadata.packages_distributions()
        for module in new_modules:
            for dist in by_module.get(module, []):
                if dist in capture.versions and dist not in capture.needed_distributions:
                    capture.needed_distributions.append(dist)
        plan.export_modules.extend(new_modules)


def _render_stage(
    reporter: Reporter, plan: BuildPlan, capture: Capture, project: str, package: str, template: str,
    lint_score: int | None, staging: Path, lineage: Lineage | None = None,
) -> Path:
    """Render the template into the staging folder, add the artifacts, the profile and the
    lock; the rendered project (not yet in place)."""
    with reporter.stage("render", "rendering the service template") as stage:
        context = _context(plan, capture, project, package, lint_score, lineage)
        _check_train_code(context.train_code)
        rendered = _render(template, context.cookiecutter_context(), staging)
        package_dir = rendered / package
        if not package_dir.is_dir():
            raise BuildError(f"template {template} rendered no folder named {package!r} (see docs/templates.md)")
        copy_runtime(rendered, package, template)  # nb2prod/service_runtime, verbatim, if the template asks for it
        artifact_dir = package_dir / "artifacts"
        artifact_dir.mkdir(exist_ok=True)
        for a in capture.artifacts:
            shutil.copy2(capture.artifact_dir / a["file"], artifact_dir / a["file"])
        if capture.profile:
            write_profile(package_dir, capture.profile)
        if plan.predict_batch and (rendered / "tests").is_dir():
            write_reference_sample(rendered / "tests", capture.reference_sample)
        lock_file = package_dir / LOCK_FILE
        lock_file.unlink(missing_ok=True)  # the lock is the build's: one a template renders (a link...) is replaced
        write_lock(lock_file, context.lock)
        stage.summary(f"{project} (package {package})")
    for index, names in plan.notebook_only_tests.items():
        reporter.progress("render", f"test cell {index} stays in the notebook: it reads {', '.join(names)}, "
                          "which only training defines")
    return rendered


def _verify_stage(reporter: Reporter, result: BuildResult, rendered: Path, target: Path, staging: Path) -> None:
    """Verify the staged project: an existing target is replaced only by a project that passed."""
    with reporter.stage("verify", "installing into a fresh venv and running the generated tests") as stage:
        ok, log = verify(rendered, reporter)
        result.verified, result.verify_log = ok, log
        if ok:
            stage.summary("the generated tests pass")
            return
        summary = redact(verify_failure_summary(log))
        result.verify_summary = summary
        stage.fail(summary)
    (rendered / "verify.log").write_text(redact(log), encoding="utf-8")
    if target.exists() and any(target.iterdir()):
        kept = staging.with_name(f"{target.name}.failed-verify")
        if kept.exists() and built_by_nb2prod(kept):
            shutil.rmtree(kept)  # the project of an earlier failed verify
        elif kept.exists():  # a folder of the user's that happens to have that name
            kept = kept.with_name(f"{kept.name}-{os.getpid()}")
        os.replace(rendered, kept)
        raise BuildError(f"the service failed its checks: {summary}; {target} was left as it was, "
                         f"the new project and its verify.log are in {kept}")


def _check_train_code(code: str) -> None:
    """train.py runs the training cells inside a function: make sure they compile there."""
    try:
        compile("def run_training():\n" + textwrap.indent(code or "pass", "    "), "train.py", "exec")
    except SyntaxError as exc:
        raise BuildError(f"the training cells cannot become train.py: {exc.msg} ({exc.text or ''}".strip()
                         + ")") from None


def _check_template(template: str) -> None:
    """A local template must exist before the notebook runs; URLs are cookiecutter's."""
    if re.match(r"^(?:[a-z][a-z0-9+.-]*://|git@|gh:|gl:|bb:)", template):
        return
    path = Path(template)
    if not (path / "cookiecutter.json").is_file():
        raise BuildError(f"template {template}: no cookiecutter.json there (see docs/templates.md)")
