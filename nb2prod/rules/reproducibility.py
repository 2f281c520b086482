"""NB1xx: reproducibility. Does a second top-down run compute the same thing?

Two kinds of problem: randomness that no seed fixes (NB101-NB106) and data read from a
URL whose content can change (NB107).

All rules read one scan of :attr:`Analysis.calls` (:func:`_scan`), made once per notebook.
Cells tagged ``skip`` do not run at build time: they neither seed nor count as uses.

"Before" means earlier in notebook order (cell, then line), with one refinement: code
inside a top-level ``def`` or ``class`` runs when the function is first called (the class
first instantiated), so a seed in ``def set_seed(): ...`` counts where ``set_seed()`` is
called, and ``nn.Linear`` inside ``class Net`` counts where ``Net()`` is. A seed in a
function never called in the notebook seeds nothing; a use there counts where it is
written (the function may be called by the service).
"""

from __future__ import annotations

import ast
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from nb2prod.analysis import Analysis, CallFact, dotted_name
from nb2prod.diagnostics import Finding, Severity
from nb2prod.notebook import Cell
from nb2prod.rules._base import Rule, register

# -- which calls are randomness, seeds, generators ---------------------------------------

PYTHON, NUMPY, TORCH, TENSORFLOW = "python", "numpy", "torch", "tensorflow"

_PY_RANDOM = frozenset(
    f"random.{n}"
    for n in (
        "random", "randint", "randrange", "choice", "choices", "shuffle", "sample", "uniform",
        "triangular", "gauss", "normalvariate", "lognormvariate", "expovariate",
        "vonmisesvariate", "gammavariate", "betavariate", "paretovariate", "weibullvariate",
        "binomialvariate", "getrandbits", "randbytes",
    )
)

# numpy's legacy functions on the global RandomState (numpy.random.__all__ minus the
# generator classes and state functions).
_NUMPY_LEGACY = frozenset(
    f"numpy.random.{n}"
    for n in (
        "beta", "binomial", "bytes", "chisquare", "choice", "dirichlet", "exponential", "f",
        "gamma", "geometric", "gumbel", "hypergeometric", "laplace", "logistic", "lognormal",
        "logseries", "multinomial", "multivariate_normal", "negative_binomial",
        "noncentral_chisquare", "noncentral_f", "normal", "pareto", "permutation", "poisson",
        "power", "rand", "randint", "randn", "random", "random_integers", "random_sample",
        "ranf", "rayleigh", "sample", "shuffle", "standard_cauchy", "standard_exponential",
        "standard_gamma", "standard_normal", "standard_t", "triangular", "uniform", "vonmises",
        "wald", "weibull", "zipf",
    )
)

# Generator objects and the argument that seeds them (NB103).
_GENERATORS: dict[str, tuple[str, ...]] = {
    "numpy.random.default_rng": ("seed",),
    "numpy.random.RandomState": ("seed",),
    "numpy.random.SeedSequence": ("entropy",),
    "numpy.random.PCG64": ("seed",),
    "numpy.random.PCG64DXSM": ("seed",),
    "numpy.random.MT19937": ("seed",),
    "numpy.random.SFC64": ("seed",),
    "numpy.random.Philox": ("seed", "key"),
    "random.Random": ("x",),
}
_ALWAYS_UNSEEDED = frozenset({"tensorflow.random.Generator.from_non_deterministic_state"})

_TORCH_FUNCS = frozenset(
    f"torch.{n}"
    for n in (
        "rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like",
        "normal", "bernoulli", "multinomial", "poisson",
    )
)
_TORCH_INIT = frozenset(
    {
        "uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_",
        "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_",
        "uniform", "normal", "xavier_uniform", "xavier_normal", "kaiming_uniform",
        "kaiming_normal", "orthogonal", "sparse",
    }
)
# torch.nn modules whose weights are drawn at random when they are built, or that draw
# at every forward pass.
_TORCH_LAYERS = frozenset(
    {
        "Linear", "Bilinear", "LazyLinear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d",
        "ConvTranspose2d", "ConvTranspose3d", "LazyConv1d", "LazyConv2d", "LazyConv3d",
        "Embedding", "EmbeddingBag", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell",
        "MultiheadAttention", "Transformer", "TransformerEncoderLayer",
        "TransformerDecoderLayer", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
        "AlphaDropout",
    }
)
_TORCH_LAYER_NAMES = frozenset(f"torch.nn.{n}" for n in _TORCH_LAYERS)
_TORCH_SAMPLERS = frozenset({"torch.utils.data.RandomSampler", "torch.utils.data.SubsetRandomSampler"})

_TF_RANDOM = frozenset(
    {
        "tensorflow.random.normal", "tensorflow.random.uniform", "tensorflow.random.truncated_normal",
        "tensorflow.random.shuffle", "tensorflow.random.categorical", "tensorflow.random.gamma",
        "tensorflow.random.poisson", "tensorflow.random_normal", "tensorflow.random_uniform",
        "tensorflow.truncated_normal", "tensorflow.random_shuffle", "tensorflow.multinomial",
        "tensorflow.nn.dropout", "tensorflow.image.random_flip_left_right",
        "tensorflow.image.random_flip_up_down", "tensorflow.image.random_brightness",
        "tensorflow.image.random_contrast", "tensorflow.image.random_crop",
        "tensorflow.image.random_hue", "tensorflow.image.random_saturation",
        "tensorflow.image.random_jpeg_quality",
    }
)
_KERAS_TOPS = frozenset({"tensorflow", "keras", "tf_keras"})
_KERAS_LAYERS = frozenset(
    {
        "Dense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
        "Conv3DTranspose", "SeparableConv1D", "SeparableConv2D", "DepthwiseConv2D", "LSTM",
        "GRU", "SimpleRNN", "Embedding", "MultiHeadAttention", "Dropout", "SpatialDropout1D",
        "SpatialDropout2D", "SpatialDropout3D", "AlphaDropout", "GaussianDropout",
        "GaussianNoise",
    }
)
_KERAS_INITIALIZERS = frozenset(
    {
        "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal",
        "RandomNormal", "RandomUniform", "TruncatedNormal", "Orthogonal", "VarianceScaling",
    }
)
_TF_DIRECTORY_DATASETS = frozenset(
    {"image_dataset_from_directory", "text_dataset_from_directory", "audio_dataset_from_directory"}
)

# Seeding functions: qualified name -> the global generators they seed.
_SEEDS: dict[str, frozenset[str]] = {
    "random.seed": frozenset({PYTHON}),
    "random.setstate": frozenset({PYTHON}),
    "numpy.random.seed": frozenset({NUMPY}),
    "numpy.random.set_state": frozenset({NUMPY}),
    "torch.manual_seed": frozenset({TORCH}),
    "torch.random.manual_seed": frozenset({TORCH}),
    "tensorflow.random.set_seed": frozenset({TENSORFLOW}),
    "tensorflow.set_random_seed": frozenset({TENSORFLOW}),
    "tensorflow.compat.v1.set_random_seed": frozenset({TENSORFLOW}),
    "tensorflow.compat.v1.random.set_random_seed": frozenset({TENSORFLOW}),
    "tensorflow.keras.utils.set_random_seed": frozenset({PYTHON, NUMPY, TENSORFLOW}),
    "tf_keras.utils.set_random_seed": frozenset({PYTHON, NUMPY, TENSORFLOW}),
    "keras.utils.set_random_seed": frozenset({PYTHON, NUMPY, TENSORFLOW, TORCH}),
    "transformers.set_seed": frozenset({PYTHON, NUMPY, TORCH, TENSORFLOW}),
    "transformers.trainer_utils.set_seed": frozenset({PYTHON, NUMPY, TORCH, TENSORFLOW}),
    "accelerate.utils.set_seed": frozenset({PYTHON, NUMPY, TORCH}),
    "fastai.torch_core.set_seed": frozenset({PYTHON, NUMPY, TORCH}),
}
# Functions that take an explicit seed: a call without one (or with None) seeds nothing.
_SEED_REQUIRES_VALUE = frozenset(
    {"random.seed", "numpy.random.seed", "torch.manual_seed", "torch.random.manual_seed",
     "tensorflow.random.set_seed", "tensorflow.set_random_seed",
     "tensorflow.compat.v1.set_random_seed", "tensorflow.compat.v1.random.set_random_seed"}
)
_SEED_EVERYTHING_MODULES = ("lightning", "pytorch_lightning", "lightning_fabric")
_ALL_LIBRARIES = frozenset({PYTHON, NUMPY, TORCH, TENSORFLOW})
# Seeding helpers imported from elsewhere (a project's utils, a star import): trusted to
# seed everything. Helpers defined in the notebook are judged by what their body does.
_SEED_HELPERS = frozenset(
    {"seed_everything", "set_seed", "set_seeds", "set_random_seed", "set_random_seeds",
     "seed_all", "set_all_seeds", "fix_seed", "fix_seeds", "fix_random_seed", "set_global_seed",
     "seed_torch", "random_seed", "setup_seed", "init_seeds"}
)


# -- scikit-learn: when does random_state matter? -------------------------------------------


def _one_of(*values: object) -> Callable[[object], bool]:
    return lambda v: v in values


def _none_of(*values: object) -> Callable[[object], bool]:
    return lambda v: v not in values


def _given(v: object) -> bool:
    return v is not None


def _above_zero(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0


def _a_fraction(v: object) -> bool:
    return isinstance(v, float)


def _never(v: object) -> bool:
    return False  # only on data larger than `subsample` rows: a linter cannot tell


# scikit-learn name -> (parameter, when random_state has an effect, the parameter's
# default). Everything else in data/sklearn_random_state.json always uses random_state.
# A parameter given as a non-literal expression means "cannot tell": not reported.
_RANDOM_STATE_MATTERS_WHEN: dict[str, tuple[str, Callable[[object], bool], object]] = {
    "KFold": ("shuffle", _one_of(True), False),
    "StratifiedKFold": ("shuffle", _one_of(True), False),
    "GroupKFold": ("shuffle", _one_of(True), False),
    "StratifiedGroupKFold": ("shuffle", _one_of(True), False),
    "check_cv": ("shuffle", _one_of(True), False),
    "learning_curve": ("shuffle", _one_of(True), False),
    "train_test_split": ("shuffle", _one_of(True), True),
    "fetch_covtype": ("shuffle", _one_of(True), False),
    "fetch_kddcup99": ("shuffle", _one_of(True), False),
    "fetch_rcv1": ("shuffle", _one_of(True), False),
    "LogisticRegression": ("solver", _one_of("sag", "saga", "liblinear"), "lbfgs"),
    "LogisticRegressionCV": ("solver", _one_of("sag", "saga", "liblinear"), "lbfgs"),
    "SVC": ("probability", _one_of(True), False),
    "NuSVC": ("probability", _one_of(True), False),
    "LinearSVC": ("dual", _none_of(False), "auto"),
    "LinearSVR": ("dual", _none_of(False), "auto"),
    "Ridge": ("solver", _one_of("sag", "saga"), "auto"),
    "RidgeClassifier": ("solver", _one_of("sag", "saga"), "auto"),
    "ridge_regression": ("solver", _one_of("sag", "saga"), "auto"),
    "Lasso": ("selection", _one_of("random"), "cyclic"),
    "LassoCV": ("selection", _one_of("random"), "cyclic"),
    "ElasticNet": ("selection", _one_of("random"), "cyclic"),
    "ElasticNetCV": ("selection", _one_of("random"), "cyclic"),
    "MultiTaskLasso": ("selection", _one_of("random"), "cyclic"),
    "MultiTaskLassoCV": ("selection", _one_of("random"), "cyclic"),
    "MultiTaskElasticNet": ("selection", _one_of("random"), "cyclic"),
    "MultiTaskElasticNetCV": ("selection", _one_of("random"), "cyclic"),
    "Lars": ("jitter", _given, None),
    "LassoLars": ("jitter", _given, None),
    "PCA": ("svd_solver", _one_of("arpack", "randomized"), "auto"),
    "NMF": ("init", _one_of("random", "nndsvdar"), None),
    "GaussianProcessRegressor": ("n_restarts_optimizer", _above_zero, 0),
    "GaussianProcessClassifier": ("n_restarts_optimizer", _above_zero, 0),
    "DummyClassifier": ("strategy", _one_of("stratified", "uniform"), "prior"),
    "IterativeImputer": ("sample_posterior", _one_of(True), False),
    "ClassifierChain": ("order", _one_of("random"), None),
    "RegressorChain": ("order", _one_of("random"), None),
    "HalvingGridSearchCV": ("resource", _none_of("n_samples"), "n_samples"),
    "TunedThresholdClassifierCV": ("cv", _a_fraction, None),
    "silhouette_score": ("sample_size", _given, None),
    "extract_patches_2d": ("max_patches", _given, None),
    "PatchExtractor": ("max_patches", _given, None),
    "QuantileTransformer": ("subsample", _never, None),
    "quantile_transform": ("subsample", _never, None),
    "KBinsDiscretizer": ("subsample", _never, None),
}
_SKLEARN_TABLE = Path(__file__).resolve().parent.parent / "data" / "sklearn_random_state.json"


@lru_cache(maxsize=1)
def _sklearn_table() -> tuple[dict[str, int | None], dict[str, int | None]]:
    """(dotted name -> positional index of random_state, short name -> the same).

    Loaded on first use; a missing or broken file disables the scikit-learn check
    rather than crash the linter.
    """
    try:
        data = json.loads(_SKLEARN_TABLE.read_text(encoding="utf-8"))
        table = {str(k): (v if isinstance(v, int) else None) for k, v in data["random_state"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}, {}
    by_name: dict[str, int | None] = {}
    for dotted, pos in table.items():
        short = dotted.rsplit(".", 1)[1]
        if short in by_name and by_name[short] != pos:
            known = [p for p in (by_name[short], pos) if p is not None]
            by_name[short] = min(known) if known else None
        else:
            by_name[short] = pos
    return table, by_name


def _sklearn_position(qualname: str) -> tuple[bool, int | None]:
    """(does this scikit-learn callable accept random_state?, its positional index)."""
    table, by_name = _sklearn_table()
    if qualname in table:
        return True, table[qualname]
    # Old or private import paths (sklearn.cross_validation, sklearn.ensemble._forest).
    short = qualname.rsplit(".", 1)[1]
    if short in by_name:
        return True, by_name[short]
    return False, None


# -- remote data -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reader:
    positions: tuple[int, ...]  # where the URL may be passed positionally
    keywords: tuple[str, ...]  # ... or by keyword
    hashes: tuple[str, ...] = ()  # keywords that verify a checksum: pinned when given
    any_url: bool = True  # False: a generic HTTP client, only data-file URLs count


_PANDAS_PATH_KW = ("filepath_or_buffer", "io", "path", "path_or_buf", "path_or_buffer", "filepath")
_READERS: dict[str, _Reader] = {
    **{
        f"pandas.read_{n}": _Reader((0,), _PANDAS_PATH_KW)
        for n in ("csv", "table", "fwf", "excel", "json", "html", "xml", "parquet", "feather",
                  "orc", "pickle", "stata", "sas", "spss")
    },
    **{f"polars.{n}": _Reader((0,), ("source",)) for n in ("read_csv", "read_parquet", "read_json",
                                                           "read_excel", "scan_csv", "scan_parquet")},
    "dask.dataframe.read_csv": _Reader((0,), ("urlpath",)),
    "geopandas.read_file": _Reader((0,), ("filename",)),
    "xarray.open_dataset": _Reader((0,), ("filename_or_obj",)),
    "numpy.loadtxt": _Reader((0,), ("fname",)),
    "numpy.genfromtxt": _Reader((0,), ("fname",)),
    "numpy.load": _Reader((0,), ("file",)),
    "urllib.request.urlretrieve": _Reader((0,), ("url",)),
    "urllib.urlretrieve": _Reader((0,), ("url",)),
    "wget.download": _Reader((0,), ("url",)),
    "gdown.download": _Reader((0,), ("url",)),
    "tensorflow.keras.utils.get_file": _Reader((1, 0), ("origin", "fname"), ("file_hash", "md5_hash")),
    "keras.utils.get_file": _Reader((1, 0), ("origin", "fname"), ("file_hash", "md5_hash")),
    "tf_keras.utils.get_file": _Reader((1, 0), ("origin", "fname"), ("file_hash", "md5_hash")),
    "torch.hub.load_state_dict_from_url": _Reader((0,), ("url",), ("check_hash",)),
    "torch.hub.download_url_to_file": _Reader((0,), ("url",), ("hash_prefix",)),
    "torchvision.datasets.utils.download_url": _Reader((0,), ("url",), ("md5",)),
    "torchvision.datasets.utils.download_and_extract_archive": _Reader((0,), ("url",), ("md5",)),
    "pooch.retrieve": _Reader((0,), ("url",), ("known_hash",)),
    "urllib.request.urlopen": _Reader((0,), ("url",), any_url=False),
    "urllib.urlopen": _Reader((0,), ("url",), any_url=False),
    "urllib2.urlopen": _Reader((0,), ("url",), any_url=False),
    "requests.get": _Reader((0,), ("url",), any_url=False),
    "httpx.get": _Reader((0,), ("url",), any_url=False),
}
# Positional index of each hash keyword, for readers that also take it positionally.
_HASH_POSITIONS = {"pooch.retrieve": 1, "torch.hub.download_url_to_file": 2,
                   "torchvision.datasets.utils.download_url": 3}

_HF_PACKAGED_BUILDERS = frozenset(
    {"csv", "json", "parquet", "text", "arrow", "pandas", "imagefolder", "audiofolder",
     "videofolder", "webdataset", "sql", "generator", "xml"}
)

_UNKNOWN = "\x00"  # stands for a part of a string the linter cannot know
_URL = re.compile(r"(?:https?|ftp)://[^\s'\"<>|;)`]+", re.I)
_DATA_FILE = re.compile(
    r"\.(csv|tsv|txt|data|dat|json|jsonl|ndjson|xml|xlsx?|parquet|feather|arrow|orc|h5|hdf5?|"
    r"nc|npz|npy|pkl|pickle|zip|gz|tgz|bz2|xz|zst|7z|tar|mat|sav|dta|sas7bdat|pt|pth|ckpt|"
    r"bin|safetensors|onnx|pb|tflite|joblib|avro)$",
    re.I,
)
_COMMIT = re.compile(r"^(?=[0-9a-f]*\d)[0-9a-f]{7,64}$", re.I)
_TAG = re.compile(r"^(?:v|version-|release-)?\d+(?:\.\d+)*(?:[-+][\w.]+)?$", re.I)
_ARCHIVE_EXT = re.compile(r"\.(zip|tar\.gz|tgz|tar\.bz2|tar)$", re.I)
_VERSION_MARKS = re.compile(
    r"""
    (?<![a-z0-9])v\d+(?:\.\d+)*(?![a-z])                       # v1, v2.3
    | (?<![\w.])\d+\.\d+(?:\.\d+)*(?!\w)                       # 1.2.3, /3.1/
    | (?<!\d)(?:19|20)\d\d[-_/]?(?:0[1-9]|1[0-2])[-_/]?(?:0[1-9]|[12]\d|3[01])(?!\d)  # dates
    | (?<![0-9a-f])[0-9a-f]{40}(?:[0-9a-f]{24})?(?![0-9a-f])    # a commit or a sha256
    | -[0-9a-f]{8,}\.                                           # resnet18-f37072fd.pth
    | [?&\#;](?:version|v|rev|revision|commit|sha|sha1|sha256|md5|hash|checksum|ref|
                snapshot|versionid|generation|tag)=
    """,
    re.I | re.X,
)
_IMMUTABLE_HOSTS = re.compile(r"(^|\.)(zenodo\.org|doi\.org|figshare\.com|osf\.io)$", re.I)
_WAYBACK = re.compile(r"^/web/\d{8,14}", re.I)
_FORGES = frozenset({"gitlab.com", "bitbucket.org", "huggingface.co", "codeberg.org"})
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]"})
_SHELL_FETCH = re.compile(r"(?:^|[\s;&|(])(wget|curl)(?=\s)")
_CURL_SAVES = re.compile(r"(?:^|\s)(-[a-zA-Z]*[oO]|--output|--remote-name)")
_SHELL_CELL_MAGICS = frozenset({"bash", "sh", "script", "system"})


def _literal(node: ast.expr | None) -> object:
    """The value of a literal (str, number, bool, None), else ``...``."""
    if isinstance(node, ast.Constant):
        return node.value
    return ...


def _is_none(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _argument(call: CallFact, keywords: tuple[str, ...], positions: tuple[int, ...] = ()) -> ast.expr | None:
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


def _has_star_args(call: CallFact) -> bool:
    return any(isinstance(a, ast.Starred) for a in call.node.args)


def _seeded(call: CallFact, keywords: tuple[str, ...]) -> bool:
    """Is a seed (anything but a literal None) passed first or under one of ``keywords``?"""
    if call.has_star_kwargs or _has_star_args(call):
        return True
    value = _argument(call, keywords, (0,))
    return value is not None and not _is_none(value)


def _written(call: CallFact) -> str:
    """The callee as written in the cell, shortened."""
    if call.local_name:
        return call.local_name
    try:
        text = ast.unparse(call.node.func)
    except Exception:  # pragma: no cover - unparse of odd trees
        return "call"
    return text if len(text) <= 40 else "..." + text[-37:]


def _short_url(url: str) -> str:
    url = url.replace(_UNKNOWN, "{...}")
    return url if len(url) <= 90 else url[:60] + "..." + url[-27:]


def _root_name(node: ast.expr) -> str | None:
    """The dotted name a call chain starts from: ``tf.data.Dataset.range(3).map(f)`` ->
    ``tf.data.Dataset.range``."""
    for _ in range(50):
        name = dotted_name(node)
        if name is not None:
            return name
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        else:
            return None
    return None


# -- notebook order, through function calls ---------------------------------------------

Position = tuple[int, ...]


@dataclass(frozen=True)
class _Span:
    """A top-level ``def`` or ``class`` (lines as in the cell's parsed tree)."""

    cell: int
    first: int
    last: int
    name: str
    bases: tuple[str, ...] = ()  # for classes: the names of the base classes


class _Order:
    """Where each call takes effect in a top-down run (see the module docstring)."""

    def __init__(self, cells: list[Cell], calls: list[CallFact]) -> None:
        self.cells = cells
        self.calls = calls
        self._spans: dict[int, list[_Span]] = {}
        self._entries: dict[_Span, Position | None] = {}
        self._calls_by_name: dict[str, list[CallFact]] | None = None
        self._subclasses: dict[str, list[_Span]] | None = None

    def spans(self, cell: Cell) -> list[_Span]:
        found = self._spans.get(cell.index)
        if found is None:
            found = []
            tree = cell.parsed.tree
            for stmt in tree.body if tree is not None else ():
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    bases = ()
                    if isinstance(stmt, ast.ClassDef):
                        bases = tuple((dotted_name(b) or "").rpartition(".")[2] for b in stmt.bases)
                    found.append(_Span(cell.index, stmt.lineno, stmt.end_lineno or stmt.lineno, stmt.name, bases))
            self._spans[cell.index] = found
        return found

    def enclosing(self, call: CallFact) -> _Span | None:
        line = call.node.lineno
        for span in self.spans(call.cell):
            if span.first <= line <= span.last:
                return span
        return None

    def runs(self, call: CallFact) -> bool:
        """False for a call inside a top-level function or class that is never called."""
        span = self.enclosing(call)
        return span is None or self._entry(span, 0) is not None

    def position(self, call: CallFact, _depth: int = 0) -> Position:
        own = (call.cell.index, call.node.lineno, call.node.col_offset)
        span = self.enclosing(call)
        if span is None or _depth > 20:
            return own
        entry = self._entry(span, _depth)
        return own if entry is None else (*entry, call.node.lineno, call.node.col_offset)

    def _entry(self, span: _Span, depth: int) -> Position | None:
        """Where the function is first called (the class or a subclass first built), if ever."""
        if span in self._entries:
            return self._entries[span]
        if depth > 20:
            return None  # a chain this deep is not worth following
        self._entries[span] = None  # recursion guard
        end = (span.cell, span.last)
        found: list[Position] = [
            self.position(call, depth + 1)
            for call in self._by_name().get(span.name, ())
            if (call.cell.index, call.node.lineno) > end  # not before the definition, nor in it
        ]
        for sub in self._subclasses_of(span.name):
            if (sub.cell, sub.first) > end:
                entry = self._entry(sub, depth + 1)
                if entry is not None:
                    found.append(entry)
        best = min(found, default=None)
        self._entries[span] = best
        return best

    def _by_name(self) -> dict[str, list[CallFact]]:
        if self._calls_by_name is None:
            table: dict[str, list[CallFact]] = defaultdict(list)
            for c in self.calls:
                if c.local_name and "." not in c.local_name and "skip" not in c.cell.nb2prod_tags:
                    table[c.local_name].append(c)
            self._calls_by_name = table
        return self._calls_by_name

    def _subclasses_of(self, name: str) -> list[_Span]:
        if self._subclasses is None:
            table: dict[str, list[_Span]] = defaultdict(list)
            for cell in self.cells:
                if "skip" not in cell.nb2prod_tags:
                    for span in self.spans(cell):
                        for base in span.bases:
                            table[base].append(span)
            self._subclasses = table
        return self._subclasses.get(name, [])


# -- the scan --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Use:
    call: CallFact
    label: str  # the callee as written (shown as code), maybe with the telling argument
    note: str = ""  # plain words after it


@dataclass(frozen=True)
class _Remote:
    cell: Cell
    message: str
    call: CallFact | None = None  # None for shell commands
    line: int = 1
    column: int = 1


@dataclass
class _Scan:
    order: _Order
    uses: dict[str, list[_Use]] = field(default_factory=lambda: defaultdict(list))
    seeds: dict[str, list[CallFact]] = field(default_factory=lambda: defaultdict(list))
    generators: list[_Use] = field(default_factory=list)
    random_state: list[_Use] = field(default_factory=list)
    remote: list[_Remote] = field(default_factory=list)

    def first_seed(self, library: str) -> tuple[Position, CallFact] | None:
        """The earliest seed of a library that runs (a `def set_seed()` never called does not)."""
        order = self.order
        found = [(order.position(c), c) for c in self.seeds.get(library, ()) if order.runs(c)]
        return min(found, key=lambda pc: pc[0]) if found else None


def _scan_notebook(nb: Analysis) -> _Scan:
    return _Scanner(nb).run()


def _scan(nb: Analysis) -> _Scan:
    """The reproducibility facts of a notebook, computed on first use and shared."""
    return nb.fact(_scan_notebook)


class _Scanner:
    def __init__(self, nb: Analysis) -> None:
        self.nb = nb
        self.scan = _Scan(order=_Order(nb.parsed_cells, nb.calls))
        self._tf_datasets: set[str] | None = None
        self._strings: dict[str, list[tuple[tuple[int, int], ast.expr]]] | None = None

    def run(self) -> _Scan:
        for call in self.nb.calls:
            if "skip" in call.cell.nb2prod_tags:
                continue
            q = call.qualname
            if q is None or call.local_name in self.nb.functions:
                self._unresolved(call)
            else:
                self._resolved(call, q)
        for cell in self.nb.code_cells:
            if "skip" not in cell.nb2prod_tags:
                self._shell(cell)
        return self.scan

    # -- calls through an import -------------------------------------------------------
    def _resolved(self, call: CallFact, q: str) -> None:
        top = q.partition(".")[0]
        scan = self.scan
        if q in _SEEDS:
            self._seed(call, q, _SEEDS[q])
        elif top in _SEED_EVERYTHING_MODULES and q.endswith(".seed_everything"):
            self._seed(call, q, frozenset({PYTHON, NUMPY, TORCH}))
        elif q in _PY_RANDOM:
            scan.uses[PYTHON].append(_Use(call, _written(call)))
        elif q in _NUMPY_LEGACY:
            scan.uses[NUMPY].append(_Use(call, _written(call)))
        elif q in _GENERATORS:
            if not _seeded(call, _GENERATORS[q]):
                scan.generators.append(_Use(call, _written(call)))
        elif q in _ALWAYS_UNSEEDED:
            scan.generators.append(_Use(call, _written(call)))
        elif top == "torch" or top == "torchvision":
            self._torch(call, q)
        elif top in _KERAS_TOPS:
            self._tensorflow(call, q)
        elif top == "sklearn":
            self._sklearn(call, q)
        elif top == "scipy" and q.startswith("scipy.stats.") and q.endswith(".rvs"):
            if "random_state" not in call.keywords and not call.has_star_kwargs:
                scan.uses[NUMPY].append(_Use(call, _written(call)))
        elif q.rpartition(".")[2] in _SEED_HELPERS:
            self._seed(call, q, _ALL_LIBRARIES)
        if q in _READERS:
            self._read(call, q, _READERS[q])
        elif q == "datasets.load_dataset":
            self._hf_dataset(call)
        elif q == "sklearn.datasets.fetch_openml":
            self._openml(call)
        elif q == "seaborn.load_dataset":
            self.scan.remote.append(_Remote(
                call.cell,
                f"`{_written(call)}` downloads from the `master` branch of github.com/mwaskom/"
                "seaborn-data, which can change: keep a copy with the project, or read a "
                "commit-pinned URL",
                call,
            ))
        elif top == "statsmodels" and q.endswith("datasets.get_rdataset"):
            self.scan.remote.append(_Remote(
                call.cell,
                f"`{_written(call)}` downloads from the `master` branch of the Rdatasets "
                "repository, which can change: keep a copy with the project",
                call,
            ))

    def _seed(self, call: CallFact, q: str, libraries: frozenset[str]) -> None:
        if q in _SEED_REQUIRES_VALUE:
            if not _seeded(call, ("seed", "a", "x")):
                return
        elif call.node.args and _is_none(call.node.args[0]):
            return
        for lib in libraries:
            self.scan.seeds[lib].append(call)

    def _torch(self, call: CallFact, q: str) -> None:
        uses = self.scan.uses[TORCH]
        kw = call.keywords
        if "generator" in kw and not _is_none(kw["generator"]):
            return
        name = q.rpartition(".")[2]
        if q in _TORCH_FUNCS:
            uses.append(_Use(call, _written(call)))
        elif q.startswith("torch.nn.init.") and name in _TORCH_INIT:
            uses.append(_Use(call, _written(call)))
        elif q in _TORCH_LAYER_NAMES or (
            q.startswith("torch.nn.modules.") and name in _TORCH_LAYERS
        ):
            uses.append(_Use(call, _written(call)))
        elif q in ("torch.nn.functional.dropout", "torch.nn.functional.dropout2d"):
            if _literal(kw.get("training")) is not False:
                uses.append(_Use(call, _written(call)))
        elif q == "torch.utils.data.DataLoader":
            if _literal(kw.get("shuffle")) is True and not call.has_star_kwargs:
                uses.append(_Use(call, f"{_written(call)}(shuffle=True)"))
        elif q == "torch.utils.data.random_split":
            if len(call.node.args) < 3 and not call.has_star_kwargs:
                uses.append(_Use(call, _written(call)))
        elif q in _TORCH_SAMPLERS:
            if not call.has_star_kwargs:
                uses.append(_Use(call, _written(call)))
        elif q.startswith(("torchvision.transforms.Random", "torchvision.transforms.v2.Random")):
            uses.append(_Use(call, _written(call)))

    def _tensorflow(self, call: CallFact, q: str) -> None:
        kw = call.keywords
        if call.has_star_kwargs or ("seed" in kw and not _is_none(kw["seed"])):
            return
        name = q.rpartition(".")[2]
        uses = self.scan.uses[TENSORFLOW]
        if q in _TF_RANDOM or q.replace(".compat.v1.", ".", 1) in _TF_RANDOM:
            uses.append(_Use(call, _written(call)))
        elif ".layers." in q and (name in _KERAS_LAYERS or name.startswith("Random")):
            uses.append(_Use(call, _written(call)))
        elif ".initializers." in q and name in _KERAS_INITIALIZERS:
            uses.append(_Use(call, _written(call)))
        elif name in _TF_DIRECTORY_DATASETS and _literal(kw.get("shuffle")) is not False:
            uses.append(_Use(call, _written(call)))

    def _sklearn(self, call: CallFact, q: str) -> None:
        if call.has_star_kwargs or _has_star_args(call):
            return
        accepts, position = _sklearn_position(q)
        if not accepts:
            return
        kw = call.keywords
        if "random_state" in kw:
            if _is_none(kw["random_state"]):
                self.scan.random_state.append(_Use(call, _written(call), " with `random_state=None`"))
            return
        if position is not None and len(call.node.args) > position:
            return
        label = _written(call)
        condition = _RANDOM_STATE_MATTERS_WHEN.get(q.rpartition(".")[2])
        if condition is not None:
            param, when, default = condition
            given = param in kw
            value = _literal(kw[param]) if given else default
            if value is ... or not when(value):
                return  # random_state has no effect here (or we cannot tell)
            if given:
                label = f"{label}({param}={value!r})"
        self.scan.random_state.append(_Use(call, label, " without `random_state`"))

    # -- calls not through an import ---------------------------------------------------
    def _unresolved(self, call: CallFact) -> None:
        local = call.local_name
        func = call.node.func
        attr = func.attr if isinstance(func, ast.Attribute) else None
        if attr == "shuffle":
            self._dataset_shuffle(call)
        elif attr == "sample":
            self._frame_sample(call)
        elif (
            local is not None
            and local.rpartition(".")[2] in _SEED_HELPERS
            and local not in self.nb.functions
            and not (call.node.args and _is_none(call.node.args[0]))
        ):
            for lib in _ALL_LIBRARIES:
                self.scan.seeds[lib].append(call)

    def _dataset_shuffle(self, call: CallFact) -> None:
        """``ds.shuffle(1000)`` on a tf.data dataset, without an operation seed."""
        if "seed" in call.keywords or len(call.node.args) >= 2 or call.has_star_kwargs:
            return
        root = _root_name(call.node.func.value)  # type: ignore[attr-defined]
        if root is None:
            return
        if not (self._is_tf_data(root) or root.partition(".")[0] in self._tf_dataset_names()):
            return
        self.scan.uses[TENSORFLOW].append(_Use(call, f"{_written(call)}()", " on a tf.data dataset"))

    def _is_tf_data(self, dotted: str) -> bool:
        q = self.nb.qualify(dotted) or ""
        return q.startswith(("tensorflow.data.", "tensorflow_datasets.")) or (
            q.partition(".")[0] in _KERAS_TOPS and q.rpartition(".")[2] in _TF_DIRECTORY_DATASETS
        )

    def _tf_dataset_names(self) -> set[str]:
        """Names assigned (at top level) a tf.data dataset, or something derived from one."""
        if self._tf_datasets is None:
            names: set[str] = set()
            for cell in self.nb.parsed_cells:
                for stmt in cell.parsed.tree.body:  # type: ignore[union-attr]
                    if not isinstance(stmt, ast.Assign):
                        continue
                    root = _root_name(stmt.value)
                    if root is None or not (self._is_tf_data(root) or root.partition(".")[0] in names):
                        continue
                    for target in stmt.targets:
                        for n in ast.walk(target):
                            if isinstance(n, ast.Name):
                                names.add(n.id)
            self._tf_datasets = names
        return self._tf_datasets

    def _frame_sample(self, call: CallFact) -> None:
        """``df.sample(frac=0.1)``: pandas draws from numpy's global state without random_state."""
        kw = call.keywords
        if not ("frac" in kw or "n" in kw) or call.has_star_kwargs or len(call.node.args) >= 5:
            return
        if "seed" in kw or ("random_state" in kw and not _is_none(kw["random_state"])):
            return  # polars and others name it `seed`
        self.scan.random_state.append(_Use(call, _written(call), " without `random_state`"))

    # -- remote data ---------------------------------------------------------------------
    def _read(self, call: CallFact, q: str, reader: _Reader) -> None:
        if call.has_star_kwargs:
            return
        for h in reader.hashes:
            value = call.keywords.get(h)
            if value is not None and not _is_none(value) and _literal(value) is not False:
                return
        pos = _HASH_POSITIONS.get(q)
        if pos is not None and len(call.node.args) > pos and not _is_none(call.node.args[pos]):
            return
        url = None
        for arg in (_argument(call, (k,)) for k in reader.keywords):
            url = self._url_of(arg, call)
            if url:
                break
        if not url:
            for i in reader.positions:
                url = self._url_of(_argument(call, (), (i,)), call)
                if url:
                    break
        if not url:
            return
        if not reader.any_url and not _looks_like_data(url):
            return
        reason = _unpinned(url)
        if reason:
            self.scan.remote.append(_Remote(
                call.cell, f"`{_written(call)}` reads `{_short_url(url)}` {reason}", call
            ))

    def _url_of(self, node: ast.expr | None, call: CallFact) -> str | None:
        if node is None:
            return None
        text = self._string(node, (call.cell.index, call.node.lineno), 0)
        if text is None or not text.lower().startswith(("http://", "https://", "ftp://")):
            return None
        return text

    def _string(self, node: ast.expr, before: tuple[int, int], depth: int) -> str | None:
        """A string expression's value, with unknown parts as ``_UNKNOWN``; None if not a string."""
        if depth > 8:
            return None
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.JoinedStr):
            parts = []
            for v in node.values:
                if isinstance(v, ast.Constant) and isinstance(v.value, str):
                    parts.append(v.value)
                else:
                    inner = v.value if isinstance(v, ast.FormattedValue) else None
                    known = self._string(inner, before, depth + 1) if inner is not None else None
                    parts.append(known if known is not None and _UNKNOWN not in known else _UNKNOWN)
            return "".join(parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self._string(node.left, before, depth + 1)
            if left is None:
                return None
            right = self._string(node.right, before, depth + 1)
            return left + (right if right is not None else _UNKNOWN)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            left = self._string(node.left, before, depth + 1)
            return None if left is None else re.sub(r"%[-#0 +]*\d*(?:\.\d+)?[sdrif]", _UNKNOWN, left)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            template = self._string(node.func.value, before, depth + 1)
            return None if template is None else re.sub(r"\{[^{}]*\}", _UNKNOWN, template)
        if isinstance(node, ast.Name):
            value = self._assigned(node.id, before)
            return None if value is None else self._string(value, before, depth + 1)
        return None

    def _assigned(self, name: str, before: tuple[int, int]) -> ast.expr | None:
        """The last top-level ``name = <expr>`` above ``before`` (cell, line)."""
        if self._strings is None:
            table: dict[str, list[tuple[tuple[int, int], ast.expr]]] = defaultdict(list)
            for cell in self.nb.parsed_cells:
                if "skip" in cell.nb2prod_tags:
                    continue
                for stmt in cell.parsed.tree.body:  # type: ignore[union-attr]
                    if (
                        isinstance(stmt, ast.Assign)
                        and len(stmt.targets) == 1
                        and isinstance(stmt.targets[0], ast.Name)
                        and isinstance(stmt.value, (ast.Constant, ast.JoinedStr, ast.BinOp, ast.Call, ast.Name))
                    ):
                        table[stmt.targets[0].id].append(((cell.index, stmt.lineno), stmt.value))
            self._strings = table
        found = None
        for where, value in self._strings.get(name, ()):
            if where <= before:
                found = value
        return found

    def _hf_dataset(self, call: CallFact) -> None:
        kw = call.keywords
        if call.has_star_kwargs or ("revision" in kw and not _is_none(kw["revision"])):
            return
        path_node = _argument(call, ("path",), (0,))
        path = self._string(path_node, (call.cell.index, call.node.lineno), 0) if path_node else None
        if not path or _UNKNOWN in path:
            return
        if path in _HF_PACKAGED_BUILDERS:
            files = kw.get("data_files")
            for node in ast.walk(files) if files is not None else ():
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    reason = _unpinned(node.value) if node.value.startswith(("http://", "https://")) else None
                    if reason:
                        self.scan.remote.append(_Remote(
                            call.cell, f"`{_written(call)}` reads `{_short_url(node.value)}` {reason}", call
                        ))
                        return
            return
        if path.startswith((".", "/", "~")) or "\\" in path or _DATA_FILE.search(path):
            return  # a local directory or file
        self.scan.remote.append(_Remote(
            call.cell,
            f"`{_written(call)}({path!r})` without `revision=` loads whatever the dataset "
            "repository holds today: pass `revision=` with a commit SHA or tag",
            call,
        ))

    def _openml(self, call: CallFact) -> None:
        kw = call.keywords
        if call.has_star_kwargs or ("data_id" in kw and not _is_none(kw["data_id"])):
            return
        version = _argument(call, ("version",), (1,))
        if version is not None and _literal(version) != "active":
            return
        name = _literal(_argument(call, ("name",), (0,)))
        shown = f"{_written(call)}({name!r})" if isinstance(name, str) else _written(call)
        self.scan.remote.append(_Remote(
            call.cell,
            f"`{shown}` without `version=` loads the version active on OpenML today: "
            "pass `version=` (or `data_id=`)",
            call,
        ))

    def _shell(self, cell: Cell) -> None:
        """``!wget URL``, ``!curl -O URL`` and the same in ``%%bash`` cells."""
        parsed = cell.parsed
        commands: list[tuple[int, int, str]] = [
            (m.line, m.column, m.args) for m in parsed.magics if m.kind in ("shell", "shell_capture")
        ]
        cm = parsed.cell_magic
        if cm is not None and cm.name in _SHELL_CELL_MAGICS:
            for i, text in enumerate(cell.lines[cm.line :], start=cm.line + 1):
                commands.append((i, 1, text))
        for line, column, text in commands:
            m = _SHELL_FETCH.search(text)
            if m is None:
                continue
            tool = m.group(1)
            for url in _URL.findall(text, m.end()):
                if tool == "curl" and not (_looks_like_data(url) or _CURL_SAVES.search(text)):
                    continue
                url = re.sub(r"\{[^{}]*\}|\$\{?\w+\}?", _UNKNOWN, url)
                reason = _unpinned(url)
                if reason:
                    self.scan.remote.append(_Remote(
                        cell, f"`{tool}` downloads `{_short_url(url)}` {reason}", None, line, column
                    ))
                    break


# -- is a URL pinned? ------------------------------------------------------------------


def _looks_like_data(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    return bool(_DATA_FILE.search(parts.path)) or host in (
        "raw.githubusercontent.com", "gist.githubusercontent.com"
    )


def _unpinned(url: str) -> str | None:
    """Why the content behind ``url`` can change (a phrase), or None when it looks pinned
    or the linter cannot tell."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if not host or host in _LOCAL_HOSTS or _UNKNOWN in host:
        return None
    segments = [s for s in parts.path.split("/") if s]
    ref = _repository_ref(host, segments)
    if ref is not None:
        kind, name = ref
        if kind == "pinned":
            return None
        if kind == "branch":
            return (
                f"from branch `{name}`, which moves: use a commit SHA or a tag in the URL, "
                "or check a checksum"
            )
        return f"from {name}, which changes: use a URL with a fixed version"
    if _IMMUTABLE_HOSTS.search(host) or (host == "web.archive.org" and _WAYBACK.match(parts.path)):
        return None
    if _UNKNOWN in url:
        return None  # part of the URL is computed: it may well hold the version
    if _VERSION_MARKS.search(parts.path) or _VERSION_MARKS.search("?" + parts.query + "#" + parts.fragment):
        return None
    return (
        "with no version, commit or checksum in it, so the data can change between runs: "
        "keep a copy with the project, or verify a checksum"
    )


def _ref(name: str) -> tuple[str, str] | None:
    """Classify a git ref as written in a URL."""
    if _UNKNOWN in name or not name:
        return None
    if _COMMIT.match(name) or _TAG.match(name):
        return ("pinned", name)
    return ("branch", name)


def _refs_path(rest: list[str]) -> tuple[str, str] | None:
    """``refs/heads/main/...``, ``refs/tags/v1/...``, or ``<ref>/...``."""
    if not rest:
        return None
    if rest[0] == "refs" and len(rest) >= 3:
        return ("pinned", rest[2]) if rest[1] == "tags" else _ref(rest[2])
    if rest[0] in ("branch", "tag", "commit") and len(rest) >= 2:  # Codeberg / Gitea
        return _ref(rest[1]) if rest[0] == "branch" else ("pinned", rest[1])
    return _ref(rest[0])


def _repository_ref(host: str, segs: list[str]) -> tuple[str, str] | None:
    """For URLs into a code or dataset repository: ("pinned"|"branch"|"latest", name)."""
    if host == "raw.githubusercontent.com":
        return _refs_path(segs[2:]) if len(segs) >= 4 else None
    if host == "gist.githubusercontent.com":
        if len(segs) >= 3 and segs[2] == "raw":
            if len(segs) >= 5 and _COMMIT.match(segs[3]):
                return ("pinned", segs[3])
            return ("latest", "the gist's latest revision")
        return None
    if host in ("github.com", "www.github.com") and len(segs) >= 4:
        kind, rest = segs[2], segs[3:]
        if kind in ("blob", "raw") and len(rest) >= 2:
            return _refs_path(rest)
        if kind == "releases":
            if rest[:2] == ["latest", "download"]:
                return ("latest", "the latest release")
            if rest[0] == "download" and len(rest) >= 2:
                return None if _UNKNOWN in rest[1] else ("pinned", rest[1])
            return None
        if kind == "archive":
            last = _ARCHIVE_EXT.sub("", rest[-1])
            return _refs_path([*rest[:-1], last])
        return None
    if host == "cdn.jsdelivr.net" and len(segs) >= 3 and segs[0] == "gh":
        _, at, ref = segs[2].partition("@")
        return _ref(ref) if at else ("latest", "the repository's default branch")
    # GitLab (/-/raw/<ref>/), Bitbucket (/raw/<ref>/), Hugging Face (/resolve/<ref>/), Gitea.
    if not (host in _FORGES or host.startswith(("gitlab.", "gitea.", "git."))):
        return None
    for i, s in enumerate(segs[:-2]):
        if i >= 1 and s in ("raw", "resolve", "blob") and not _DATA_FILE.search(segs[i + 1]):
            return _refs_path(segs[i + 1 :])
    return None


# -- the rules ---------------------------------------------------------------------------


_LIBRARY_TEXT = {
    PYTHON: ("draws from Python's global `random` state", "call `random.seed(0)` in the first code cell"),
    NUMPY: (
        "draws from numpy's global random state",
        "call `np.random.seed(0)` in the first code cell, or draw from `np.random.default_rng(0)`",
    ),
    TORCH: ("uses torch's global random generator", "call `torch.manual_seed(0)` in the first code cell"),
    TENSORFLOW: (
        "uses TensorFlow's random state",
        "call `tf.keras.utils.set_random_seed(0)` in the first code cell",
    ),
}


class _UnseededGlobalRandom(Rule):
    """Shared check: the first use of a library's global random state before any seed."""

    library = ""

    def check(self, nb: Analysis) -> Iterator[Finding]:
        scan = _scan(nb)
        uses = scan.uses.get(self.library)
        if not uses:
            return
        order = scan.order
        seed = scan.first_seed(self.library)
        placed = sorted(((order.position(u.call), u) for u in uses), key=lambda pu: pu[0])
        early = [u for pos, u in placed if seed is None or pos < seed[0]]
        if not early:
            return
        first = early[0]
        what, fix = _LIBRARY_TEXT[self.library]
        more = f" (+{len(early) - 1} more before any seed)" if len(early) > 1 else ""
        if seed is None:
            message = f"`{first.label}`{first.note} {what}, and no seed is ever set{more}: {fix}"
        else:
            where = seed[1].cell.index
            message = (
                f"`{first.label}`{first.note} {what} before the seed in cell {where} (`{_written(seed[1])}`)"
                f"{more}: set the seed in the first code cell"
            )
        yield self.at(first.call.cell, message, node=first.call.node, offset=first.call.offset)


@register
class UnseededPythonRandom(_UnseededGlobalRandom):
    """## What it does
    Finds uses of Python's `random` module (`random.random`, `randint`, `choice`,
    `shuffle`, `sample`, `uniform`, `gauss`...) with no `random.seed(...)` before them.
    Only the first such use is reported, with a count of the others.

    ## Why is this bad?
    Without a seed every run draws different numbers: shuffles, samples and splits
    change, and so do the model and the metrics computed from them. Nobody, including
    you next week, can reproduce the saved results.

    ## Example
    ```python
    import random
    random.shuffle(rows)
    ```

    ## Use instead
    ```python
    import random
    random.seed(42)
    random.shuffle(rows)
    ```

    ## Fix
    Call `random.seed(<int>)` in the first code cell, or use a seeded
    `rng = random.Random(42)` and draw from it. Helpers such as Lightning's
    `seed_everything`, `transformers.set_seed` or `keras.utils.set_random_seed` count
    as seeds too.
    """

    code = "NB101"
    name = "unseeded-python-random"
    severity = Severity.ERROR
    summary = "Python's `random` is used before any `random.seed(...)`"
    library = PYTHON


@register
class UnseededNumpyRandom(_UnseededGlobalRandom):
    """## What it does
    Finds calls of numpy's legacy global random functions (`np.random.rand`, `randn`,
    `randint`, `choice`, `shuffle`, `normal`...) and of `scipy.stats` `.rvs` without
    `random_state`, with no `np.random.seed(...)` before them. Only the first such use is
    reported, with a count of the others.

    ## Why is this bad?
    These functions share one hidden global state, seeded from the operating system
    unless you seed it. Every run produces different data, initial weights or splits,
    so the notebook's numbers cannot be reproduced.

    ## Example
    ```python
    import numpy as np
    X = np.random.randn(100, 3)
    ```

    ## Use instead
    ```python
    import numpy as np
    rng = np.random.default_rng(42)
    X = rng.standard_normal((100, 3))
    ```

    ## Fix
    Prefer a seeded `np.random.default_rng(<int>)` passed to the code that needs it; or,
    at least, call `np.random.seed(<int>)` in the first code cell.
    """

    code = "NB102"
    name = "unseeded-numpy-random"
    severity = Severity.ERROR
    summary = "numpy's global random functions are used before any `np.random.seed(...)`"
    library = NUMPY


@register
class UnseededRandomGenerator(Rule):
    """## What it does
    Finds random generator objects created without a seed: `np.random.default_rng()`,
    `np.random.RandomState()`, bit generators such as `PCG64()`, `SeedSequence()`,
    `random.Random()` and `tf.random.Generator.from_non_deterministic_state()`. Passing
    `None` counts as no seed.

    ## Why is this bad?
    An unseeded generator takes fresh entropy from the operating system, so everything
    drawn from it differs on every run. A global `np.random.seed(...)` does not help: these
    generators do not use the global state.

    ## Example
    ```python
    rng = np.random.default_rng()
    noise = rng.normal(size=100)
    ```

    ## Use instead
    ```python
    rng = np.random.default_rng(42)
    noise = rng.normal(size=100)
    ```

    ## Fix
    Pass a seed: `np.random.default_rng(42)`, `random.Random(42)`,
    `tf.random.Generator.from_seed(42)`.
    """

    code = "NB103"
    name = "unseeded-random-generator"
    severity = Severity.ERROR
    summary = "A random generator is created without a seed"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        for use in _scan(nb).generators:
            call = use.call
            args = "None" if call.node.args and _is_none(call.node.args[0]) else ""
            yield self.at(
                call.cell,
                f"`{use.label}({args})` is seeded from the operating system, so every run draws "
                f"different numbers: pass a seed, e.g. `{use.label}(42)`",
                node=call.node,
                offset=call.offset,
            )


@register
class UnseededTorch(_UnseededGlobalRandom):
    """## What it does
    Finds uses of torch's global random generator with no `torch.manual_seed(...)` (or
    Lightning's `seed_everything`, `transformers.set_seed`...) before them: `torch.rand`,
    `randn`, `randint`, `randperm`, `normal`, `bernoulli`, `multinomial`, the `*_like`
    variants, `torch.nn.init.*`, layers with randomly initialised weights (`nn.Linear`,
    `nn.Conv2d`, `nn.LSTM`...) or dropout, random torchvision transforms,
    `DataLoader(shuffle=True)` and `random_split` without `generator=`. Only the first such
    use is reported, with a count of the others.

    ## Why is this bad?
    Initial weights, shuffling and augmentation all change from run to run, so the
    trained model and its metrics cannot be reproduced, and two runs cannot be compared.

    ## Example
    ```python
    model = torch.nn.Linear(4, 3)
    loader = DataLoader(train, batch_size=32, shuffle=True)
    ```

    ## Use instead
    ```python
    torch.manual_seed(42)
    model = torch.nn.Linear(4, 3)
    loader = DataLoader(train, batch_size=32, shuffle=True)
    ```

    ## Fix
    Call `torch.manual_seed(<int>)` (or `lightning.seed_everything(<int>)`) in the first
    code cell, or pass a seeded `generator=torch.Generator().manual_seed(<int>)`.
    """

    code = "NB104"
    name = "unseeded-torch"
    severity = Severity.ERROR
    summary = "torch randomness is used before any `torch.manual_seed(...)`"
    library = TORCH


@register
class UnseededTensorflow(_UnseededGlobalRandom):
    """## What it does
    Finds uses of TensorFlow / Keras randomness with no global seed set before them:
    `tf.random.normal`, `uniform`, `shuffle`..., `tf.image.random_*`, Keras layers with
    randomly initialised weights or dropout (`Dense`, `Conv2D`, `LSTM`, `Dropout`...),
    initializers without `seed=`, `image_dataset_from_directory` without `seed=`, and
    `.shuffle()` of a `tf.data` dataset without `seed=`. Only the first such use is
    reported, with a count of the others.

    ## Why is this bad?
    With no global seed, TensorFlow draws fresh random numbers on every run: initial
    weights, dropout masks and shuffling differ, and so do the trained model and its
    metrics.

    ## Example
    ```python
    model = tf.keras.Sequential([tf.keras.layers.Dense(10)])
    ```

    ## Use instead
    ```python
    tf.keras.utils.set_random_seed(42)
    model = tf.keras.Sequential([tf.keras.layers.Dense(10)])
    ```

    ## Fix
    Call `tf.keras.utils.set_random_seed(<int>)` (it also seeds Python and numpy) or
    `tf.random.set_seed(<int>)` in the first code cell.
    """

    code = "NB105"
    name = "unseeded-tensorflow"
    severity = Severity.ERROR
    summary = "TensorFlow randomness is used before any global seed"
    library = TENSORFLOW


@register
class MissingRandomState(Rule):
    """## What it does
    Finds scikit-learn estimators, splitters and functions that accept `random_state`
    but are called without it (or with `random_state=None`), and pandas
    `.sample(frac=...)` / `.sample(n=...)` without `random_state`. Calls where
    `random_state` has no effect are not reported: `KFold` without `shuffle=True`,
    `train_test_split(shuffle=False)`, `LogisticRegression` with a solver other than
    `sag`, `saga` or `liblinear`, `SVC` without `probability=True`, and a few more. Calls
    after a global `np.random.seed(...)` are not reported either.

    ## Why is this bad?
    With `random_state=None` these draw from numpy's global state: the split, the
    trees, the clusters and every score computed from them change on each run.

    ## Example
    ```python
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
    model = RandomForestClassifier(n_estimators=100).fit(X_train, y_train)
    ```

    ## Use instead
    ```python
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    model = RandomForestClassifier(n_estimators=100, random_state=42).fit(X_train, y_train)
    ```

    ## Fix
    Pass `random_state=<int>` (an integer, not a shared `RandomState` instance, for
    results that do not depend on call order). The list of scikit-learn callables is
    generated from scikit-learn itself (`tools/gen_sklearn_random_state.py`); the linter
    does not need scikit-learn installed.
    """

    code = "NB106"
    name = "missing-random-state"
    severity = Severity.ERROR
    summary = "A scikit-learn or pandas call that takes `random_state` is made without it"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        scan = _scan(nb)
        if not scan.random_state:
            return
        seed = scan.first_seed(NUMPY)
        for use in scan.random_state:
            call = use.call
            if seed is not None and scan.order.position(call) > seed[0]:
                continue  # random_state=None uses numpy's global state, seeded above
            yield self.at(
                call.cell,
                f"`{use.label}` is called{use.note}, so its results can change from run to run: "
                "pass `random_state=42` (any fixed integer)",
                node=call.node,
                offset=call.offset,
            )


@register
class UnpinnedRemoteData(Rule):
    """## What it does
    Finds data read from an http(s) URL whose content can change: a file on a branch
    (`raw.githubusercontent.com/<owner>/<repo>/main/...`, `github.com/.../blob/master/...`)
    instead of a commit or tag, a URL with no version, commit or checksum in it (for
    `pd.read_csv`, `np.loadtxt`, `urlretrieve`, `requests.get`, `keras.utils.get_file`,
    `!wget`, `!curl`...), `fetch_openml(name=...)` without `version=`, Hugging Face
    `load_dataset(...)` without `revision=`, and `seaborn.load_dataset`.

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
    Put a commit SHA or a release tag in the URL, pass `version=` / `revision=`, verify a
    checksum (`pooch.retrieve(url, known_hash=...)`, `get_file(..., file_hash=...)`), or
    keep a copy of the data with the project.
    """

    code = "NB107"
    name = "unpinned-remote-data"
    severity = Severity.WARNING
    summary = "Data is read from a URL whose content can change"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        for r in _scan(nb).remote:
            if r.call is not None:
                yield self.at(r.cell, r.message, node=r.call.node, offset=r.call.offset)
            else:
                yield self.at(r.cell, r.message, line=r.line, column=r.column)
