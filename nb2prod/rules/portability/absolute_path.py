"""NB502: a file path is absolute."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import ClassVar

from nb2prod.analysis import Analysis
from nb2prod.diagnostics import Finding, Severity
from nb2prod.fixes.model import Applicability
from nb2prod.notebook import Cell
from nb2prod.rules._base import Rule, register
from nb2prod.rules.portability.paths import (
    DRIVE_STRICT,
    HOME,
    PATHY_NAME,
    ROUTEY_NAME,
    call_args,
    colab_or_kaggle,
    is_absolute,
    is_io_call,
    leftmost_name,
    leftmost_string,
    module_strings,
    relative_path_fix,
    shorten,
    simple_assignment,
    source_span,
)


@register
class AbsolutePath(Rule):
    """## What it does
    Finds absolute paths that are not in a home folder (NB501 covers those):
    `/data/projects/iris.csv`, `/kaggle/input/...`, `D:\\datasets\\...`. To keep false
    alarms away (URL routes such as `"/predict"`, regexes, text that is printed), a POSIX
    path is reported only where it is a file: an argument of a file call (`open`,
    `pd.read_*`, `to_csv`, `np.load`, `Path`, `os.path.join`, `joblib.dump`, `savefig`,
    `sys.path.append`...), also when it starts an f-string, a `+` or a `/`
    (`f"/data/{name}.csv"`, `Path("/data") / "x"`); the value of a variable that such a
    call then uses as a path (`root = "/srv/data"` ... `open(root + "/x.csv")`); or the
    value of a top-level variable named like a location (`DATA_DIR = "/data/iris"`). A
    Windows drive path is reported anywhere.

    Never reported: URLs, `/tmp` and `/var/tmp` (scratch folders every POSIX machine
    and container has), `/dev` (`/dev/null`), `/proc` and `/sys`, and existence tests
    (`os.path.exists("/kaggle/input")`, how code detects a platform). Google Colab's
    `/content/...` (its working folder) and Kaggle's `/kaggle/...` are reported, since
    they exist only there, with a message that says so: on Colab `/content/x.csv` is
    simply `x.csv`. `sys.path.append("/opt/lib")` is reported too: the imports that
    follow fail on any other machine.

    ## Why is this bad?
    An absolute path ties the notebook to one machine's layout. CI, a colleague and the
    service container have different disks; the notebook fails there.

    ## Example
    ```python
    model = joblib.load("/srv/models/iris.joblib")
    ```

    ## Use instead
    ```python
    MODEL_PATH = Path("models") / "iris.joblib"   # relative to the project
    model = joblib.load(MODEL_PATH)
    ```

    ## Fix
    Use a path relative to the notebook, or make the location a `parameters` value that
    the build and the service can set.

    The automatic fix (unsafe: it assumes the notebook runs in its own folder, as
    Jupyter, papermill and `nb2prod build` run it) rewrites an absolute path inside the
    project (the notebook's folder, or the project root above it: the nearest folder
    with `.git` or `pyproject.toml`) relative to the notebook's folder, in the same
    quotes: `"/repo/data/iris.csv"` in `/repo/notebooks/nb.ipynb` becomes
    `"../data/iris.csv"`; the start of an f-string too (`f"/repo/data/{name}.csv"`).
    No fix for paths outside the project, Windows paths, a path that is not the whole
    string or the start of an f-string, the notebook's folder or a folder above it
    written without a final `/`, `%%writefile` targets, lines that IPython syntax
    changes, or anywhere in a notebook that changes its working directory (`%cd`,
    `os.chdir`).
    """

    code = "NB502"
    name = "absolute-path"
    severity = Severity.WARNING
    summary = "A file path is absolute"
    fix: ClassVar[Applicability | None] = Applicability.UNSAFE

    def check(self, nb: Analysis) -> Iterator[Finding]:
        seen: set[int] = set()
        strings: dict[str, list[tuple[Cell, ast.Constant, int]]] | None = None
        for call in nb.calls:
            if not is_io_call(call):
                continue
            for arg in call_args(call):
                const = leftmost_string(arg)
                if const is None:
                    # a variable assigned an absolute path, then used here as a path
                    name = leftmost_name(arg)
                    if name is None:
                        continue
                    if strings is None:
                        strings = module_strings(nb.parsed_cells)
                    for where, assigned, offset in strings.get(name, ()):
                        if id(assigned) not in seen:
                            seen.add(id(assigned))
                            finding = self._judge(nb, where, assigned, offset, strict=False)
                            if finding is not None:
                                yield finding
                    continue
                if id(const) in seen:
                    continue
                seen.add(id(const))
                finding = self._judge(nb, call.cell, const, call.offset, strict=False)
                if finding is not None:
                    yield finding
        for cell in nb.parsed_cells:
            off = cell.parsed.line_offset
            for stmt in cell.parsed.tree.body:  # type: ignore[union-attr]
                target, value = simple_assignment(stmt)
                if target is None or value is None or id(value) in seen:
                    continue
                if PATHY_NAME.search(target) and not ROUTEY_NAME.search(target):
                    seen.add(id(value))
                    finding = self._judge(nb, cell, value, off, strict=False)
                    if finding is not None:
                        yield finding
        for s in nb.strings:
            if id(s.node) not in seen and DRIVE_STRICT.match(s.value.strip()):
                finding = self._judge(nb, s.cell, s.node, s.offset, strict=True)
                if finding is not None:
                    yield finding
        for cell in nb.code_cells:
            cm = cell.parsed.cell_magic
            if cm is not None and cm.name in {"writefile", "file"} and cm.args:
                target = cm.args.split()[-1]
                if is_absolute(target, strict=False) and not HOME.search(target):
                    yield self.at(
                        cell,
                        f"`%%{cm.name}` writes to the absolute path `{shorten(target)}`",
                        line=cm.line,
                        column=cm.column,
                    )

    def _judge(self, nb: Analysis, cell: Cell, const: ast.Constant, offset: int, *, strict: bool) -> Finding | None:
        if not isinstance(const.value, str):
            return None
        value = const.value.strip()
        if not is_absolute(value, strict=strict) or HOME.search(value):
            return None
        line = const.lineno + offset
        col, end = source_span(cell, line, value, const, offset)
        platform = colab_or_kaggle(value)
        return self.at(
            cell,
            f"absolute path `{shorten(value)}` {platform}" if platform else
            f"absolute path `{shorten(value)}` exists only on machines laid out like this one",
            line=line,
            column=col,
            end_line=line if end is not None else None,
            end_column=end,
            fix=relative_path_fix(nb, cell, const, offset),
        )
