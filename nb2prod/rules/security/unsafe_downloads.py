"""NB605, NB606: a downloaded archive extracted without a filter, a downloaded file
deserialised with pickle. What is downloaded is found by :mod:`.downloads`."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from nb2prod.analysis import Analysis, CallFact, dotted_name
from nb2prod.diagnostics import Finding, Severity
from nb2prod.rules._base import Rule, register
from nb2prod.rules.security.downloads import Downloads, basename, downloads, is_downloaded, keyword_is, literal_path

_TAR_OPEN = frozenset({"tarfile.open", "tarfile.TarFile", "tarfile.TarFile.open", "tarfile.TarFile.gzopen"})


def _tar_bindings(nb: Analysis, d: Downloads) -> dict[str, ast.Call]:
    """Names bound to an opened tar archive: ``t = tarfile.open(p)``, ``with tarfile.open(p) as t``."""
    found: dict[str, ast.Call] = {}
    for cell in nb.parsed_cells:
        for node in nb.nodes_of(cell, ast.Assign, ast.With, ast.AsyncWith):
            pairs: list[tuple[ast.expr, ast.expr | None]] = []
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                pairs.append((node.value, node.targets[0]))
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                pairs.extend((item.context_expr, item.optional_vars) for item in node.items)
            for value, target in pairs:
                if isinstance(target, ast.Name) and isinstance(value, ast.Call):
                    fact = d.calls.get(id(value))
                    if fact is not None and fact.qualname in _TAR_OPEN:
                        found[target.id] = value
    return found


def _archive_argument(call: CallFact) -> ast.expr | None:
    for k in ("fileobj", "name"):
        if k in call.keywords:
            return call.keywords[k]
    return call.node.args[0] if call.node.args else None


@register
class UnsafeArchiveExtraction(Rule):
    """## What it does
    Finds a downloaded tar archive extracted without a filter:
    `tarfile.open(path).extractall()` (or `.extract()`, on the opened archive or a name
    bound to it) with no `filter=` and no `members=`, and `shutil.unpack_archive(path)` with
    no `filter=`, where `path` is a file the notebook downloaded (`!wget`, `urlretrieve`,
    `requests.get` written to a file, `keras.utils.get_file`...) or an archive streamed from
    a URL. Archives the notebook did not download are not reported, and neither are zip
    files: `zipfile` removes `..` and absolute paths from member names itself.

    ## Why is this bad?
    A tar member may be named `../../.bashrc` or `/etc/cron.d/job`, or be a link that points
    outside the target folder; before Python 3.14, `extractall()` without a filter writes
    it wherever it says (CVE-2007-4559). An archive from the network is input from
    someone else: a compromised or spoofed download overwrites files of the machine that
    runs the notebook or builds the service.

    ## Example
    ```python
    urllib.request.urlretrieve(URL, "data.tgz")
    with tarfile.open("data.tgz") as tar:
        tar.extractall("data")
    ```

    ## Use instead
    ```python
    urllib.request.urlretrieve(URL, "data.tgz")
    with tarfile.open("data.tgz") as tar:
        tar.extractall("data", filter="data")
    ```

    ## Fix
    Pass `filter="data"` (Python 3.12+, and the security releases 3.8.17, 3.9.17, 3.10.12
    and 3.11.4): members that would land outside the folder, links out of it and device
    files are refused. On older Pythons, check each member's resolved path and give the
    checked list as `members=`. No automatic fix.
    """

    code = "NB605"
    name = "unsafe-archive-extraction"
    severity = Severity.WARNING
    summary = "A downloaded tar archive is extracted without a filter (path traversal)"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        bound: dict[str, ast.Call] | None = None
        for call in nb.calls:
            func = call.node.func
            if call.qualname == "shutil.unpack_archive":
                yield from self._unpack(call, downloads(nb))
                continue
            if not (isinstance(func, ast.Attribute) and func.attr in ("extractall", "extract")):
                continue
            d = downloads(nb)  # computed once per notebook, and only for one that extracts
            if "filter" in call.keywords and not _is_constant(call.keywords["filter"], "fully_trusted"):
                continue
            if "members" in call.keywords or (func.attr == "extractall" and len(call.node.args) > 1):
                continue  # the members were chosen (and presumably checked)
            opened: ast.expr | None = func.value
            if isinstance(opened, ast.Name):
                if bound is None:
                    bound = _tar_bindings(nb, d)
                opened = bound.get(opened.id)
            fact = d.calls.get(id(opened)) if isinstance(opened, ast.Call) else None
            if fact is None or fact.qualname not in _TAR_OPEN:
                continue
            archive = _archive_argument(fact)
            why = is_downloaded(archive, call, d) if archive is not None else None
            if why is None:
                continue
            shown = f"{dotted_name(func.value) or 'tar'}.{func.attr}()"
            yield self.at(
                call.cell,
                f"`{shown}` extracts {why} without `filter=`: a member named `../...` or an "
                "absolute path is written outside the folder; pass `filter=\"data\"`",
                node=call.node, offset=call.offset,
            )

    def _unpack(self, call: CallFact, d: Downloads) -> Iterator[Finding]:
        if "filter" in call.keywords or call.has_star_kwargs:
            return
        archive = call.keywords.get("filename") or (call.node.args[0] if call.node.args else None)
        fmt = call.keywords.get("format") or (call.node.args[2] if len(call.node.args) > 2 else None)
        if archive is None or _is_constant(fmt, "zip"):
            return
        if isinstance(archive, ast.Constant) and str(archive.value).lower().endswith(".zip"):
            return
        why = is_downloaded(archive, call, d)
        if why is None:
            return
        text = literal_path(archive, d)
        if text is not None and basename(text).lower().endswith(".zip"):
            return  # zipfile cleans member names itself
        yield self.at(
            call.cell,
            f"`shutil.unpack_archive()` extracts {why} without `filter=`: a tar member named "
            "`../...` or an absolute path is written outside the folder; pass `filter=\"data\"`",
            node=call.node, offset=call.offset,
        )


def _is_constant(node: ast.expr | None, value: object) -> bool:
    return isinstance(node, ast.Constant) and node.value == value


# Loaders that run code found in the file (pickle and its kin), with where the file is.
_PICKLE_LOADERS: dict[str, tuple[int, str]] = {
    **{f"{m}.{f}": (0, "file" if f == "load" else "data")
       for m in ("pickle", "_pickle", "cPickle", "dill", "cloudpickle") for f in ("load", "loads")},
    **{f"{m}.Unpickler": (0, "file") for m in ("pickle", "_pickle", "dill")},
    "joblib.load": (0, "filename"),
    "sklearn.externals.joblib.load": (0, "filename"),
    "pandas.read_pickle": (0, "filepath_or_buffer"),
    "numpy.load": (0, "file"),
    "torch.load": (0, "f"),
}


@register
class UnsafeDeserialization(Rule):
    """## What it does
    Finds a downloaded file (or a URL, or downloaded bytes) deserialised by a loader that
    runs code from the file: `pickle.load`/`pickle.loads`, `dill`, `cloudpickle`,
    `joblib.load`, `pd.read_pickle`, `np.load(..., allow_pickle=True)` and
    `torch.load(..., weights_only=False)`. What counts as downloaded is what NB605 uses:
    `!wget`/`!curl`, `urlretrieve`, `requests.get` written to a file, `get_file`,
    `hf_hub_download`... A file the notebook wrote itself (`joblib.dump(model, "m.pkl")`)
    is not reported, nor is `torch.load` without `weights_only`: since torch 2.6 it loads
    tensors only by default.

    ## Why is this bad?
    Unpickling calls whatever the file names: a pickle can run any command with the
    rights of the notebook, the build or the service. A file from the network is only as
    safe as every server and link on the way; a replaced model file is a compromised
    machine.

    ## Example
    ```python
    urllib.request.urlretrieve(MODEL_URL, "model.pkl")
    model = joblib.load("model.pkl")
    ```

    ## Use instead
    ```python
    path = pooch.retrieve(MODEL_URL, known_hash="sha256:9f86d0...")  # verified download
    model = skops.io.load(path, trusted=["sklearn.linear_model.LogisticRegression"])
    ```

    ## Fix
    Prefer a format that holds data only (safetensors, ONNX, skops, a model library's own
    format, `torch.load(..., weights_only=True)`, `np.load` without `allow_pickle`); if a
    pickle is unavoidable, pin and verify its checksum before loading it. No automatic fix.
    """

    code = "NB606"
    name = "unsafe-deserialization"
    severity = Severity.WARNING
    summary = "A downloaded file is deserialised with pickle (code execution)"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        d: Downloads | None = None
        for call in nb.calls:
            where = _PICKLE_LOADERS.get(call.qualname or "")
            if where is None:
                continue
            q = call.qualname or ""
            if q == "numpy.load" and not keyword_is(call, "allow_pickle", True):
                continue
            if q == "torch.load" and not keyword_is(call, "weights_only", False):
                continue
            pos, kw = where
            arg = call.keywords.get(kw) or (call.node.args[pos] if len(call.node.args) > pos else None)
            if arg is None:
                continue
            if d is None:
                d = downloads(nb)
            why = is_downloaded(arg, call, d)
            if why is None:
                continue
            yield self.at(
                call.cell,
                f"`{call.local_name or q}()` unpickles {why}: a pickle runs any code it names; "
                "load a data-only format or verify a pinned checksum first",
                node=call.node, offset=call.offset,
            )
