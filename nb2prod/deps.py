"""Dependencies: which distribution an import needs, and what a project declares.

Two questions, answered without executing anything:

* **What does ``import sklearn`` need?** :func:`resolve_import` maps an import to the
  distributions that provide it (``sklearn`` -> ``scikit-learn``): standard-library and
  notebook-runtime modules need none; a static table knows the well-known names that
  differ; namespace packages map by their dotted path (``google.cloud.storage`` ->
  ``google-cloud-storage``); otherwise the installed metadata
  (:func:`importlib.metadata.packages_distributions`, read once per process and only
  when needed) and finally the import name itself.
* **What does the project declare?** :func:`find_dependencies` looks from the
  notebook's folder upwards for the first folder holding a dependency file
  (``requirements*.txt``/``.in``, ``requirements/*.txt``, ``pyproject.toml`` with
  dependency tables, ``environment*.yml``, ``Pipfile``, ``setup.cfg``, ``setup.py``),
  stopping at the repository root (a folder with ``.git``), and reads every such file
  there, including ``-r``/``-c`` files, into a :class:`DependencySet`.

Folder listings and parsed files are cached by path *and* modification time, so linting
hundreds of notebooks reads each file once, while a long-running server still sees a
file that was edited or created later. A file that cannot be parsed never raises: it
becomes a :class:`DependencyFile` with ``error`` set. While :func:`overlay` is active,
texts given to it stand in for files on disk (a fix's edited ``requirements.txt``, not
written yet) and nothing is taken from, or left in, the file caches.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nb2prod import _lazyre
from nb2prod._ast import walk as walk_nodes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

if TYPE_CHECKING:
    from packaging.requirements import Requirement as _PackagingRequirement

__all__ = [
    "Requirement",
    "DependencyFile",
    "DependencySet",
    "ImportTarget",
    "InstallSpec",
    "LocalModules",
    "module_folders",
    "STDLIB_MODULES",
    "RUNTIME_MODULES",
    "IMPORT_ALIASES",
    "CONDA_ALIASES",
    "SUBMODULE_ROOTS",
    "canonical",
    "is_stdlib",
    "is_runtime_module",
    "resolve_import",
    "static_distributions",
    "installed_distributions",
    "find_dependencies",
    "dependencies_in",
    "pip_requirement",
    "conda_requirement",
    "url_pinned",
    "repository_root",
    "read_dependency_file",
    "is_dependency_file_name",
    "is_lock_file_name",
    "parse_install_command",
    "clear_caches",
    "overlay",
    "file_text",
    "is_file",
    "parse_dependency_text",
]

# -- names ------------------------------------------------------------------------------


def canonical(name: str) -> str:
    """The normalised distribution name (PEP 503: runs of ``-_.`` become one ``-``, lower
    case): ``Scikit_Learn`` -> ``scikit-learn``. As ``packaging.utils.canonicalize_name``
    (tests/test_deps_fast.py compares them), without importing packaging.utils, which
    imports packaging.tags, platform and sysconfig (~15 ms at every start)."""
    value = name.lower().replace("_", "-").replace(".", "-")
    while "--" in value:
        value = value.replace("--", "-")
    return value


# Python 2 modules and modules removed from recent Python 3 releases: an old notebook
# importing them is not asking for a PyPI package.
_OLD_STDLIB = frozenset(
    {
        # Python 2
        "__builtin__", "anydbm", "BaseHTTPServer", "Bastion", "CGIHTTPServer", "commands",
        "compiler", "ConfigParser", "Cookie", "cookielib", "copy_reg", "cPickle", "cStringIO",
        "dbhash", "dircache", "DocXMLRPCServer", "dumbdbm", "dummy_thread", "exceptions",
        "fpformat", "future_builtins", "gdbm", "hotshot", "htmlentitydefs", "htmllib",
        "HTMLParser", "httplib", "ihooks", "imputil", "markupbase", "md5", "mhlib", "mimetools",
        "MimeWriter", "mimify", "multifile", "mutex", "new", "popen2", "posixfile", "Queue",
        "repr", "rexec", "rfc822", "robotparser", "ScrolledText", "sets", "sgmllib", "sha",
        "SimpleHTTPServer", "SimpleXMLRPCServer", "SocketServer", "statvfs", "StringIO",
        "thread", "Tix", "Tkinter", "tkColorChooser", "tkFileDialog", "tkFont",
        "tkMessageBox", "tkSimpleDialog", "ttk", "urllib2", "urlparse", "user", "UserDict",
        "UserList", "UserString", "whichdb", "xmlrpclib",
        # removed in Python 3.10 - 3.13, or added after 3.10
        "asynchat", "asyncore", "audioop", "binhex", "cgi", "cgitb", "chunk", "crypt",
        "distutils", "formatter", "imghdr", "imp", "lib2to3", "macpath", "mailcap", "msilib",
        "nis", "nntplib", "ossaudiodev", "parser", "pipes", "smtpd", "sndhdr", "spwd",
        "sunau", "symbol", "telnetlib", "uu", "xdrlib", "tomllib", "annotationlib",
        "compression", "_interpreters",
    }
)

STDLIB_MODULES: frozenset[str] = frozenset(sys.stdlib_module_names) | _OLD_STDLIB

# Modules the notebook's runtime provides, not a package the project installs:
# the IPython kernel itself, Google Colab, Kaggle kernels, JupyterLite (Pyodide).
RUNTIME_MODULES: frozenset[str] = frozenset(
    {"IPython", "ipykernel", "google.colab", "kaggle_secrets", "kaggle_datasets",
     "kaggle_web_client", "pyodide", "pyodide_js", "js", "micropip"}
)


def is_stdlib(module: str) -> bool:
    """True for a standard-library module (any dotted path under one)."""
    return module.split(".", 1)[0] in STDLIB_MODULES


def is_runtime_module(module: str) -> bool:
    """True for modules that the notebook runtime provides (``IPython``, ``google.colab``)."""
    parts = module.split(".")
    return any(".".join(parts[:n]) in RUNTIME_MODULES for n in range(1, len(parts) + 1))


# Import name (or dotted prefix) -> distributions that provide it, the usual one first.
# Only names whose distribution differs from the import name need to be here:
# `sentence_transformers` -> `sentence-transformers` is found by normalisation.
IMPORT_ALIASES: dict[str, tuple[str, ...]] = {
    "absl": ("absl-py",),
    "apiclient": ("google-api-python-client",),
    "autotime": ("ipython-autotime",),
    "attr": ("attrs",),
    "autosklearn": ("auto-sklearn",),
    "bayes_opt": ("bayesian-optimization",),
    "Bio": ("biopython",),
    "bs4": ("beautifulsoup4", "bs4"),
    "bson": ("pymongo",),
    "cairo": ("pycairo",),
    "camelot": ("camelot-py",),
    "cassandra": ("cassandra-driver",),
    "community": ("python-louvain",),
    "Crypto": ("pycryptodome", "pycrypto"),
    "Cryptodome": ("pycryptodomex",),
    "cv2": ("opencv-python", "opencv-contrib-python", "opencv-python-headless",
            "opencv-contrib-python-headless"),
    "cupy": ("cupy", "cupy-cuda12x", "cupy-cuda11x"),
    "databricks.sdk": ("databricks-sdk",),
    "databricks.connect": ("databricks-connect",),
    "databricks.sql": ("databricks-sql-connector",),
    "dateutil": ("python-dateutil",),
    "decouple": ("python-decouple",),
    "discord": ("discord-py",),
    "dns": ("dnspython",),
    "docx": ("python-docx",),
    "dotenv": ("python-dotenv",),
    "engineio": ("python-engineio",),
    "environ": ("django-environ",),
    "faiss": ("faiss-cpu", "faiss-gpu"),
    "fasttext": ("fasttext", "fasttext-wheel"),
    "fitz": ("pymupdf",),
    "gi": ("pygobject",),
    "git": ("gitpython",),
    "github": ("pygithub",),
    "gitlab": ("python-gitlab",),
    "google.api_core": ("google-api-core",),
    "google.auth": ("google-auth",),
    "google.genai": ("google-genai",),
    "google.generativeai": ("google-generativeai",),
    "google.oauth2": ("google-auth",),
    "google.protobuf": ("protobuf",),
    "googleapiclient": ("google-api-python-client",),
    "gridfs": ("pymongo",),
    "grpc": ("grpcio",),
    "grpc_tools": ("grpcio-tools",),
    "haiku": ("dm-haiku",),
    "igraph": ("igraph", "python-igraph"),
    "imblearn": ("imbalanced-learn",),
    "impala": ("impyla",),
    "jenkins": ("python-jenkins",),
    "lab_black": ("nb-black",),
    "jose": ("python-jose",),
    "jwt": ("pyjwt",),
    "kafka": ("kafka-python",),
    "ldap": ("python-ldap",),
    "Levenshtein": ("levenshtein", "python-levenshtein"),
    "magic": ("python-magic",),
    "memcache": ("python-memcached",),
    "mpl_toolkits": ("matplotlib",),
    "mpl_toolkits.basemap": ("basemap",),
    "multipart": ("python-multipart",),
    "MySQLdb": ("mysqlclient",),
    "mysql": ("mysql-connector-python",),
    "nacl": ("pynacl",),
    "neptune": ("neptune", "neptune-client"),
    "newspaper": ("newspaper3k",),
    "onnxruntime": ("onnxruntime", "onnxruntime-gpu"),
    "OpenGL": ("pyopengl",),
    "OpenSSL": ("pyopenssl",),
    "osgeo": ("gdal",),
    "paddle": ("paddlepaddle", "paddlepaddle-gpu"),
    "past": ("future",),
    "pdfminer": ("pdfminer-six",),
    "PIL": ("pillow",),
    "pinecone": ("pinecone", "pinecone-client"),
    "pkg_resources": ("setuptools",),
    "pptx": ("python-pptx",),
    "psycopg2": ("psycopg2", "psycopg2-binary"),
    "pycocotools": ("pycocotools", "pycocotools-windows"),
    "pycrfsuite": ("python-crfsuite",),
    "pylab": ("matplotlib",),
    "pythoncom": ("pywin32",),
    "pywintypes": ("pywin32",),
    "scikitplot": ("scikit-plot",),
    "serial": ("pyserial",),
    "skimage": ("scikit-image",),
    "sklearn": ("scikit-learn",),
    "skopt": ("scikit-optimize",),
    "slugify": ("python-slugify",),
    "snappy": ("python-snappy",),
    "snowflake.connector": ("snowflake-connector-python",),
    "snowflake.snowpark": ("snowflake-snowpark-python",),
    "socketio": ("python-socketio",),
    "sonnet": ("dm-sonnet",),
    "speech_recognition": ("speechrecognition",),
    "sql": ("jupysql", "ipython-sql"),  # `%load_ext sql`
    "spellchecker": ("pyspellchecker",),
    "tabula": ("tabula-py",),
    "talib": ("ta-lib",),
    "telegram": ("python-telegram-bot",),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-macos",
                   "tensorflow-intel", "tf-nightly"),
    "tensorflow_serving": ("tensorflow-serving-api", "tensorflow-serving-api-gpu"),
    "kerastuner": ("keras-tuner",),
    "official": ("tf-models-official",),
    "tree": ("dm-tree",),
    "umap": ("umap-learn",),
    "usb": ("pyusb",),
    "vlc": ("python-vlc",),
    "weaviate": ("weaviate-client",),
    "whisper": ("openai-whisper",),
    "win32api": ("pywin32",),
    "win32com": ("pywin32",),
    "win32con": ("pywin32",),
    "win32gui": ("pywin32",),
    "wx": ("wxpython",),
    "Xlib": ("python-xlib",),
    "yaml": ("pyyaml",),
    "zmq": ("pyzmq",),
}

# Namespace packages: the distribution is named after the first N parts of the dotted
# path (`google.cloud.storage` -> `google-cloud-storage`). Longest prefix wins.
_NAMESPACE_DEPTH: dict[str, int] = {
    "google": 2,
    "google.cloud": 3,
    "azure": 2,
    "azure.storage": 3,
    "azure.mgmt": 3,
    "azure.ai": 3,
    "azure.keyvault": 3,
    "azure.monitor": 3,
    "azure.search": 3,
    "backports": 2,
    "jaraco": 2,
    "ruamel": 2,
    "sphinxcontrib": 2,
    "zope": 2,
    "opentelemetry": 2,
    "autogluon": 2,
}
_NAMESPACE_ROOTS = frozenset(k.split(".", 1)[0] for k in _NAMESPACE_DEPTH)

# Top-level modules whose distribution depends on the submodule: for
# `from google.cloud import storage` resolve `google.cloud.storage`, not the module.
SUBMODULE_ROOTS: frozenset[str] = _NAMESPACE_ROOTS | frozenset(
    k.split(".", 1)[0] for k in IMPORT_ALIASES if "." in k
)

# Conda package name -> PyPI distribution name, where they differ.
CONDA_ALIASES: dict[str, str] = {
    "pytorch": "torch",
    "pytorch-cpu": "torch",
    "pytorch-gpu": "torch",
    "py-xgboost": "xgboost",
    "py-xgboost-cpu": "xgboost",
    "py-xgboost-gpu": "xgboost",
    "py-opencv": "opencv-python",
    "opencv": "opencv-python",
    "matplotlib-base": "matplotlib",
    "msgpack-python": "msgpack",
    "pytables": "tables",
    "python-graphviz": "graphviz",
    "pyqt": "pyqt5",
    "tensorflow-base": "tensorflow",
    "pytorch-lightning": "pytorch-lightning",
    "py-lightgbm": "lightgbm",
    "libgdal": "gdal",
}


@dataclass(frozen=True)
class ImportTarget:
    """What an import needs: ``name`` as shown to users, candidate distributions."""

    name: str  # "sklearn", "google.cloud.storage"
    top: str  # the top-level module
    distributions: tuple[str, ...]  # canonical names, most likely first; never empty
    known: bool  # from the static tables (installed metadata need not be asked)


def static_distributions(module: str) -> tuple[str, tuple[str, ...]] | None:
    """``(import name, distributions)`` from the static tables, or None when unknown."""
    parts = module.split(".")
    alias_key: str | None = None
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in IMPORT_ALIASES:
            alias_key = key
            break
    if alias_key is not None and "." in alias_key:
        return alias_key, tuple(canonical(d) for d in IMPORT_ALIASES[alias_key])
    if parts[0] in _NAMESPACE_ROOTS:
        depth = 0
        for n in range(len(parts), 0, -1):
            d = _NAMESPACE_DEPTH.get(".".join(parts[:n]))
            if d is not None:
                depth = d
                break
        depth = min(depth, len(parts))
        if depth >= 2:
            name = ".".join(parts[:depth])
            dists = [canonical("-".join(parts[:depth]))]
            if alias_key is not None:
                dists.extend(canonical(d) for d in IMPORT_ALIASES[alias_key])
            return name, tuple(dict.fromkeys(dists))
    if alias_key is not None:
        return alias_key, tuple(canonical(d) for d in IMPORT_ALIASES[alias_key])
    return None


def resolve_import(module: str) -> ImportTarget | None:
    """The distributions an absolute import needs; None for stdlib and runtime modules,
    and for modules generated by ``protoc`` (``person_pb2``), which no package provides.

    First-party modules are the caller's business (see :class:`LocalModules`).
    """
    if not module or is_stdlib(module) or is_runtime_module(module):
        return None
    top = module.split(".", 1)[0]
    if top.endswith(("_pb2", "_pb2_grpc")):
        return None
    found = static_distributions(module)
    if found is not None:
        return ImportTarget(found[0], top, found[1], True)
    return ImportTarget(top, top, (canonical(top),), False)


@lru_cache(maxsize=1)
def _installed_map() -> dict[str, tuple[str, ...]]:
    """Top-level module -> canonical distributions, from this environment's metadata.

    Slow (it reads every installed distribution's RECORD): called at most once per
    process, and only for an import that the static tables do not know.
    """
    try:
        from importlib.metadata import packages_distributions

        raw = packages_distributions()
    except Exception:  # broken metadata in some installed distribution
        return {}
    return {k: tuple(dict.fromkeys(canonical(d) for d in v)) for k, v in raw.items() if v}


def installed_distributions(top: str) -> tuple[str, ...]:
    """Distributions installed here that provide the top-level module ``top``."""
    if top in _NAMESPACE_ROOTS:
        return ()  # many distributions share these; the dotted path decides
    return _installed_map().get(top, ())


# -- folders ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Listing:
    """What nb2prod needs to know about one folder, from one ``scandir``."""

    dirs: frozenset[str]
    modules: frozenset[str]  # importable `name` of name.py and extension modules
    dependency_files: tuple[str, ...]  # names that may declare dependencies, sorted
    lock_files: tuple[str, ...]
    requirement_files: tuple[str, ...]  # *.txt and *.in (read in a `requirements/` folder)
    is_repository_root: bool


_EMPTY = _Listing(frozenset(), frozenset(), (), (), (), False)
_MODULE_FILE = _lazyre.compile(r"^([A-Za-z_]\w*)(?:\.py|(?:\.[^.]+)?\.(?:so|pyd))$")


# -- the overlay: texts that stand in for files on disk while a fix is computed ----------

_OVERLAY: ContextVar[dict[str, str] | None] = ContextVar("nb2prod_deps_overlay", default=None)


@contextmanager
def overlay(files: Mapping[Path, str]) -> Iterator[None]:
    """While active (in this thread or task), dependency files are read from ``files``
    (path -> text) instead of the disk, and a path in ``files`` that does not exist
    appears in its folder's listing: the lint after a fix sees the edited (or created)
    ``requirements.txt`` before anything is written. Nothing read through the overlay
    is cached, and nothing of it remains after exit. Overlays nest (the inner wins)."""
    texts = dict(_OVERLAY.get() or {})
    texts.update((os.path.abspath(p), t) for p, t in files.items())
    token = _OVERLAY.set(texts or None)
    try:
        yield
    finally:
        _OVERLAY.reset(token)


def _overlaid(path: str) -> bool:
    texts = _OVERLAY.get()
    return bool(texts) and os.path.abspath(path) in texts  # type: ignore[operator]


def file_text(path: Path) -> str | None:
    """A dependency file's text as the linter sees it (the overlay's, else the disk's);
    None when it does not exist or cannot be read."""
    try:
        if not _overlaid(str(path)) and _key(str(path)) is None:
            return None
        texts = _OVERLAY.get()
        if texts and os.path.abspath(path) in texts:
            return texts[os.path.abspath(path)]
        return _read_text(Path(path))
    except (OSError, ValueError):
        return None


def is_file(path: Path) -> bool:
    """``path.is_file()``, counting the overlay's files."""
    return _overlaid(str(path)) or os.path.isfile(path)


def _key(path: str) -> tuple[int, int] | None:
    """Cache key for a file or folder: (mtime, size), None when it does not exist."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_mtime_ns, st.st_size)


def _listing(folder: str) -> _Listing:
    key = _key(folder)
    listing = _EMPTY if key is None else _listing_cached(folder, key)
    texts = _OVERLAY.get()
    if texts:
        extra = [os.path.basename(p) for p in texts if os.path.dirname(p) == folder]
        if extra:
            listing = _with_files(listing, extra)
    return listing


def _with_files(listing: _Listing, names: Sequence[str]) -> _Listing:
    """``listing`` with the files ``names`` added (an overlay's files that are not on disk)."""
    modules = listing.modules | frozenset(m.group(1) for m in map(_MODULE_FILE.match, names) if m)
    found = set(listing.dependency_files) | {n for n in names if _kind_of(n) is not None}
    locks = set(listing.lock_files) | {n for n in names if is_lock_file_name(n)}
    reqs = set(listing.requirement_files) | {n for n in names if n.endswith((".txt", ".in"))}
    return _Listing(listing.dirs, modules, tuple(sorted(found, key=_file_order)), tuple(sorted(locks)),
                    tuple(sorted(reqs)), listing.is_repository_root)


def _upwards(start: str) -> Iterator[str]:
    """``start`` (absolute) and every folder above it."""
    folder = start
    while True:
        yield folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return
        folder = parent


@lru_cache(maxsize=4096)
def _listing_cached(folder: str, key: tuple[int, int]) -> _Listing:
    files: list[str] = []
    dirs: set[str] = set()
    repo = False
    try:
        with os.scandir(folder) as it:
            for entry in it:
                try:
                    if entry.name == ".git":
                        repo = True  # a directory, or a file for worktrees and submodules
                    elif entry.is_dir():
                        dirs.add(entry.name)
                    else:
                        files.append(entry.name)
                except OSError:
                    continue
    except OSError:
        return _EMPTY
    modules = frozenset(m.group(1) for m in map(_MODULE_FILE.match, files) if m)
    deps = tuple(sorted((n for n in files if _kind_of(n) is not None), key=_file_order))
    locks = tuple(sorted(n for n in files if is_lock_file_name(n)))
    reqs = tuple(sorted(n for n in files if n.endswith((".txt", ".in"))))
    return _Listing(frozenset(dirs), modules, deps, locks, reqs, repo)


def repository_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that contains ``.git``."""
    for d in _upwards(os.path.abspath(start)):
        if _listing(d).is_repository_root:
            return Path(d)
    return None


def module_folders(start: Path, dependency_folder: Path | None = None) -> tuple[Path, ...]:
    """Folders whose modules a notebook in ``start`` may import as first-party code.

    ``start`` and each folder above it up to the repository root (or, outside a
    repository, up to ``dependency_folder``), each with its ``src/`` folder if any:
    notebooks import helpers that sit next to them or at the project root, often after
    ``sys.path.append("..")``.
    """
    folder = os.path.abspath(start)
    root = repository_root(Path(folder))
    stop = str(root or dependency_folder or folder)
    chain: list[str] = []
    for d in _upwards(folder):
        chain.append(d)
        if d == stop:
            break
    else:
        chain = [folder]  # `stop` is not above `start`
    out = chain + [os.path.join(d, "src") for d in chain if "src" in _listing(d).dirs]
    return tuple(Path(d) for d in out)


class LocalModules:
    """First-party modules: ``.py`` files and package folders in some folders.

    A package folder is one with an ``__init__.py`` or any ``.py`` file (a namespace
    package). ``name in local`` asks about a top-level import name.
    """

    def __init__(self, folders: Iterable[Path | str], names: Iterable[str] = ()) -> None:
        self.folders = tuple(dict.fromkeys(os.path.abspath(f) for f in folders))
        self.names = frozenset(names)
        self._seen: dict[str, bool] = {}

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        hit = self._seen.get(name)
        if hit is None:
            hit = name in self.names or any(_has_module(f, name) for f in self.folders)
            self._seen[name] = hit
        return hit


def _has_module(folder: str, name: str) -> bool:
    listing = _listing(folder)
    if name in listing.modules:
        return True
    if name in listing.dirs:
        path = os.path.join(folder, name)
        inner = _listing(path)
        # a package, a namespace package with modules, or one holding packages (`src/`)
        return bool(inner.modules) or any(
            "__init__" in _listing(os.path.join(path, d)).modules for d in inner.dirs if d.isidentifier()
        )
    return False


# -- requirements ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """One declared distribution in one dependency file."""

    name: str  # canonical distribution name
    spec: str  # as written, e.g. "pandas>=1.5", 'pandas = "^1.5"', "numpy=1.21"
    pinned: bool  # an exact version (==, ===, conda =, poetry bare version) or a direct URL
    source: Path  # the file that declares it (an included file for `-r`)
    line: int | None = None
    constraint: bool = False  # from a `-c` constraints file: pins, does not declare


@dataclass(frozen=True, eq=False)
class DependencyFile:
    """A dependency file as read. ``counts`` is False for files that declare nothing
    (a pyproject.toml with only tool settings). ``error``: why it could not be read."""

    path: Path
    kind: str  # requirements | pyproject | conda | pipfile | setup.cfg | setup.py
    requirements: tuple[Requirement, ...] = ()
    error: str | None = None
    counts: bool = True
    dynamic: bool = False  # declares dependencies that cannot be read statically
    project_name: str | None = None  # the project's own distribution name, if given


_SIZE_LIMIT = 5_000_000
_WHEEL = _lazyre.compile(r"(?:^|/)([A-Za-z0-9][A-Za-z0-9._]*?)-\d[^/-]*(?:-[^/]*)?\.(?:whl|tar\.gz|zip)$")
_EGG = _lazyre.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_NAME = _lazyre.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_COMMENT = _lazyre.compile(r"(^|\s+)#.*$")
_TRAILING_OPTION = _lazyre.compile(r"\s+--?[A-Za-z]")


def _read_text(path: Path) -> str:
    """A dependency file's text; ValueError when it is not a regular file of at most
    5 MB (a FIFO named ``requirements.txt`` must not block the lint)."""
    from nb2prod.notebook import NotebookError, read_regular_file

    texts = _OVERLAY.get()
    if texts:
        text = texts.get(os.path.abspath(path))
        if text is not None:
            return text[1:] if text.startswith("\ufeff") else text

    try:
        data = read_regular_file(path, _SIZE_LIMIT, what="a dependency file", setting=None)
    except NotebookError as exc:
        raise ValueError(str(exc)) from None
    return data.decode("utf-8-sig", errors="replace")


# A VCS URL pins only with `@<commit or tag>` after the repository path.
_VCS = _lazyre.compile(r"^(?:git|hg|svn|bzr)\+", re.I)
_VCS_REF = _lazyre.compile(r"@([^@/#?]+)(?:[#?].*)?$")
_COMMIT_REF = _lazyre.compile(r"^(?=[0-9a-f]*\d)[0-9a-f]{7,64}$", re.I)
_TAG_REF = _lazyre.compile(r"^(?:v|version-|release-)?\d+(?:\.\d+)*(?:[-+.]?[\w.]+)?$", re.I)
_ARCHIVE_REF = _lazyre.compile(
    r"/(?:archive|tarball|zipball)/(?:refs/(?:heads|tags)/)?([^/]+?)(?:\.tar\.gz|\.zip|\.tgz)?(?:[#?].*)?$"
)


def url_pinned(url: str) -> bool:
    """Does a direct URL name one version? A VCS URL (``git+https://...``) does with
    ``@<commit or tag>``, a forge archive (``.../archive/<ref>.zip``) with a commit or tag;
    a file URL (a wheel, an sdist) does."""
    text = url.strip()
    if _VCS.match(text):
        path = text.split("://", 1)[-1]
        m = _VCS_REF.search(path.split("#", 1)[0])
        ref = m.group(1) if m and "/" in path.split("#", 1)[0][: m.start()] else ""
        return bool(ref) and bool(_COMMIT_REF.match(ref) or _TAG_REF.match(ref))
    m = _ARCHIVE_REF.search(text)
    if m and re.search(r"//(?:www\.)?(?:github|gitlab|codeberg)\.(?:com|org)/", text):
        ref = m.group(1)
        return bool(_COMMIT_REF.match(ref) or _TAG_REF.match(ref))
    return True


def _pinned(req: _PackagingRequirement) -> bool:
    if req.url:
        return url_pinned(req.url)
    for s in req.specifier:
        if s.operator == "===" or (s.operator == "==" and not s.version.endswith(".*")):
            return True
    return False


_NAMED_URL = _lazyre.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@")


def pip_requirement(text: str, source: Path, line: int | None = None, constraint: bool = False) -> Requirement | None:
    """One PEP 508 requirement, or a URL/path line; None when it names no distribution
    (a local project such as ``.``, or a URL whose name cannot be told)."""
    text = text.strip()
    if not text:
        return None
    if not _NAMED_URL.match(text) and ("://" in text or text.startswith((".", "/", "~", "git+", "hg+", "svn+", "bzr+"))
                                       or text.endswith((".whl", ".tar.gz", ".zip"))):
        # a bare URL, VCS link or path: named by #egg= or by the wheel/sdist file name
        m = _EGG.search(text) or _WHEEL.search(text.split("#", 1)[0])
        return Requirement(canonical(m.group(1)), text, url_pinned(text), source, line, constraint) if m else None
    simple = simple_requirement(text)
    if simple is not None:
        return Requirement(canonical(simple[0]), text, simple[1], source, line, constraint)
    # Imported here: packaging's requirement parser costs ~25-50 ms to import (it compiles
    # its tokenizer's expressions), which the common lines above never need.
    from packaging.requirements import InvalidRequirement
    from packaging.requirements import Requirement as PackagingRequirement

    try:
        req = PackagingRequirement(text)
    except InvalidRequirement:
        m = _NAME.match(text)
        if not m:
            return None
        rest = text[m.end():]
        pinned = bool(_LOOSE_PIN.match(rest))
        return Requirement(canonical(m.group(1)), text, pinned, source, line, constraint)
    return Requirement(canonical(req.name), text, _pinned(req), source, line, constraint)


# The common requirement lines (`pandas`, `numpy==1.26.4`, `scikit-learn>=1.3,<2`,
# `uvicorn[standard]~=0.29`): a name, extras, and specifiers with plain PEP 440 versions,
# no marker, no URL. Every line this matches, packaging accepts with the same name and
# the same pins (tests/test_deps_fast.py checks it against packaging); anything else goes
# to packaging.
_REQ_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_REQ_VERSION = r"[0-9]+(?:\.[0-9]+)*(?:(?:a|b|rc)[0-9]+)?(?:\.post[0-9]+)?(?:\.dev[0-9]+)?"
_REQ_SPEC = (rf"(?:(?:===?|!=|<=?|>=?)\s*{_REQ_VERSION}|(?:==|!=)\s*[0-9]+(?:\.[0-9]+)*\.\*"
             rf"|~=\s*[0-9]+(?:\.[0-9]+)+(?:(?:a|b|rc)[0-9]+)?(?:\.post[0-9]+)?(?:\.dev[0-9]+)?)")
_SIMPLE_REQUIREMENT = _lazyre.compile(
    rf"^\s*({_REQ_NAME})\s*(?:\[\s*{_REQ_NAME}(?:\s*,\s*{_REQ_NAME})*\s*\])?\s*"
    rf"((?:{_REQ_SPEC})(?:\s*,\s*(?:{_REQ_SPEC}))*)?\s*$")
_SPEC_ITEM = _lazyre.compile(r"(===|==|!=|<=|>=|<|>|~=)\s*([^\s,]+)")


def simple_requirement(text: str) -> tuple[str, bool] | None:
    """(name as written, pinned) of a common requirement line, or None for packaging to parse."""
    m = _SIMPLE_REQUIREMENT.match(text)
    if m is None:
        return None
    specs = _SPEC_ITEM.findall(m.group(2) or "")
    return m.group(1), any(op in ("==", "===") and not version.endswith(".*") for op, version in specs)


# `==1.2` or `===1.2` (after optional extras) in a requirement packaging rejects
_LOOSE_PIN = _lazyre.compile(r"^\s*(\[[^\]]*\])?\s*===?\s*[^\s*,;<>!~=]+\s*(;.*)?$")


@dataclass(frozen=True)
class _RawRequirements:
    requirements: tuple[Requirement, ...]
    includes: tuple[tuple[str, bool], ...]  # (path, is constraints file)


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Lines with backslash continuations joined and comments removed, with line numbers."""
    buf: list[str] = []
    start = 0
    for i, raw in enumerate(text.splitlines(), start=1):
        if not buf:
            start = i
        line = _COMMENT.sub("", raw)
        if line.endswith("\\"):
            buf.append(line[:-1])
            continue
        buf.append(line)
        yield start, " ".join(buf).strip()
        buf = []
    if buf:
        yield start, " ".join(buf).strip()


_INCLUDE = _lazyre.compile(r"^(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?<=^-r)|(?<=^-c))(\S.*)$")
_EDITABLE = _lazyre.compile(r"^(-e|--editable)(?:\s*=\s*|\s+)(\S.*)$")


@lru_cache(maxsize=1024)
def _requirements_cached(path: str, key: tuple[int, int], constraint: bool) -> _RawRequirements:
    return _parse_requirements(path, _read_text(Path(path)), constraint)


def _requirements_raw(path: str, constraint: bool) -> _RawRequirements:
    """A requirements file's own lines: from the overlay, or cached by (mtime, size).
    OSError or ValueError when it cannot be read; FileNotFoundError when it is missing."""
    if _overlaid(path):
        return _parse_requirements(path, _read_text(Path(path)), constraint)
    key = _key(path)
    if key is None:
        raise FileNotFoundError("not found")
    return _requirements_cached(path, key, constraint)


def _parse_requirements(path: str, text: str, constraint: bool) -> _RawRequirements:
    source = Path(path)
    reqs: list[Requirement] = []
    includes: list[tuple[str, bool]] = []
    folder = os.path.dirname(path)
    for number, line in _logical_lines(text):
        if not line:
            continue
        if line.startswith("-"):
            m = _INCLUDE.match(line)
            if m:
                target = m.group(2).strip().strip("'\"")
                if "://" not in target:
                    is_constraint = m.group(1) in ("-c", "--constraint")
                    includes.append((os.path.normpath(os.path.join(folder, target)), is_constraint))
                continue
            m = _EDITABLE.match(line)
            if m:
                target = m.group(2).strip()
                if "://" in target or target.startswith(("git+", "hg+", "svn+", "bzr+")):
                    r = pip_requirement(target, source, number, constraint)
                    if r is not None:
                        reqs.append(r)
            continue  # other options: --index-url, --find-links, --pre, ...
        m = _TRAILING_OPTION.search(line)
        if m:
            line = line[: m.start()]  # per-requirement options: --hash=..., --config-settings
        r = pip_requirement(line, source, number, constraint)
        if r is not None:
            reqs.append(r)
    return _RawRequirements(tuple(reqs), tuple(includes))


def _requirements_tree(path: str, constraint: bool, seen: set[str]) -> list[Requirement]:
    """A requirements file with its `-r`/`-c` files, depth first. Missing or unreadable
    included files add nothing; include cycles are cut."""
    if path in seen or len(seen) > 100:
        return []
    seen.add(path)
    try:
        raw = _requirements_raw(path, constraint)
    except (OSError, ValueError):
        return []
    out = list(raw.requirements)
    for target, is_constraint in raw.includes:
        out.extend(_requirements_tree(target, constraint or is_constraint, seen))
    return out


def _requirements_file(path: Path) -> DependencyFile:
    try:
        _requirements_raw(str(path), False)
    except (OSError, ValueError) as exc:
        return DependencyFile(path, "requirements", error=f"cannot be read: {getattr(exc, 'strerror', None) or exc}")
    return DependencyFile(path, "requirements", tuple(_requirements_tree(str(path), False, set())))


# -- pyproject.toml, Pipfile, environment.yml, setup.cfg, setup.py ------------------------------


def _version_pinned(value: str) -> bool:
    """Poetry / Pipfile version strings: a bare or `==` version is a pin; `^`, `~`, `*`,
    ranges and alternatives are not."""
    v = value.strip()
    if v.startswith("==="):
        return bool(v[3:].strip())
    if v.startswith("=="):
        v = v[2:].strip()
    elif v.startswith("="):
        v = v[1:].strip()
    return bool(v) and v[0].isdigit() and not any(c in v for c in "*^~<>!,| ")


def _table_requirement(key: str, value: Any, source: Path) -> Requirement | None:
    """A Poetry or Pipfile entry: ``name = "^1.2"`` or ``name = {version = "1.2", ...}``."""
    if not isinstance(key, str) or not _NAME.match(key) or key.lower() == "python":
        return None
    name = canonical(key)
    if isinstance(value, str):
        return Requirement(name, f'{key} = "{value}"', _version_pinned(value), source)
    if isinstance(value, dict):
        if any(k in value for k in ("git", "path", "url", "file", "hg", "svn", "bzr")):
            return Requirement(name, f"{key} (direct reference)", True, source)
        version = value.get("version")
        if isinstance(version, str):
            return Requirement(name, f'{key} = "{version}"', _version_pinned(version), source)
        return Requirement(name, key, False, source)
    if isinstance(value, list):  # Poetry: several constraints, by marker
        items = [_table_requirement(key, v, source) for v in value]
        found = [r for r in items if r is not None]
        pinned = bool(found) and all(r.pinned for r in found)
        return Requirement(name, key, pinned, source)
    return Requirement(name, key, False, source)


def _get(table: Any, *keys: str) -> dict[str, Any]:
    """``table[k1][k2]...`` when every step is a table, else ``{}``."""
    for k in keys:
        table = table.get(k) if isinstance(table, dict) else None
    return table if isinstance(table, dict) else {}


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _file_refs(value: Any) -> list[str]:
    """`{file = "requirements.txt"}` or `{file = [...]}` (setuptools dynamic metadata)."""
    if isinstance(value, dict):
        f = value.get("file")
        if isinstance(f, str):
            return [f]
        return _strings(f)
    return []


def _pyproject(path: Path, text: str) -> DependencyFile:
    try:
        data = tomllib.loads(text)
    except Exception as exc:  # tomllib.TOMLDecodeError, and anything odd
        return DependencyFile(path, "pyproject", error=f"is not valid TOML: {exc}")
    reqs: list[Requirement] = []
    counts = dynamic = False
    project_name: str | None = None
    includes: list[str] = []

    def add(items: Any) -> None:
        for s in _strings(items):
            r = pip_requirement(s, path)
            if r is not None:
                reqs.append(r)

    tool = _get(data, "tool")
    project = data.get("project")
    if isinstance(project, dict):
        if isinstance(project.get("name"), str):
            project_name = project["name"]
        if "dependencies" in project:
            counts = True
            add(project["dependencies"])
        extras = project.get("optional-dependencies")
        if isinstance(extras, dict):
            counts = True
            for items in extras.values():
                add(items)
        dyn = _strings(project.get("dynamic"))
        if "dependencies" in dyn or "optional-dependencies" in dyn:
            # Dynamic metadata read from requirements files by setuptools or by the
            # hatch-requirements-txt plugin; anything else cannot be read statically.
            counts = True
            st_dyn = _get(tool, "setuptools", "dynamic")
            hook = _get(tool, "hatch", "metadata", "hooks", "requirements_txt")
            found = _file_refs(st_dyn.get("dependencies")) + _strings(hook.get("files"))
            for v in _get(st_dyn, "optional-dependencies").values():
                found.extend(_file_refs(v))
            for v in _get(hook, "optional-dependencies").values():
                found.extend(_strings(v))
            includes.extend(found)
            dynamic = "dependencies" in dyn and not found
    groups = data.get("dependency-groups")
    if isinstance(groups, dict):
        counts = True
        for items in groups.values():
            add(items)  # {include-group = ...} entries are groups read here anyway
    poetry = tool.get("poetry")
    if isinstance(poetry, dict):
        if isinstance(poetry.get("name"), str):
            project_name = project_name or poetry["name"]
        tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
        if isinstance(poetry.get("group"), dict):
            tables.extend(g.get("dependencies") for g in poetry["group"].values() if isinstance(g, dict))
        for table in tables:
            if isinstance(table, dict):
                counts = True
                for k, v in table.items():
                    r = _table_requirement(k, v, path)
                    if r is not None:
                        reqs.append(r)
    uv = tool.get("uv")
    if isinstance(uv, dict) and "dev-dependencies" in uv:
        counts = True
        add(uv["dev-dependencies"])
    pdm = tool.get("pdm")
    if isinstance(pdm, dict) and isinstance(pdm.get("dev-dependencies"), dict):
        counts = True
        for items in pdm["dev-dependencies"].values():
            add(items)
    for rel in includes:
        reqs.extend(_requirements_tree(os.path.normpath(path.parent / rel), False, set()))
    return DependencyFile(path, "pyproject", tuple(reqs), counts=counts, dynamic=dynamic, project_name=project_name)


_PIPFILE_NON_PACKAGES = frozenset({"source", "requires", "pipenv", "scripts"})


def _pipfile(path: Path, text: str) -> DependencyFile:
    try:
        data = tomllib.loads(text)
    except Exception as exc:
        return DependencyFile(path, "pipfile", error=f"is not valid TOML: {exc}")
    reqs: list[Requirement] = []
    for section, table in data.items():
        if section in _PIPFILE_NON_PACKAGES or not isinstance(table, dict):
            continue
        for k, v in table.items():
            r = _table_requirement(k, v, path)
            if r is not None:
                reqs.append(r)
    return DependencyFile(path, "pipfile", tuple(reqs))


_CONDA_SPEC = _lazyre.compile(r"^([A-Za-z0-9_][A-Za-z0-9_.\-]*)\s*(.*)$")
_CONDA_VERSION_KEY = _lazyre.compile(r"version\s*=\s*['\"]?([^'\",\]]+)")


def conda_requirement(spec: str, source: Path, line: int | None = None) -> Requirement | None:
    """One conda MatchSpec (``numpy=1.21``, ``conda-forge::pandas>=1``, ``scipy 1.7.3``)."""
    text = spec.strip()
    body = text.split("::", 1)[1] if "::" in text else text
    m = _CONDA_SPEC.match(body.strip())
    if not m:
        return None
    name, rest = m.group(1), m.group(2).strip()
    if name.lower() == "python":
        return None
    if rest.startswith("["):
        vm = _CONDA_VERSION_KEY.search(rest)
        rest = vm.group(1).strip() if vm else ""
    version, fuzzy, build = "", False, ""
    if rest.startswith("=="):
        version, _, build = rest[2:].partition("=")
    elif rest.startswith("="):
        # `name=1.26` means 1.26.* (a fuzzy match); `name=1.26=build` names one build
        version, _, build = rest[1:].partition("=")
        fuzzy = True
    elif rest[:1].isdigit():
        version, _, build = rest.partition(" ")  # "name 1.2.3 build": an exact version
    version, build = version.strip(), build.strip()
    pinned = bool(version) and not any(c in version for c in "*<>!~|,")
    if pinned and fuzzy and not (build and "*" not in build):
        # `=1.26.4` is 1.26.4.*: in practice one release; `=1.26` is every 1.26.x
        pinned = len(version.split(".")) >= 3
    dist = CONDA_ALIASES.get(name.lower(), name)
    return Requirement(canonical(dist), text, pinned, source, line)


def _yaml_load(text: str) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # a safe loader (C or Python)


def _environment_yml(path: Path, text: str) -> DependencyFile:
    try:
        data = _yaml_load(text)
    except Exception as exc:  # yaml.YAMLError and friends
        first = " ".join(str(exc).split())[:120]
        return DependencyFile(path, "conda", error=f"is not valid YAML: {first}")
    if data is None:
        data = {}  # an empty file declares nothing
    if not isinstance(data, dict):
        return DependencyFile(path, "conda", error="is not a conda environment file (no mapping at its top level)")
    reqs: list[Requirement] = []
    deps = data.get("dependencies")
    for item in deps if isinstance(deps, list) else []:
        if isinstance(item, str):
            r = conda_requirement(item, path)
            if r is not None:
                reqs.append(r)
        elif isinstance(item, dict) and isinstance(item.get("pip"), list):
            for p in item["pip"]:
                if not isinstance(p, str):
                    continue
                p = _COMMENT.sub("", p).strip()
                m = _INCLUDE.match(p)
                if m:
                    target = os.path.normpath(path.parent / m.group(2).strip())
                    reqs.extend(_requirements_tree(target, m.group(1) in ("-c", "--constraint"), set()))
                elif not p.startswith("-"):
                    r = pip_requirement(p, path)
                    if r is not None:
                        reqs.append(r)
    return DependencyFile(path, "conda", tuple(reqs))


def _setup_cfg(path: Path, text: str) -> DependencyFile:
    import configparser  # only here: not imported by every lint
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        return DependencyFile(path, "setup.cfg", error=f"is not a valid setup.cfg: {type(exc).__name__}")
    values: list[str] = []
    counts = False
    if parser.has_option("options", "install_requires"):
        counts = True
        values.append(parser.get("options", "install_requires"))
    if parser.has_section("options.extras_require"):
        counts = True
        values.extend(v for _, v in parser.items("options.extras_require"))
    name = parser.get("metadata", "name", fallback=None)
    reqs: list[Requirement] = []
    for value in values:
        if value.strip().startswith("file:"):
            for rel in value.strip()[5:].split(","):
                target = os.path.normpath(path.parent / rel.strip())
                reqs.extend(_requirements_tree(target, False, set()))
            continue
        for line in value.splitlines():
            line = _COMMENT.sub("", line).strip()
            r = pip_requirement(line, path) if line else None
            if r is not None:
                reqs.append(r)
    return DependencyFile(path, "setup.cfg", tuple(reqs), counts=counts, project_name=name)


def _setup_py(path: Path, text: str) -> DependencyFile:
    """``setup(install_requires=[...], extras_require={...})`` read statically."""
    if "install_requires" not in text and "extras_require" not in text:
        return DependencyFile(path, "setup.py", counts=False)
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return DependencyFile(path, "setup.py", dynamic=True)
    assigned: dict[str, ast.expr] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            assigned[stmt.targets[0].id] = stmt.value
    reqs: list[Requirement] = []
    dynamic = False
    name: str | None = None
    found = False

    def literal(node: ast.expr) -> Any:
        if isinstance(node, ast.Name) and node.id in assigned:
            node = assigned[node.id]
        try:
            return ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return None

    for node in walk_nodes(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        fname = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if fname != "setup":
            continue
        for kw in node.keywords:
            if kw.arg is None:
                dynamic = True  # setup(**config)
            elif kw.arg == "name":
                v = literal(kw.value)
                name = v if isinstance(v, str) else name
            elif kw.arg in ("install_requires", "extras_require"):
                found = True
                value = literal(kw.value)
                items: list[Any] = []
                if isinstance(value, (list, tuple)):
                    items = list(value)
                elif isinstance(value, dict):
                    items = [x for v in value.values() if isinstance(v, (list, tuple)) for x in v]
                elif isinstance(value, str):
                    items = value.splitlines()
                else:
                    dynamic = dynamic or kw.arg == "install_requires"
                for s in items:
                    r = pip_requirement(s, path) if isinstance(s, str) else None
                    if r is not None:
                        reqs.append(r)
    return DependencyFile(path, "setup.py", tuple(reqs), counts=found or dynamic, dynamic=dynamic and not reqs,
                          project_name=name)


# -- which files ------------------------------------------------------------------------------

_LOCK_NAMES = frozenset(
    {"poetry.lock", "uv.lock", "Pipfile.lock", "pdm.lock", "pixi.lock", "conda-lock.yml", "conda-lock.yaml"}
)


def is_lock_file_name(name: str) -> bool:
    """Lock files that pin every version: poetry.lock, uv.lock, Pipfile.lock, pdm.lock,
    pixi.lock, conda-lock.yml (and `*.conda-lock.yml`), pylock.toml (PEP 751),
    requirements*.lock (rye)."""
    return (
        name in _LOCK_NAMES
        or name.endswith((".conda-lock.yml", ".conda-lock.yaml"))
        or (name.startswith("pylock.") and name.endswith(".toml"))
        or (name.startswith("requirements") and name.endswith(".lock"))
    )


def dependency_kind(name: str) -> str | None:
    """The kind of dependency file a file name is: requirements | pyproject | conda |
    pipfile | setup.cfg | setup.py, or None."""
    return _kind_of(name)


def _kind_of(name: str) -> str | None:
    low = name.lower()
    if low.startswith("requirements") and low.endswith((".txt", ".in")):
        return "requirements"
    if name == "pyproject.toml":
        return "pyproject"
    if name == "Pipfile":
        return "pipfile"
    if (low.startswith("environment") or low in ("conda.yml", "conda.yaml")) and low.endswith((".yml", ".yaml")):
        return "conda"
    if name == "setup.cfg":
        return "setup.cfg"
    if name == "setup.py":
        return "setup.py"
    return None


_MAIN_FILES = ("requirements.txt", "pyproject.toml", "environment.yml", "environment.yaml", "Pipfile",
               "setup.cfg", "setup.py")


def _file_order(name: str) -> tuple[int, str]:
    """The usual files first (messages name them in this order), then the others."""
    return (_MAIN_FILES.index(name) if name in _MAIN_FILES else len(_MAIN_FILES), name)


def is_dependency_file_name(name: str) -> bool:
    """Could a file of this name declare dependencies? (see :func:`read_dependency_file`)"""
    return _kind_of(name) is not None


_READERS = {
    "pyproject": _pyproject,
    "pipfile": _pipfile,
    "conda": _environment_yml,
    "setup.cfg": _setup_cfg,
    "setup.py": _setup_py,
}


def read_dependency_file(path: Path) -> DependencyFile:
    """Read one dependency file by its name's kind. Never raises."""
    path = Path(os.path.abspath(path))
    kind = _kind_of(path.name) or "requirements"
    if _OVERLAY.get():
        # Every file is read afresh: a cached file that includes an overlaid one (a
        # pyproject.toml reading requirements.txt) would hold the wrong text, or keep it.
        if kind == "requirements":
            return _requirements_file(path)
        if not _overlaid(str(path)) and _key(str(path)) is None:
            return DependencyFile(path, kind, error="was not found")
        return _read_uncached(path, kind)
    key = _key(str(path))
    if key is None:
        return DependencyFile(path, kind, error="was not found")
    if kind == "requirements":
        return _requirements_file(path)
    return _read_cached(str(path), key, kind)


def parse_dependency_text(path: Path, text: str) -> DependencyFile:
    """A dependency file of ``path``'s kind read from ``text`` (a requirements file's
    own lines only, without its ``-r`` files). Never raises."""
    path = Path(os.path.abspath(path))
    kind = _kind_of(path.name) or "requirements"
    if kind == "requirements":
        try:
            raw = _parse_requirements(str(path), text, False)
        except RecursionError:
            return DependencyFile(path, kind, error="is nested too deeply")
        return DependencyFile(path, kind, raw.requirements)
    try:
        return _READERS[kind](path, text)
    except RecursionError:
        return DependencyFile(path, kind, error="is nested too deeply")


@lru_cache(maxsize=1024)
def _read_cached(path: str, key: tuple[int, int], kind: str) -> DependencyFile:
    return _read_uncached(Path(path), kind)


def _read_uncached(p: Path, kind: str) -> DependencyFile:
    try:
        text = _read_text(p)
    except (OSError, ValueError) as exc:
        return DependencyFile(p, kind, error=f"cannot be read: {getattr(exc, 'strerror', None) or exc}")
    try:
        return _READERS[kind](p, text)
    except RecursionError:
        return DependencyFile(p, kind, error="is nested too deeply")


def _candidate_files(folder: Path) -> list[Path]:
    listing = _listing(str(folder))
    paths = [folder / n for n in listing.dependency_files]
    if "requirements" in listing.dirs:  # requirements/base.txt, requirements/dev.in ...
        sub = folder / "requirements"
        paths.extend(sub / n for n in _listing(str(sub)).requirement_files)
    return paths


# -- the set of declared dependencies -------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DependencySet:
    """Every dependency file in the nearest folder that has one."""

    folder: Path
    files: tuple[DependencyFile, ...]  # those that count (readable or not)
    lock_files: tuple[Path, ...] = ()
    _by_name: dict[str, list[Requirement]] = field(default_factory=dict, repr=False)

    @property
    def readable(self) -> tuple[DependencyFile, ...]:
        return tuple(f for f in self.files if f.error is None)

    @property
    def unreadable(self) -> tuple[DependencyFile, ...]:
        return tuple(f for f in self.files if f.error is not None)

    @property
    def locked(self) -> bool:
        return bool(self.lock_files)

    @property
    def complete(self) -> bool:
        """False when a file declares dependencies that cannot be read statically
        (``dynamic = ["dependencies"]`` with no file given, ``setup(**config)``) and no
        requirements file sits next to it."""
        if not any(f.dynamic for f in self.readable):
            return True
        return any(f.kind == "requirements" and f.error is None for f in self.files)

    @property
    def project_names(self) -> frozenset[str]:
        return frozenset(canonical(f.project_name) for f in self.readable if f.project_name)

    def declarations(self, names: Iterable[str]) -> list[Requirement]:
        """Declarations (not mere constraints) of any of the canonical ``names``."""
        out: list[Requirement] = []
        for n in names:
            out.extend(r for r in self._by_name.get(n, ()) if not r.constraint)
        return out

    def is_pinned(self, names: Iterable[str]) -> bool:
        """A lock file, or any declaration or constraint with an exact version."""
        if self.locked:
            return True
        return any(r.pinned for n in names for r in self._by_name.get(n, ()))

    def match(self, target: ImportTarget) -> tuple[str, list[Requirement]]:
        """(the distribution to name, its declarations) for an import.

        The static candidates are tried first; only for an import the static tables do
        not know is this environment's installed metadata asked (once per process).
        """
        found = self.declarations(target.distributions)
        if found or target.known:
            return (found[0].name if found else target.distributions[0]), found
        installed = installed_distributions(target.top)
        if installed:
            found = self.declarations(installed)
            return (found[0].name if found else installed[0]), found
        return target.distributions[0], found


def _build_set(folder: Path, files: Sequence[DependencyFile], locks: Sequence[Path]) -> DependencySet:
    by_name: dict[str, list[Requirement]] = {}
    for f in files:
        for r in f.requirements:
            by_name.setdefault(r.name, []).append(r)
    for f in files:
        if f.project_name:  # the project itself is not an undeclared dependency
            by_name.setdefault(canonical(f.project_name), []).append(
                Requirement(canonical(f.project_name), f.project_name, True, f.path)
            )
    return DependencySet(folder, tuple(files), tuple(locks), by_name)


def dependencies_in(folder: Path) -> DependencySet | None:
    """The dependency files of exactly this folder, or None when it has none that count.

    Each file is parsed once (cached by path and modification time); merging them is a
    few dictionary inserts.
    """
    folder = Path(os.path.abspath(folder))
    files = [read_dependency_file(p) for p in _candidate_files(folder)]
    files = [f for f in files if f.counts or f.error is not None]
    if not files:
        return None
    locks = tuple(folder / n for n in _listing(str(folder)).lock_files)
    return _build_set(folder, files, locks)


def find_dependencies(start: Path) -> DependencySet | None:
    """The nearest dependency files: from ``start`` (a folder, or a file's folder)
    upwards, the first folder that holds any; the search stops after the repository
    root (a folder containing ``.git``) or at the filesystem root."""
    folder = os.path.abspath(start)
    if not os.path.isdir(folder):
        folder = os.path.dirname(folder)
    for d in _upwards(folder):
        listing = _listing(d)
        if listing.dependency_files or "requirements" in listing.dirs:
            found = dependencies_in(Path(d))
            if found is not None:
                return found
        if listing.is_repository_root:
            return None
    return None


# -- install commands in notebooks ----------------------------------------------------------------


@dataclass(frozen=True)
class InstallSpec:
    """One package named by an install command (``pip install pandas==2.1``)."""

    tool: str  # "pip" or "conda"
    spec: str  # the argument as written (quotes removed)
    name: str | None  # canonical distribution name; None for paths and URLs
    pinned: bool
    requirements_file: str | None = None  # `-r FILE`: the packages are FILE's


_PIP_PROGRAM = _lazyre.compile(r"^(?:.*/)?pip(?:\d+(?:\.\d+)?)?$")
_CONDA_PROGRAM = _lazyre.compile(r"^(?:.*/)?(?:conda|mamba|micromamba)$")
_PIP_VALUE_OPTIONS = frozenset(
    "-r --requirement -c --constraint -e --editable -i --index-url --extra-index-url -f "
    "--find-links -t --target --prefix --root --upgrade-strategy --platform --python-version "
    "--implementation --abi --only-binary --no-binary --progress-bar --src --cache-dir --log "
    "--proxy --retries --timeout --trusted-host --global-option --install-option -C "
    "--config-settings --report --python --exists-action --keyring-provider --cert "
    "--client-cert --root-user-action --group -p".split()
)
_CONDA_VALUE_OPTIONS = frozenset(
    "-c --channel -n --name -p --prefix --file --solver --repodata-fn --subdir --platform".split()
)
_SEPARATORS = frozenset({";", "&&", "||", "|", "&"})
_TOOLING = frozenset({"pip", "setuptools", "wheel"})


def _shell_words(command: str) -> list[str]:
    try:
        import shlex  # only here: not imported by every lint
        lex = shlex.shlex(command, posix=True, punctuation_chars=True)
        lex.whitespace_split = True
        lex.commenters = ""  # `#` starts a comment only as a word of its own (below)
        words = list(lex)
    except ValueError:  # unbalanced quotes
        words = command.split()
    for i, w in enumerate(words):
        if w.startswith("#"):
            return words[:i]
    return words


def parse_install_command(command: str) -> list[InstallSpec]:
    """The packages that a shell command line installs with pip or conda.

    Understands ``pip``/``pip3``/``python -m pip``/``uv pip``/``conda``/``mamba``
    ``install``, several commands joined by ``&&`` or ``;``, options (``-q``, ``-U``,
    ``-r file``, ``--index-url URL``) and shell redirections. Requirement files,
    local paths and URLs are not reported as packages. Arguments with ``$var`` or
    ``{var}`` (IPython expansion) are skipped: their value is unknown.
    """
    words = _shell_words(command)
    commands: list[list[str]] = [[]]
    for w in words:
        if w in _SEPARATORS:
            commands.append([])
        else:
            commands[-1].append(w)
    out: list[InstallSpec] = []
    for cmd in commands:
        out.extend(_install_specs(cmd))
    return out


def _install_specs(words: list[str]) -> Iterator[InstallSpec]:
    tool = None
    i = 0
    while i < len(words):
        w = words[i]
        if _PIP_PROGRAM.match(w):
            tool = "pip"
        elif _CONDA_PROGRAM.match(w):
            tool = "conda"
        if tool is not None:
            break
        i += 1
    if tool is None:
        return
    value_options = _PIP_VALUE_OPTIONS if tool == "pip" else _CONDA_VALUE_OPTIONS
    i += 1
    while i < len(words) and words[i].startswith("-"):  # `pip --quiet install`
        i += 2 if words[i] in value_options else 1
    if i >= len(words) or words[i] != "install":
        return
    i += 1
    while i < len(words):
        w = words[i]
        if w[:1] in "<>" or (w.isdigit() and i + 1 < len(words) and words[i + 1][:1] in "<>"):
            return  # a redirection: the rest is not arguments
        if w.startswith("-"):
            if tool == "pip" and w in ("-r", "--requirement") and i + 1 < len(words):
                target = words[i + 1]
                if "$" not in target and "{" not in target:
                    yield InstallSpec(tool, f"{w} {target}", None, True, target)
            elif tool == "pip" and w.startswith(("-r", "--requirement=")) and w not in ("-r", "--requirement"):
                target = w[2:] if w.startswith("-r") else w.split("=", 1)[1]
                if target and "$" not in target and "{" not in target:
                    yield InstallSpec(tool, w, None, True, target)
            i += 2 if w in value_options else 1
            continue
        i += 1
        if "$" in w or "{" in w:
            continue
        if i < len(words) and words[i] == "@":  # `name @ url`, unquoted
            i += 2
            yield InstallSpec(tool, f"{w} @ ...", canonical(w) if _NAME.fullmatch(w) else None, True)
            continue
        spec = _install_spec(tool, w)
        if spec is not None:
            yield spec


_REPO_NAME = _lazyre.compile(r"/([A-Za-z0-9][A-Za-z0-9._-]*?)(?:\.git)?(?:@[^/]*)?(?:[#?].*)?$")


def _install_spec(tool: str, word: str) -> InstallSpec | None:
    if _VCS.match(word):
        # `git+https://github.com/org/repo@<ref>`: named by #egg= or by the repository
        m = _EGG.search(word) or _REPO_NAME.search(word.split("#", 1)[0])
        return InstallSpec(tool, word, canonical(m.group(1)) if m else None, url_pinned(word))
    if "://" in word or word.startswith((".", "/", "~")) or word.endswith((".whl", ".tar.gz", ".zip")):
        return InstallSpec(tool, word, None, url_pinned(word))
    if tool == "conda":
        r = conda_requirement(word, Path("."))
        if r is None:
            return None  # `python=3.10`
    else:
        r = pip_requirement(word, Path("."))
        if r is None:
            return None
    if r.name in _TOOLING:
        return None
    return InstallSpec(tool, word, r.name, r.pinned)


def clear_caches() -> None:
    """Forget every cached listing and file (tests; long-running processes never need
    it, as caches are keyed by modification time)."""
    _listing_cached.cache_clear()
    _requirements_cached.cache_clear()
    _read_cached.cache_clear()
    _installed_map.cache_clear()
