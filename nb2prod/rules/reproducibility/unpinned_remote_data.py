"""NB107: data read from a URL whose content can change."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from nb2prod import _lazyre
from nb2prod._ast import walk as walk_nodes
from nb2prod.analysis import Analysis, CallFact
from nb2prod.code import SHELL_SCRIPT_CELL_MAGICS
from nb2prod.diagnostics import Finding, Severity
from nb2prod.notebook import Cell
from nb2prod.rules._base import Rule, register
from nb2prod.rules.reproducibility.urls import UNKNOWN, Values, looks_like_data, unpinned, values_of

# -- the calls that read data from a URL ---------------------------------------------------


@dataclass(frozen=True)
class Reader:
    positions: tuple[int, ...]  # where the URL may be passed positionally
    keywords: tuple[str, ...]  # ... or by keyword
    hashes: tuple[str, ...] = ()  # keywords that verify a checksum: pinned when given
    hash_position: int | None = None  # ... and where the checksum may be passed positionally
    any_url: bool = True  # False: a generic HTTP client, only data (see _reads_data) counts


_PANDAS_PATH_KW = ("filepath_or_buffer", "io", "path", "path_or_buf", "path_or_buffer", "filepath")
_GET_FILE = Reader((1, 0), ("origin", "fname"), ("file_hash", "md5_hash"), 2)
READERS: dict[str, Reader] = {
    **{
        f"pandas.read_{n}": Reader((0,), _PANDAS_PATH_KW)
        for n in ("csv", "table", "fwf", "excel", "json", "html", "xml", "parquet", "feather",
                  "orc", "pickle", "stata", "sas", "spss", "hdf")
    },
    **{f"polars.{n}": Reader((0,), ("source",)) for n in (
        "read_csv", "read_parquet", "read_json", "read_ndjson", "read_excel", "read_ipc", "read_avro",
        "scan_csv", "scan_parquet", "scan_ndjson", "scan_ipc")},
    **{f"ray.data.{n}": Reader((0,), ("paths",)) for n in (
        "read_csv", "read_parquet", "read_json", "read_text", "read_images", "read_numpy",
        "read_binary_files", "read_parquet_bulk", "read_webdataset", "read_tfrecords", "read_avro")},
    **{f"dask.dataframe.{n}": Reader((0,), ("urlpath", "path")) for n in ("read_csv", "read_parquet",
                                                                       "read_json", "read_table")},
    "geopandas.read_file": Reader((0,), ("filename",)),
    "xarray.open_dataset": Reader((0,), ("filename_or_obj",)),
    "numpy.loadtxt": Reader((0,), ("fname",)),
    "numpy.genfromtxt": Reader((0,), ("fname",)),
    "numpy.load": Reader((0,), ("file",)),
    "numpy.DataSource.open": Reader((0,), ("path",)),
    "urllib.request.urlretrieve": Reader((0,), ("url",)),
    "urllib.urlretrieve": Reader((0,), ("url",)),
    "wget.download": Reader((0,), ("url",)),
    "gdown.download": Reader((0,), ("url",)),
    "gdown.cached_download": Reader((0,), ("url",), ("md5", "hash"), 2),
    "tensorflow.keras.utils.get_file": _GET_FILE,
    "keras.utils.get_file": _GET_FILE,
    "tf_keras.utils.get_file": _GET_FILE,
    "tensorflow.keras.datasets.get_file": _GET_FILE,
    "torch.hub.load_state_dict_from_url": Reader((0,), ("url",), ("check_hash",)),
    "torch.hub.download_url_to_file": Reader((0,), ("url",), ("hash_prefix",), 2),
    "torchvision.datasets.utils.download_url": Reader((0,), ("url",), ("md5",), 3),
    "torchvision.datasets.utils.download_and_extract_archive": Reader((0,), ("url",), ("md5",), 3),
    "torchvision.datasets.utils.download_file_from_google_drive": Reader((), (), ("md5",), 3),
    "torchtext.utils.download_from_url": Reader((0,), ("url",), ("hash_value",)),
    "pooch.retrieve": Reader((0,), ("url",), ("known_hash",), 1),
    "fsspec.open": Reader((0,), ("urlpath",), any_url=False),
    "tensorflow.data.TFRecordDataset": Reader((0,), ("filenames",)),
    "tensorflow.data.TextLineDataset": Reader((0,), ("filenames",)),
    "tensorflow.io.read_file": Reader((0,), ("filename",)),
    "tensorflow.keras.utils.image_dataset_from_directory": Reader((0,), ("directory",)),
    "urllib.request.urlopen": Reader((0,), ("url",), any_url=False),
    "urllib.urlopen": Reader((0,), ("url",), any_url=False),
    "urllib2.urlopen": Reader((0,), ("url",), any_url=False),
    "requests.get": Reader((0,), ("url",), any_url=False),
    "requests.request": Reader((1,), ("url",), any_url=False),
    "httpx.get": Reader((0,), ("url",), any_url=False),
}
# Hugging Face builders that read the files given in `data_files=` (a hub dataset by name
# is NB108's).
HF_PACKAGED_BUILDERS = frozenset(
    {"csv", "json", "parquet", "text", "arrow", "pandas", "imagefolder", "audiofolder",
     "videofolder", "webdataset", "sql", "generator", "xml"}
)
# What a response of a generic HTTP client is read as when it is data, not an API answer.
# (`.read()`, `.text` and `.json()` read API answers as much as data: they do not count.)
_RESPONSE_DATA = frozenset({"content", "raw", "iter_content"})
_URL = _lazyre.compile(r"(?:https?|ftp)://[^\s'\"<>|;)`]+", re.I)
_SHELL_FETCH = _lazyre.compile(r"(?:^|[\s;&|(])(wget|curl|aria2c|gdown)(?=\s)")
_GDOWN_ID = _lazyre.compile(r"(?:^|\s)--id[\s=]+['\"]?([\w-]{10,})")
_GIT_CLONE = _lazyre.compile(r"(?:^|[\s;&|(])git\s+clone\s")
_GIT_PINS = _lazyre.compile(
    r"(?:^|[\s;&|(])git\s+(?:-C\s+\S+\s+)?(?:checkout|reset\s+--hard|switch\s+--detach)\s+['\"]?"
    r"((?=[0-9a-f]*\d)[0-9a-f]{7,40}|(?:v|release-)?\d+(?:\.\d+)+\S*)(?=['\"]?(?:\s|$))"
)
_GIT_BRANCH_OPTION = _lazyre.compile(r"\s(?:-b|--branch)[\s=]+['\"]?(\S+?)['\"]?(?=\s|$)")
_TAG = _lazyre.compile(r"^(?:v|version-|release-)?\d+(?:\.\d+)*(?:[-+][\w.]+)?$", re.I)
# Object stores: a bucket's object changes under the same name unless versioned.
_OBJECT_STORE = ("gs://", "s3://", "s3a://", "az://", "abfs://", "abfss://")
# Catalogues that download a named resource, whatever version is current.
_CATALOGUES = {
    "nltk.download": ("info_or_id",
                      "downloads the current version of the nltk_data package `{name}`, which "
                      "is not versioned: keep a copy with the project (`download_dir=`) and "
                      "load it from there"),
}
# Helpers from a project's own module (`download_data(source=URL)`): named for what they
# do, so a URL passed to one is fetched.
_FETCHER_NAME = _lazyre.compile(r"(?i)download|fetch|retrieve|get_file|urlretrieve")
_CURL_SAVES = _lazyre.compile(r"(?:^|\s)(-[a-zA-Z]*[oO]|--output|--remote-name)|\s>\s*\S")


@dataclass(frozen=True)
class Remote:
    cell: Cell
    message: str
    call: CallFact | None = None  # None for shell commands
    line: int = 1
    column: int = 1


def is_none(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def argument(call: CallFact, keywords: tuple[str, ...], positions: tuple[int, ...] = ()) -> ast.expr | None:
    """The first of the given keyword arguments, else positional arguments, present."""
    kw = call.keywords
    for k in keywords:
        if k in kw:
            return kw[k]
    args = call.node.args
    for i in positions:
        if i < len(args) and not any(isinstance(a, ast.Starred) for a in args[: i + 1]):
            return args[i]
    return None


def written(call: CallFact) -> str:
    """The callee as written in the cell, shortened."""
    if call.local_name:
        return call.local_name
    try:
        text = ast.unparse(call.node.func)
    except Exception:  # pragma: no cover - unparse of odd trees
        return "call"
    return text if len(text) <= 40 else "..." + text[-37:]


def short_url(url: str) -> str:
    url = url.replace(UNKNOWN, "{...}")
    return url if len(url) <= 90 else url[:60] + "..." + url[-27:]


def _is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://", "ftp://", *_OBJECT_STORE))


class _RemoteScan:
    def __init__(self, nb: Analysis) -> None:
        self.nb = nb
        self.found: list[Remote] = []
        self._pinned_checkout: bool | None = None

    @property
    def values(self) -> Values:
        """The notebook's string values, built on first use (most notebooks read no URL)."""
        return values_of(self.nb)

    def run(self) -> list[Remote]:
        for call in self.nb.calls:
            if "skip" in call.cell.nb2prod_tags or call.local_name in self.nb.functions:
                continue
            q = call.qualname
            if q is None:
                self._helper(call)
                continue
            reader = READERS.get(q)
            if q in ("gdown.download", "gdown.download_folder"):
                self._gdown(call, q)
            elif reader is not None:
                self._read(call, q, reader)
            elif q == "datasets.load_dataset":
                self._hf_files(call)
            elif q == "sklearn.datasets.fetch_openml":
                self._openml(call)
            elif q == "seaborn.load_dataset":
                self._add(call, f"`{written(call)}` downloads from the `master` branch of "
                          "github.com/mwaskom/seaborn-data, which can change: keep a copy with the "
                          "project, or read a commit-pinned URL")
            elif q in _CATALOGUES:
                self._catalogue(call, q)
            elif q.partition(".")[0] == "statsmodels" and q.endswith("datasets.get_rdataset"):
                self._add(call, f"`{written(call)}` downloads from the `master` branch of the "
                          "Rdatasets repository, which can change: keep a copy with the project")
            else:
                self._helper(call)
        for cell in self.nb.code_cells:
            if "skip" not in cell.nb2prod_tags:
                self._shell(cell)
        return self.found

    def _helper(self, call: CallFact) -> None:
        """A function imported from elsewhere (a star import, the project's own module)
        named like a downloader, given an unpinned URL: `download_data(source=URL)`."""
        name = call.local_name
        if name is None or name in self.nb.functions or not _FETCHER_NAME.search(name.rpartition(".")[2]):
            return
        if call.has_star_kwargs:
            return
        for node in [*call.node.args, *(k.value for k in call.node.keywords if k.arg)]:
            for url in self._candidates(node):
                if _is_url(url):
                    reason = unpinned(url)
                    if reason:
                        self._add(call, f"`{written(call)}` downloads `{short_url(url)}` {reason}")
                    return

    def _catalogue(self, call: CallFact, q: str) -> None:
        keyword, message = _CATALOGUES[q]
        name = self.values.string(argument(call, (keyword,), (0,)))
        if name is None or UNKNOWN in name or call.has_star_kwargs:
            return
        self._add(call, f"`{written(call)}({name!r})` " + message.format(name=name))

    def _gdown(self, call: CallFact, q: str) -> None:
        """``gdown.download(URL or id=...)``: a Google Drive file can be replaced in place."""
        kw = call.keywords
        if call.has_star_kwargs or any(k in kw and not is_none(kw[k]) for k in ("md5", "hash")):
            return
        url = self.values.string(argument(call, ("url",), (0,)))
        file_id = self.values.string(argument(call, ("id",)))
        if url is not None and _is_url(url):
            self._read(call, q, READERS["gdown.download"])
        elif file_id is not None and UNKNOWN not in file_id:
            self._add(call, f"`{written(call)}(id={file_id!r})` downloads a Google Drive file, which "
                      "its owner can replace or remove: verify a checksum (`hash=`) or keep a copy "
                      "with the project")

    def _add(self, call: CallFact, message: str) -> None:
        self.found.append(Remote(call.cell, message, call))

    def _read(self, call: CallFact, q: str, reader: Reader) -> None:
        if call.has_star_kwargs:
            return
        for h in reader.hashes:
            value = call.keywords.get(h)
            if value is not None and not is_none(value) and not (
                isinstance(value, ast.Constant) and value.value is False
            ):
                return
        pos = reader.hash_position
        if pos is not None and len(call.node.args) > pos and not is_none(call.node.args[pos]):
            return
        nodes = [argument(call, (k,)) for k in reader.keywords]
        nodes += [argument(call, (), (i,)) for i in reader.positions]
        urls: list[str] = []
        for node in nodes:
            if node is None:
                continue
            for text in self._candidates(node):
                if _is_url(text):
                    urls.append(text)
            if urls:
                break
        if not urls:
            return
        if not reader.any_url:
            data = self._reads_data(call)
            urls = [u for u in urls if data or looks_like_data(u)]
        for url in urls:
            reason = unpinned(url)
            if reason:
                self._add(call, f"`{written(call)}` reads `{short_url(url)}` {reason}")
                return

    def _candidates(self, node: ast.expr) -> list[str]:
        """The strings an argument may be: a string, or each string of a literal list of
        them (`pd.read_csv([...])`, `ray.data.read_parquet([...])`)."""
        found = self.values.strings(node)
        if found:
            return found
        out: list[str] = []
        for c in self.values.containers(node):
            if isinstance(c, (ast.List, ast.Tuple)):
                for e in c.elts:
                    out.extend(self.values.strings(e))
        return out

    def _reads_data(self, call: CallFact) -> bool:
        """Is the response of a generic HTTP client used as data (its bytes saved or
        parsed), not as the answer of an API? ``requests.get(url).content``, a response
        whose ``.content`` or ``.iter_content()`` is read, ``stream=True``."""
        stream = call.keywords.get("stream")
        if isinstance(stream, ast.Constant) and stream.value is True:
            return True
        parent = self.values.parent.get(id(call.node))
        if isinstance(parent, ast.Attribute) and parent.attr in _RESPONSE_DATA:
            return True
        if isinstance(parent, ast.withitem) and isinstance(parent.optional_vars, ast.Name):
            names = {parent.optional_vars.id}
        elif isinstance(parent, (ast.Assign, ast.NamedExpr)):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            names = {t.id for t in targets if isinstance(t, ast.Name)}
        else:
            return False
        scope = self.values.scope(call.node)
        tree = call.cell.parsed.tree
        for node in walk_nodes(scope if not isinstance(scope, ast.Module) else tree):  # type: ignore[arg-type]
            if (
                isinstance(node, ast.Attribute)
                and node.attr in _RESPONSE_DATA
                and isinstance(node.value, ast.Name)
                and node.value.id in names
            ):
                return True
        return False

    def _hf_files(self, call: CallFact) -> None:
        """``load_dataset("csv", data_files=URL)``: the files are read from the URL."""
        kw = call.keywords
        if call.has_star_kwargs or ("revision" in kw and not is_none(kw["revision"])):
            return
        path = self.values.string(argument(call, ("path",), (0,)))
        files = argument(call, ("data_files",), (2,))
        if path not in HF_PACKAGED_BUILDERS or files is None:
            return
        urls = [u for u in self._candidates(files) if _is_url(u)]
        for c in self.values.containers(files):
            if isinstance(c, ast.Dict):
                for v in c.values:
                    urls.extend(u for u in self._candidates(v) if _is_url(u))
        for url in dict.fromkeys(urls):
            reason = unpinned(url)
            if reason:
                self._add(call, f"`{written(call)}` reads `{short_url(url)}` {reason}")
                return

    def _openml(self, call: CallFact) -> None:
        kw = call.keywords
        if call.has_star_kwargs or ("data_id" in kw and not is_none(kw["data_id"])):
            return
        version = argument(call, ("version",), (1,))
        if version is not None and not (isinstance(version, ast.Constant) and version.value == "active"):
            return
        name = self.values.string(argument(call, ("name",), (0,)))
        shown = f"{written(call)}({name!r})" if name is not None else written(call)
        self._add(call, f"`{shown}` without `version=` loads the version active on OpenML today: "
                  "pass `version=` (or `data_id=`)")

    def _shell(self, cell: Cell) -> None:
        """``!wget URL``, ``!curl -O URL`` and the same in ``%%bash`` cells."""
        parsed = cell.parsed
        commands: list[tuple[int, int, str]] = [
            (m.line, m.column, m.args) for m in parsed.magics if m.kind in ("shell", "shell_capture")
        ]
        cm = parsed.cell_magic
        if cm is not None and cm.name in SHELL_SCRIPT_CELL_MAGICS:
            for i, text in enumerate(cell.lines[cm.line :], start=cm.line + 1):
                commands.append((i, 1, text))
        for line, column, text in commands:
            if _GIT_CLONE.search(text):
                self._git_clone(cell, line, column, text)
                continue
            m = _SHELL_FETCH.search(text)
            if m is None:
                continue
            tool = m.group(1)
            if tool == "gdown" and not _URL.search(text, m.end()):
                gid = _GDOWN_ID.search(text, m.end())
                if gid is not None and not re.search(r"\s--(?:md5|hash)\b", text):
                    self.found.append(Remote(
                        cell, f"`gdown` downloads the Google Drive file `{gid.group(1)}`, which its owner "
                        "can replace or remove: verify a checksum or keep a copy with the project",
                        None, line, column,
                    ))
                continue
            for url in _URL.findall(text, m.end()):
                if tool == "curl" and not (looks_like_data(url) or _CURL_SAVES.search(text)):
                    continue
                url = re.sub(r"\{[^{}]*\}|\$\{?\w+\}?", UNKNOWN, url)
                reason = unpinned(url)
                if reason:
                    self.found.append(Remote(
                        cell, f"`{tool}` downloads `{short_url(url)}` {reason}", None, line, column
                    ))
                    break


    def _git_clone(self, cell: Cell, line: int, column: int, text: str) -> None:
        """``!git clone URL`` checks out the default branch, unless a tag is named
        (``--branch v1.2``) or the notebook checks out a commit or tag afterwards."""
        urls = [u for u in _URL.findall(text) if "{" not in u and "$" not in u]
        if not urls:
            return
        branch = _GIT_BRANCH_OPTION.search(text)
        if branch is not None and _TAG.match(branch.group(1)):
            return
        if self._checks_out_a_pin():
            return
        where = f"the branch `{branch.group(1)}`" if branch else "the default branch"
        self.found.append(Remote(
            cell, f"`git clone` fetches {where} of `{short_url(urls[0])}`, which moves: the code "
            "and data the notebook then uses can change; clone a tag (`--branch v1.2`) or "
            "`git checkout <commit>` after the clone",
            None, line, column,
        ))

    def _checks_out_a_pin(self) -> bool:
        if self._pinned_checkout is None:
            found = False
            for cell in self.nb.code_cells:
                texts = [m.args for m in cell.parsed.magics if m.kind in ("shell", "shell_capture", "line")]
                cm = cell.parsed.cell_magic
                if cm is not None and cm.name in SHELL_SCRIPT_CELL_MAGICS:
                    texts.extend(cell.lines[cm.line:])
                if any(_GIT_PINS.search(t) for t in texts):
                    found = True
                    break
            self._pinned_checkout = found
        return self._pinned_checkout


def remote_reads(nb: Analysis) -> list[Remote]:
    """The NB107 findings' facts of a notebook, computed once."""
    return nb.fact(_remote_reads)


def _remote_reads(nb: Analysis) -> list[Remote]:
    return _RemoteScan(nb).run()


@register
class UnpinnedRemoteData(Rule):
    """## What it does
    Finds data read from an http(s) URL whose content can change: a file on a branch
    (`raw.githubusercontent.com/<owner>/<repo>/main/...`, `github.com/.../blob/master/...`)
    instead of a commit or tag, or a URL with no version, commit or checksum in it. The
    readers are the file readers of pandas, polars, dask, `ray.data`, numpy (`np.load`,
    `np.loadtxt`...), the downloaders (`urlretrieve`, `wget.download`, `gdown`,
    `keras.utils.get_file`, `torchvision`'s `download_url`, `torch.hub`'s URL loaders),
    `load_dataset("csv", data_files=URL)`, shell `!wget` / `!curl -O` / `!gdown`, a
    helper from the project's own module named like a downloader
    (`download_data(source=URL)`), files in an object store (`gs://`, `s3://`) read by
    these or by `tf.data.TFRecordDataset`, and generic HTTP
    clients (`requests.get`, `urlopen`) when what they fetch is data: a data file URL,
    or a response whose bytes are kept (`.content`, `.iter_content()`, `stream=True`).
    An API being called is not data read. The URL is followed where the notebook builds
    it: a variable assigned at the top, inside a function, an `if`, a `for` or a `try`,
    a default or an argument of a function, a dict or a list of URLs, an f-string or
    `+` with a constant base. Catalogues count too: `fetch_openml(name=...)` without
    `version=`, `seaborn.load_dataset`, statsmodels' `get_rdataset`, `nltk.download`,
    and a Google Drive file (`gdown --id`, `gdown.download(id=...)`) without a checksum.
    `!git clone URL` counts too, unless it clones a tag (`--branch v1.2`) or the notebook
    checks out a commit or tag (`git checkout <sha>`). (A model or a
    dataset fetched from a hub by name, such as `load_dataset("imdb")`, is NB108's.)

    A URL is pinned when it names a commit SHA or a tag (`raw.githubusercontent.com/
    <org>/<repo>/<sha or v1.2>/...`), a release asset (`/releases/download/v2/...`), a
    version, a date or a hash in its path or query, when it is on a host that never
    changes what it serves (Zenodo, DOI, figshare, OSF, a Wayback Machine snapshot), or
    when a checksum is verified (`known_hash=`, `file_hash=`, `md5=`...). A URL whose
    varying part the linter cannot know is not reported.

    ## Why is this bad?
    When the file behind the URL changes, the notebook silently trains on different
    data and its results no longer match what was saved, reviewed or deployed. If it
    disappears, the notebook no longer runs at all.

    ## Example
    ```python
    url = "https://raw.githubusercontent.com/acme/data/main/iris.csv"
    df = pd.read_csv(url)
    ```

    ## Use instead
    ```python
    url = "https://raw.githubusercontent.com/acme/data/3f2c9d1e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e/iris.csv"
    df = pd.read_csv(url)
    ```

    ## Fix
    Put a commit SHA or a release tag in the URL, pass `version=`, verify a checksum
    (`pooch.retrieve(url, known_hash=...)`, `get_file(..., file_hash=...)`), or keep a
    copy of the data with the project. No automatic fix.
    """

    code = "NB107"
    name = "unpinned-remote-data"
    severity = Severity.WARNING
    summary = "Data is read from a URL whose content can change"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        for r in remote_reads(nb):
            if r.call is not None:
                yield self.at(r.cell, r.message, node=r.call.node, offset=r.call.offset)
            else:
                yield self.at(r.cell, r.message, line=r.line, column=r.column)
