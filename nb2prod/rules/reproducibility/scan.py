"""The reproducibility scan: one pass over :attr:`Analysis.calls` per notebook.

It finds the uses of random state, the seeds, the generators and the scikit-learn calls
that accept ``random_state``, in notebook order (see the
package docstring for what "before" means). :func:`scan_of` returns the
:class:`Scan` of a notebook, computed once (an :meth:`Analysis.fact`); every NB1 rule
reads it.
"""

from __future__ import annotations

import ast
import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from nb2prod._ast import walk as walk_nodes
from nb2prod.analysis import Analysis, CallFact, dotted_name
from nb2prod.notebook import Cell

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
# Where an object's randomness is drawn decides whether a seed set before that point fixes
# it, not where the object is constructed (see the package docstring):
#   NOW      the call draws (nn.Linear initialises its weights, random_split permutes);
#   FORWARD  the object draws each time it is applied to data (dropout, noise layers);
#   ITERATE  it draws when iterated (DataLoader(shuffle=True), samplers, random transforms);
#   BUILD    a Keras layer or initializer draws its weights when the layer is built: called
#            on a tensor, given an input shape, or when its model is built, fit or called.
# A deferred (not NOW) draw happens where the name the object is bound to is first used.
NOW, FORWARD, ITERATE, BUILD = "now", "forward", "iterate", "build"
_TORCH_MODULE_DRAWS: dict[str, str] = {
    **{n: NOW for n in (
        "Linear", "Bilinear", "LazyLinear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d",
        "ConvTranspose2d", "ConvTranspose3d", "LazyConv1d", "LazyConv2d", "LazyConv3d",
        "Embedding", "EmbeddingBag", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell",
        "MultiheadAttention", "Transformer", "TransformerEncoderLayer", "TransformerDecoderLayer",
        "TransformerEncoder", "TransformerDecoder", "PReLU")},
    **{n: FORWARD for n in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                            "FeatureAlphaDropout", "RReLU")},
}
_TORCH_LAYERS = frozenset(_TORCH_MODULE_DRAWS)
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
_KERAS_LAYER_DRAWS: dict[str, str] = {
    **{n: BUILD for n in (
        "Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
        "Conv3DTranspose", "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D",
        "LSTM", "GRU", "SimpleRNN", "Bidirectional", "Embedding", "MultiHeadAttention", "LocallyConnected1D",
        "LocallyConnected2D", "ConvLSTM1D", "ConvLSTM2D")},
    **{n: FORWARD for n in ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
                            "AlphaDropout", "GaussianDropout", "GaussianNoise")},
}
_KERAS_LAYERS = frozenset(_KERAS_LAYER_DRAWS)
# Arguments that give a Keras layer its input shape: it is built (draws) where it is created.
_KERAS_SHAPE_KWARGS = frozenset({"input_shape", "input_dim", "batch_input_shape", "batch_shape"})
# Calls on a model that configure it without drawing; the first other use of the name draws.
_CONFIGURE_ONLY = frozenset({"compile", "add", "to", "cuda", "cpu", "eval", "train", "summary",
                             "parameters", "named_parameters", "state_dict", "load_state_dict"})
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
    # transformers' Trainer calls set_seed(args.seed) (42 by default) when it is created.
    "transformers.Trainer": frozenset({PYTHON, NUMPY, TORCH, TENSORFLOW}),
    "transformers.Seq2SeqTrainer": frozenset({PYTHON, NUMPY, TORCH, TENSORFLOW}),
    "transformers.trainer.Trainer": frozenset({PYTHON, NUMPY, TORCH, TENSORFLOW}),
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
#
# Measured, not assumed: tools/sklearn_seed_experiment.py fits every callable of
# data/sklearn_random_state.json with several seeds, for each combination of the parameters
# that can decide whether the seed is used, and writes data/sklearn_seed_effect.json:
# per callable, the parameters (with their defaults) and, per combination of their values,
# "always" (the seed changes the result on typical data), "data" (only on some data: ties,
# large data) or "never" (bit-identical for every seed).

ALWAYS, DATA, NEVER = "always", "data", "never"
_SKLEARN_EFFECT = Path(__file__).resolve().parents[2] / "data" / "sklearn_seed_effect.json"


@dataclass(frozen=True)
class SeedEffect:
    params: dict[str, object]  # the parameters that decide, with their defaults
    cases: tuple[tuple[tuple[object, ...], str], ...]  # (values in params' order, outcome)


@lru_cache(maxsize=1)
def sklearn_effects() -> tuple[dict[str, SeedEffect], dict[str, SeedEffect]]:
    """(dotted name -> measured effect, short name -> the same). Empty if the file is broken."""
    try:
        data = json.loads(_SKLEARN_EFFECT.read_text(encoding="utf-8"))
        table = {
            str(k): SeedEffect(dict(v["params"]), tuple((tuple(vals), str(out)) for vals, out in v["cases"]))
            for k, v in data["effect"].items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}, {}
    by_name: dict[str, SeedEffect] = {}
    for dotted, effect in table.items():
        by_name.setdefault(dotted.rsplit(".", 1)[1], effect)
    return table, by_name


def _key(v: object) -> tuple[str, object]:
    """Literals compared as Python compares them, but True is not 1 (and 1 is 1.0)."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        try:
            return "number", float(v)
        except OverflowError:  # an integer no float holds: no experiment tried it
            return "number", None
    return type(v).__name__, v


def _shown(v: object) -> str:
    """A literal as code, shortened (``repr`` of a 5,000-digit integer raises)."""
    try:
        text = repr(v)
    except ValueError:
        return "..."
    return text if len(text) <= 30 else text[:27] + "..."


def seed_effect(qualname: str, given: dict[str, object]) -> tuple[str, tuple[str, ...]]:
    """(outcome, why the linter cannot tell, if so) for a call of ``qualname``.

    ``given`` maps the call's keyword arguments to their literal values, or ``...`` for an
    expression. An unread parameter, or a literal the experiment did not try, matches every
    case; several outcomes among the matching cases make the answer "data" (it depends).
    A callable the experiment has no entry for counts as "always".
    """
    table, by_name = sklearn_effects()
    effect = table.get(qualname) or by_name.get(qualname.rpartition(".")[2])
    if effect is None:
        return ALWAYS, ()
    names = list(effect.params)
    tried: list[set[object]] = [set() for _ in names]
    for values, _ in effect.cases:
        for i, v in enumerate(values):
            tried[i].add(_key(v))
    wanted: list[object] = []
    unknown: list[str] = []
    for i, p in enumerate(names):
        v = given[p] if p in given else effect.params[p]
        if v is ...:
            unknown.append(f"`{p}` is not a literal")
        elif _key(v) not in tried[i]:
            unknown.append(f"`{p}={_shown(v)}` was not measured")
            v = ...
        wanted.append(v)
    outcomes = {
        out for values, out in effect.cases
        if all(w is ... or _key(w) == _key(v) for w, v in zip(wanted, values, strict=False))
    }
    if not outcomes:
        # Every value was tried, so scikit-learn rejects this combination (lbfgs with an L1
        # penalty): the call fails, there is nothing to reproduce.
        return NEVER, tuple(unknown)
    if len(outcomes) == 1:
        return outcomes.pop(), tuple(unknown)
    return DATA, tuple(unknown)


_SKLEARN_TABLE = Path(__file__).resolve().parents[2] / "data" / "sklearn_random_state.json"


@lru_cache(maxsize=1)
def sklearn_table() -> tuple[dict[str, int | None], dict[str, int | None]]:
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


def sklearn_position(qualname: str) -> tuple[bool, int | None]:
    """(does this scikit-learn callable accept random_state?, its positional index)."""
    table, by_name = sklearn_table()
    if qualname in table:
        return True, table[qualname]
    # Old or private import paths (sklearn.cross_validation, sklearn.ensemble._forest).
    short = qualname.rsplit(".", 1)[1]
    if short in by_name:
        return True, by_name[short]
    return False, None


def _literal(node: ast.expr | None) -> object:
    """The value of a literal (str, number, bool, None), else ``...``."""
    if isinstance(node, ast.Constant):
        return node.value
    return ...


def is_none(node: ast.expr | None) -> bool:
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
    return value is not None and not is_none(value)


# A draw that happens at some later point the scan cannot place: after every seed.
LATE: tuple[int, ...] = (1 << 30,)


def _bound_names(stmt: ast.stmt) -> set[str]:
    """The plain names an assignment binds (``a = ...``, ``a, b = ...``, ``a: T = ...``)."""
    targets: list[ast.expr] = []
    if isinstance(stmt, ast.Assign):
        targets = list(stmt.targets)
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        targets = [stmt.target]
    return {n.id for t in targets for n in walk_nodes(t) if isinstance(n, ast.Name)}


def _configures(ref: ast.Name, parents: dict[int, ast.AST]) -> bool:
    """``model.compile(...)``, ``model.to(device)``: a call that configures without drawing."""
    attr = parents.get(id(ref))
    if not (isinstance(attr, ast.Attribute) and attr.value is ref and attr.attr in _CONFIGURE_ONLY):
        return False
    call = parents.get(id(attr))
    return isinstance(call, ast.Call) and call.func is attr


def _wrapped(ref: ast.Name, parents: dict[int, ast.AST]) -> bool:
    """Is ``ref`` an argument of a constructor (a capitalised callee: ``DataLoader(ds)``,
    ``ImageFolder(root, transform=t)``, ``Sequential([layer])``), so the draw moves to
    whatever that builds?"""
    return _wrapper(ref, parents) is not None


def _wrapper(ref: ast.Name, parents: dict[int, ast.AST]) -> ast.Call | None:
    """The constructor call ``ref`` is an argument of (see :func:`_wrapped`)."""
    node: ast.AST = ref
    for _ in range(10):
        parent = parents.get(id(node))
        if isinstance(parent, (ast.List, ast.Tuple, ast.keyword, ast.Starred)):
            node = parent
            continue
        if isinstance(parent, ast.Call) and parent.func is not node:
            callee = (dotted_name(parent.func) or "").rpartition(".")[2]
            return parent if callee[:1].isupper() else None
        return None
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


def _root_of(target: ast.expr) -> str | None:
    """The name an assignment target stores into: `m` for `m`, `m.head`, `m["k"].w`."""
    node = target
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _joins(stmt: ast.stmt, node: ast.Call) -> str | None:
    """The model a statement `model.add(<node>)` adds the object to."""
    if not isinstance(stmt, ast.Expr) or not isinstance(stmt.value, ast.Call):
        return None
    outer = stmt.value
    if not (isinstance(outer.func, ast.Attribute) and outer.func.attr == "add" and node in outer.args):
        return None
    return _root_of(outer.func.value)


def _plain_names(target: ast.expr) -> list[ast.Name]:
    """The names a target binds outright: `a`, `a, b`, `(a, *b)`; not `a.x` or `a[0]`."""
    if isinstance(target, ast.Name):
        return [target]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for e in target.elts for n in _plain_names(e.value if isinstance(e, ast.Starred) else e)]
    return []


def _samples(call: CallFact) -> bool:
    """`x.generate(..., do_sample=True)`: a language model sampling its output."""
    func = call.node.func
    return (isinstance(func, ast.Attribute) and func.attr == "generate"
            and _literal(call.keywords.get("do_sample")) is True)


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
                    bases: tuple[str, ...] = ()
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
class Use:
    call: CallFact
    label: str  # the callee as written (shown as code), maybe with the telling argument
    note: str = ""  # plain words after it
    at: Position | None = None  # where a deferred draw happens, when not at the call


@dataclass
class Scan:
    order: _Order
    uses: dict[str, list[Use]] = field(default_factory=lambda: defaultdict(list))
    seeds: dict[str, list[CallFact]] = field(default_factory=lambda: defaultdict(list))
    generators: list[Use] = field(default_factory=list)
    random_state: list[Use] = field(default_factory=list)  # the seed changes the result (NB106)
    random_state_maybe: list[Use] = field(default_factory=list)  # ... on some data only (NB109)

    def first_seed(self, library: str) -> tuple[Position, CallFact] | None:
        """The earliest seed of a library that runs (a `def set_seed()` never called does not)."""
        order = self.order
        found = [(order.position(c), c) for c in self.seeds.get(library, ()) if order.runs(c)]
        return min(found, key=lambda pc: pc[0]) if found else None


def _scan_notebook(nb: Analysis) -> Scan:
    return _Scanner(nb).run()


def scan_of(nb: Analysis) -> Scan:
    """The reproducibility facts of a notebook, computed on first use and shared."""
    return nb.fact(_scan_notebook)


class _Scanner:
    def __init__(self, nb: Analysis) -> None:
        self.nb = nb
        self.scan = Scan(order=_Order(nb.parsed_cells, nb.calls))
        self._tf_datasets: set[str] | None = None
        self._parent_maps: dict[int, dict[int, ast.AST]] = {}
        self._strings: dict[str, list[tuple[tuple[int, int], ast.expr]]] | None = None

    def run(self) -> Scan:
        for call in self.nb.calls:
            if "skip" in call.cell.nb2prod_tags:
                continue
            q = call.qualname
            if _samples(call):
                self._sampling(call)
            if q is None or call.local_name in self.nb.functions:
                self._unresolved(call)
            else:
                self._resolved(call, q)
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
            scan.uses[PYTHON].append(Use(call, written(call)))
        elif q in _NUMPY_LEGACY:
            scan.uses[NUMPY].append(Use(call, written(call)))
        elif q in _GENERATORS:
            if not _seeded(call, _GENERATORS[q]):
                scan.generators.append(Use(call, written(call)))
        elif q in _ALWAYS_UNSEEDED:
            scan.generators.append(Use(call, written(call)))
        elif top == "transformers" and q.endswith(".from_pretrained"):
            self._new_head(call, q)
        elif top == "torch" or top == "torchvision":
            self._torch(call, q)
        elif top in _KERAS_TOPS:
            self._tensorflow(call, q)
        elif top == "sklearn":
            self._sklearn(call, q)
        elif top == "scipy" and q.startswith("scipy.stats.") and q.endswith(".rvs"):
            if "random_state" not in call.keywords and not call.has_star_kwargs:
                scan.uses[NUMPY].append(Use(call, written(call)))
        elif q.rpartition(".")[2] in _SEED_HELPERS:
            self._seed(call, q, _ALL_LIBRARIES)

    def _seed(self, call: CallFact, q: str, libraries: frozenset[str]) -> None:
        if q in _SEED_REQUIRES_VALUE:
            if not _seeded(call, ("seed", "a", "x")):
                return
        elif call.node.args and is_none(call.node.args[0]):
            return
        for lib in libraries:
            self.scan.seeds[lib].append(call)

    def _torch(self, call: CallFact, q: str) -> None:
        kw = call.keywords
        if "generator" in kw and not is_none(kw["generator"]):
            return
        name = q.rpartition(".")[2]
        if q in _TORCH_FUNCS:
            self._use(TORCH, call, NOW)
        elif q.startswith("torch.nn.init.") and name in _TORCH_INIT:
            self._use(TORCH, call, NOW)
        elif q in _TORCH_LAYER_NAMES or (q.startswith("torch.nn.modules.") and name in _TORCH_LAYERS):
            self._use(TORCH, call, _TORCH_MODULE_DRAWS[name])
        elif q in ("torch.nn.functional.dropout", "torch.nn.functional.dropout2d"):
            if _literal(kw.get("training")) is not False:
                self._use(TORCH, call, NOW)
        elif q == "torch.utils.data.DataLoader":
            if _literal(kw.get("shuffle")) is True and not call.has_star_kwargs:
                self._use(TORCH, call, ITERATE, f"{written(call)}(shuffle=True)")
        elif q == "torch.utils.data.random_split":
            if len(call.node.args) < 3 and not call.has_star_kwargs:
                self._use(TORCH, call, NOW)
        elif q in _TORCH_SAMPLERS:
            if not call.has_star_kwargs:
                self._use(TORCH, call, ITERATE)
        elif q.startswith(("torchvision.transforms.Random", "torchvision.transforms.v2.Random")):
            self._use(TORCH, call, ITERATE)

    def _new_head(self, call: CallFact, q: str) -> None:
        """`AutoModelForSequenceClassification.from_pretrained(ckpt, num_labels=3)`: the
        checkpoint has no head of that size, so transformers initialises a new one from
        the framework's global generator (the "newly initialized" warning), now."""
        cls = q.rsplit(".", 2)[-2]
        if "For" not in cls or cls.startswith("Flax") or "num_labels" not in call.keywords:
            return
        library = TENSORFLOW if cls.startswith("TF") else TORCH
        self.scan.uses[library].append(Use(call, f"{written(call)}(..., num_labels=...)",
                                           " (it initialises a new classification head at random)"))

    def _sampling(self, call: CallFact) -> None:
        """`model.generate(..., do_sample=True)` draws every token from the framework's
        global generator."""
        tops = {imp.top for imp in self.nb.imports}
        library = TORCH if "torch" in tops else TENSORFLOW if tops & {"tensorflow", "keras"} else None
        if library is not None:
            self.scan.uses[library].append(Use(call, f"{written(call)}(do_sample=True)"))

    def _tensorflow(self, call: CallFact, q: str) -> None:
        kw = call.keywords
        if call.has_star_kwargs or ("seed" in kw and not is_none(kw["seed"])):
            return
        name = q.rpartition(".")[2]
        if q in _TF_RANDOM or q.replace(".compat.v1.", ".", 1) in _TF_RANDOM:
            self._use(TENSORFLOW, call, NOW)
        elif ".layers." in q and name in _KERAS_LAYERS:
            self._use(TENSORFLOW, call, _KERAS_LAYER_DRAWS[name])
        elif ".layers." in q and name.startswith("Random"):  # RandomFlip, RandomRotation...
            self._use(TENSORFLOW, call, FORWARD)
        elif ".initializers." in q and name in _KERAS_INITIALIZERS:
            self._use(TENSORFLOW, call, BUILD)
        elif name in _TF_DIRECTORY_DATASETS and _literal(kw.get("shuffle")) is not False:
            self._use(TENSORFLOW, call, NOW)

    # -- where a draw happens ---------------------------------------------------------------
    def _use(self, library: str, call: CallFact, draws: str, label: str | None = None) -> None:
        """Record a use of ``library``'s global state, placed where it draws (see ``NOW``)."""
        label = label or written(call)
        if draws == BUILD and self._built_here(call):
            draws = NOW
        if draws == NOW:
            if not self._overwritten_unread(call):
                self.scan.uses[library].append(Use(call, label))
            return
        at = self._draw_position(call)
        if at is not None:  # None: never used in the notebook, so it never draws here
            what = "applied" if draws == FORWARD else "iterated" if draws == ITERATE else "built"
            self.scan.uses[library].append(Use(call, label, f" (it draws when {what})", at))

    def _statement(self, call: CallFact) -> ast.stmt | None:
        tree = call.cell.parsed.tree
        for stmt in tree.body if tree is not None else ():
            if stmt.lineno <= call.node.lineno <= (stmt.end_lineno or stmt.lineno):
                return stmt
        return None

    def _parents(self, stmt: ast.stmt) -> dict[int, ast.AST]:
        found = self._parent_maps.get(id(stmt))
        if found is None:
            found = {id(child): node for node in walk_nodes(stmt) for child in ast.iter_child_nodes(node)}
            self._parent_maps[id(stmt)] = found
        return found

    def _built_here(self, call: CallFact) -> bool:
        """Is a Keras layer built where it is created: ``Dense(8)(x)``, ``Dense(8, input_shape=...)``,
        or an element of ``Sequential([Input(...), ...])``?"""
        if _KERAS_SHAPE_KWARGS & set(call.keywords):
            return True
        stmt = self._statement(call)
        if stmt is None:
            return True
        parents = self._parents(stmt)
        node: ast.AST = call.node
        for _ in range(30):
            parent = parents.get(id(node))
            if parent is None:
                return False
            if isinstance(parent, ast.Call) and parent.func is node and isinstance(node, ast.Call):
                return True  # the layer (or a wrapper of it) is called on a tensor
            if isinstance(parent, ast.Call) and (dotted_name(parent.func) or "").rpartition(".")[2] == "Sequential":
                return any(
                    isinstance(n, ast.Call) and (
                        (dotted_name(n.func) or "").rpartition(".")[2] in ("Input", "InputLayer")
                        or any(k.arg in _KERAS_SHAPE_KWARGS for k in n.keywords)
                    )
                    for n in walk_nodes(parent)
                )
            node = parent
        return False

    def _draw_position(self, call: CallFact) -> Position | None:
        """Where an object that draws later first draws: the first later use of the name it is
        bound to (through constructors that wrap it). ``LATE`` when it cannot be followed
        (created inside a function or class); None when it is never used."""
        stmt = self._statement(call)
        if stmt is None or isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return LATE
        names = _bound_names(stmt)
        after = stmt.end_lineno or stmt.lineno
        if not names:
            if isinstance(stmt, ast.Expr) and stmt.value is call.node:
                return None  # `layers.Dense(10)` on its own: shown and dropped, never used
            joined = _joins(stmt, call.node)
            if joined is not None:  # `model.add(layers.Dense(8))`: it draws where the model does
                return self._first_use({joined}, call.cell.index, after, 0)
            return self.scan.order.position(call)  # used where it is created
        return self._first_use(names, call.cell.index, after, 0)

    def _overwritten_unread(self, call: CallFact) -> bool:
        """Is what the call draws thrown away unread: stored in a name (or an attribute of
        one, `model.head = nn.Linear(...)`) that a later statement binds anew before anything
        reads it? Then the draw cannot reach a result; the new binding's own draws are
        judged where they happen."""
        stmt = self._statement(call)
        if not isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            return False
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        roots = {r for t in targets if (r := _root_of(t)) is not None}
        if not roots:
            return False
        for cell in self.nb.parsed_cells:
            if cell.index < call.cell.index or "skip" in cell.nb2prod_tags:
                continue
            for later in cell.parsed.tree.body:  # type: ignore[union-attr]
                if cell.index == call.cell.index and later.lineno <= (stmt.end_lineno or stmt.lineno):
                    continue
                if not any(isinstance(n, ast.Name) and n.id in roots for n in walk_nodes(later)):
                    continue
                if not isinstance(later, ast.Assign):
                    return False
                reads = any(isinstance(n, ast.Name) and n.id in roots for n in walk_nodes(later.value))
                rebound = {n.id for t in later.targets for n in _plain_names(t)}
                touched = {n.id for t in later.targets for n in walk_nodes(t) if isinstance(n, ast.Name)} & roots
                return not reads and roots <= rebound and touched <= rebound
        return False

    def _first_use(self, names: set[str], cell_index: int, after: int, depth: int) -> Position | None:
        order = self.scan.order
        for cell in self.nb.parsed_cells:
            if cell.index < cell_index or "skip" in cell.nb2prod_tags:
                continue
            for stmt in cell.parsed.tree.body:  # type: ignore[union-attr]
                if cell.index == cell_index and stmt.lineno <= after:
                    continue
                refs = [n for n in walk_nodes(stmt) if isinstance(n, ast.Name) and n.id in names]
                if not refs:
                    continue
                if isinstance(stmt, ast.Assign) and all(isinstance(r.ctx, ast.Store) for r in refs):
                    rebound = {n.id for t in stmt.targets for n in _plain_names(t)}
                    if names <= rebound:
                        return None  # bound anew before any use: the object never draws
                    names = names - rebound
                    continue
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    span = next((sp for sp in order.spans(cell) if sp.first == stmt.lineno), None)
                    entry = order._entry(span, 0) if span is not None else None
                    if entry is not None:
                        return entry
                    continue
                parents = self._parents(stmt)
                if all(_configures(ref, parents) for ref in refs):
                    continue
                if isinstance(stmt, ast.Expr) and all(_wrapper(ref, parents) is stmt.value for ref in refs):
                    continue  # `Dense(10, kernel_initializer=init)` shown and dropped: never built
                if depth < 4 and isinstance(stmt, ast.Assign) and all(_wrapped(ref, parents) for ref in refs):
                    wrapped_in = _bound_names(stmt)
                    if wrapped_in:
                        return self._first_use(wrapped_in, cell.index, stmt.end_lineno or stmt.lineno, depth + 1)
                return (cell.index, stmt.lineno, stmt.col_offset)
        return None

    def _sklearn(self, call: CallFact, q: str) -> None:
        if call.has_star_kwargs or _has_star_args(call):
            return
        accepts, position = sklearn_position(q)
        if not accepts:
            return
        kw = call.keywords
        given: dict[str, object] = {k: _literal(v) for k, v in kw.items() if k != "random_state"}
        if "random_state" in kw:
            if is_none(kw["random_state"]):
                self._random_state_use(call, q, given, " with `random_state=None`")
            return
        if position is not None and len(call.node.args) > position:
            return
        self._random_state_use(call, q, given, " without `random_state`")

    def _random_state_use(self, call: CallFact, q: str, given: dict[str, object], note: str) -> None:
        """Record the call for NB106 (the seed changes the result) or NB109 (it may)."""
        outcome, unknown = seed_effect(q, given)
        if outcome == NEVER:
            return
        table, by_name = sklearn_effects()
        effect = table.get(q) or by_name.get(q.rpartition(".")[2])
        shown = [
            f"{p}={_shown(given[p])}" for p in (effect.params if effect else ()) if p in given and given[p] is not ...
        ]
        label = f"{written(call)}({', '.join(shown)})" if shown else written(call)
        if outcome == ALWAYS:
            self.scan.random_state.append(Use(call, label, note))
        else:
            why = (
                f"; {' and '.join(unknown)}, and for some values the seed changes the result"
                if unknown else "; on some data (ties, many rows or many features) the seed changes its result"
            )
            self.scan.random_state_maybe.append(Use(call, label, note + why))

    # -- calls not through an import ---------------------------------------------------
    def _unresolved(self, call: CallFact) -> None:
        local = call.local_name
        func = call.node.func
        attr = func.attr if isinstance(func, ast.Attribute) else None
        if attr == "shuffle":
            self._dataset_shuffle(call)
        elif attr == "sample":
            self._frame_sample(call)
        elif attr == "train_test_split":
            self._hf_split(call)
        elif (
            local is not None
            and local.rpartition(".")[2] in _SEED_HELPERS
            and local not in self.nb.functions
            and not (call.node.args and is_none(call.node.args[0]))
        ):
            for lib in _ALL_LIBRARIES:
                self.scan.seeds[lib].append(call)

    def _hf_split(self, call: CallFact) -> None:
        """``ds["train"].train_test_split(test_size=0.2)`` on a Hugging Face dataset
        without ``seed=``: datasets takes the seed from numpy's global state."""
        kw = call.keywords
        if call.has_star_kwargs or any(k in kw and not is_none(kw[k]) for k in ("seed", "generator")):
            return
        if _literal(kw.get("shuffle")) is False or "datasets" not in {imp.top for imp in self.nb.imports}:
            return
        self.scan.uses[NUMPY].append(Use(call, f"{written(call)}()", " of a Hugging Face dataset without `seed=`"))

    def _dataset_shuffle(self, call: CallFact) -> None:
        """``ds.shuffle(1000)`` on a tf.data dataset, without an operation seed."""
        if "seed" in call.keywords or len(call.node.args) >= 2 or call.has_star_kwargs:
            return
        root = _root_name(call.node.func.value)  # type: ignore[attr-defined]
        if root is None:
            return
        if not (self._is_tf_data(root) or root.partition(".")[0] in self._tf_dataset_names()):
            return
        self.scan.uses[TENSORFLOW].append(Use(call, f"{written(call)}()", " on a tf.data dataset"))

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
                        for n in walk_nodes(target):
                            if isinstance(n, ast.Name):
                                names.add(n.id)
            self._tf_datasets = names
        return self._tf_datasets

    def _frame_sample(self, call: CallFact) -> None:
        """``df.sample(frac=0.1)``: pandas draws from numpy's global state without random_state."""
        kw = call.keywords
        if not ("frac" in kw or "n" in kw) or call.has_star_kwargs or len(call.node.args) >= 5:
            return
        if "seed" in kw or ("random_state" in kw and not is_none(kw["random_state"])):
            return  # polars and others name it `seed`
        self.scan.random_state.append(Use(call, written(call), " without `random_state`"))
