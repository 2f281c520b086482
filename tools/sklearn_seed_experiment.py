"""Measure which scikit-learn callables, with which parameters, depend on ``random_state``.

    python tools/sklearn_seed_experiment.py          # writes nb2prod/data/sklearn_seed_effect.json

For every name in ``nb2prod/data/sklearn_random_state.json`` (the callables that accept
``random_state``, from ``tools/gen_sklearn_random_state.py``) and every combination of the
parameters listed in ``VARIANTS`` for it, the script fits (or calls) it with
``random_state=0`` and with ``random_state=1..SEEDS-1`` on small data sets and compares
the results bit for bit: predictions, probabilities, decision values, transforms, labels,
fitted coefficients/centres/components, split indices, generated data.

Each combination gets one outcome:

``always``
    the result differs on the typical data sets (continuous features, no ties);
``data``
    identical there, but different on data with ties (duplicated, constant or discrete
    features), with more features than rows, or on large data (more rows than a ``subsample``, more than 10,000 rows for
    early stopping, PCA's randomized solver on large matrices): the seed matters only for
    some data;
``never``
    identical on every data set for all seeds.

Combinations scikit-learn rejects (``solver='lbfgs', penalty='l1'``) are left out. Names the
script cannot run here (downloads, abstract bases, plotting) get a documented outcome in
``STATIC``. The linter (NB106 / NB109) reads the JSON; it never imports scikit-learn.
Re-run after upgrading scikit-learn and commit the result.
"""

from __future__ import annotations

import inspect
import itertools
import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "nb2prod" / "data" / "sklearn_random_state.json"
OUT = ROOT / "nb2prod" / "data" / "sklearn_seed_effect.json"
SEEDS = 8  # seed 0 against seeds 1..7 on every data set

# Parameters whose value can decide whether the seed is used, per short name. Only
# parameters in the callable's signature are tried; the default is always tried too.
VARIANTS: dict[str, dict[str, list[Any]]] = {
    "LogisticRegression": {"solver": ["lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga"],
                           "penalty": ["l2", "l1"], "l1_ratio": [0.0, 1.0], "dual": [False, True]},
    "LogisticRegressionCV": {"solver": ["lbfgs", "liblinear", "newton-cg", "sag", "saga"]},
    "SVC": {"probability": [False, True]},
    "NuSVC": {"probability": [False, True]},
    "LinearSVC": {"dual": ["auto", True, False], "penalty": ["l2", "l1"]},
    "LinearSVR": {"dual": ["auto", True, False]},
    "DecisionTreeClassifier": {"splitter": ["best", "random"], "max_features": [None, "sqrt"]},
    "DecisionTreeRegressor": {"splitter": ["best", "random"], "max_features": [None, "sqrt"]},
    "RandomForestClassifier": {"bootstrap": [True, False]},
    "RandomForestRegressor": {"bootstrap": [True, False]},
    "GradientBoostingClassifier": {"subsample": [1.0, 0.5], "max_features": [None, "sqrt"]},
    "GradientBoostingRegressor": {"subsample": [1.0, 0.5], "max_features": [None, "sqrt"]},
    "HistGradientBoostingClassifier": {"early_stopping": ["auto", True, False]},
    "HistGradientBoostingRegressor": {"early_stopping": ["auto", True, False]},
    "KMeans": {"init": ["k-means++", "random"], "n_init": ["auto", 1, 10]},
    "k_means": {"init": ["k-means++", "random"], "n_init": ["auto", 1, 10]},
    "PCA": {"svd_solver": ["auto", "full", "covariance_eigh", "arpack", "randomized"],
            "n_components": [None, 2, 0.95]},
    "TruncatedSVD": {"algorithm": ["randomized", "arpack"]},
    "KernelPCA": {"eigen_solver": ["auto", "dense", "arpack", "randomized"], "n_components": [None, 2]},
    "NMF": {"init": [None, "random", "nndsvd", "nndsvda", "nndsvdar"], "solver": ["cd", "mu"],
            "shuffle": [False, True]},
    "non_negative_factorization": {"init": [None, "random", "nndsvd", "nndsvda", "nndsvdar"]},
    "Ridge": {"solver": ["auto", "svd", "cholesky", "lsqr", "sparse_cg", "sag", "saga"]},
    "RidgeClassifier": {"solver": ["auto", "svd", "cholesky", "lsqr", "sparse_cg", "sag", "saga"]},
    "ridge_regression": {"solver": ["auto", "svd", "cholesky", "lsqr", "sparse_cg", "sag", "saga"]},
    **{n: {"selection": ["cyclic", "random"]} for n in (
        "Lasso", "LassoCV", "ElasticNet", "ElasticNetCV", "MultiTaskLasso", "MultiTaskLassoCV",
        "MultiTaskElasticNet", "MultiTaskElasticNetCV")},
    "Lars": {"jitter": [None, 0.001]},
    "LassoLars": {"jitter": [None, 0.001]},
    "GaussianProcessRegressor": {"n_restarts_optimizer": [0, 2]},
    "GaussianProcessClassifier": {"n_restarts_optimizer": [0, 2]},
    "DummyClassifier": {"strategy": ["prior", "most_frequent", "stratified", "uniform"]},
    "IterativeImputer": {"sample_posterior": [False, True], "imputation_order": ["ascending", "random"]},
    "ClassifierChain": {"order": [None, "random"]},
    "RegressorChain": {"order": [None, "random"]},
    "TunedThresholdClassifierCV": {"cv": [None, 0.5]},
    "silhouette_score": {"sample_size": [None, 20]},
    "extract_patches_2d": {"max_patches": [None, 5]},
    "PatchExtractor": {"max_patches": [None, 5]},
    "KBinsDiscretizer": {"strategy": ["quantile", "uniform", "kmeans"]},
    "SpectralClustering": {"assign_labels": ["kmeans", "discretize", "cluster_qr"],
                           "eigen_solver": [None, "arpack", "lobpcg"]},
    "spectral_clustering": {"assign_labels": ["kmeans", "discretize", "cluster_qr"]},
    "SpectralEmbedding": {"eigen_solver": [None, "arpack", "lobpcg"]},
    "spectral_embedding": {"eigen_solver": [None, "arpack", "lobpcg"]},
    "LocallyLinearEmbedding": {"eigen_solver": ["auto", "arpack", "dense"]},
    "locally_linear_embedding": {"eigen_solver": ["auto", "arpack", "dense"]},
    "TSNE": {"init": ["pca", "random"]},
    "mutual_info_classif": {"discrete_features": ["auto", True]},
    "mutual_info_regression": {"discrete_features": ["auto", True]},
    "NeighborhoodComponentsAnalysis": {"init": ["auto", "pca", "lda", "identity", "random"]},
    "GaussianMixture": {"init_params": ["kmeans", "k-means++", "random", "random_from_data"]},
    "BayesianGaussianMixture": {"init_params": ["kmeans", "k-means++", "random", "random_from_data"]},
    "LatentDirichletAllocation": {"learning_method": ["batch", "online"]},
    "MLPClassifier": {"solver": ["adam", "sgd", "lbfgs"]},
    "MLPRegressor": {"solver": ["adam", "sgd", "lbfgs"]},
    "SGDClassifier": {"shuffle": [True, False]},
    "SGDRegressor": {"shuffle": [True, False]},
    "SGDOneClassSVM": {"shuffle": [True, False]},
    "PassiveAggressiveClassifier": {"shuffle": [True, False]},
    "PassiveAggressiveRegressor": {"shuffle": [True, False]},
    "make_moons": {"shuffle": [True, False], "noise": [None, 0.1]},
    "make_circles": {"shuffle": [True, False], "noise": [None, 0.1]},
    "Nystroem": {"n_components": [100, 20]},
    "AffinityPropagation": {"damping": [0.5, 0.9]},
}
# Any callable with these parameters also tries them.
GENERIC: dict[str, list[Any]] = {"shuffle": [True, False]}
# Names run on the large data sets too (where the seed is used only past a size).
LARGE = {"QuantileTransformer", "quantile_transform", "KBinsDiscretizer",
         "HistGradientBoostingClassifier", "HistGradientBoostingRegressor"}
# ... and on a larger matrix (600 x 100), where solvers switch to randomized or iterative
# methods (PCA's "auto", t-SNE's PCA initialisation, ARPACK).
TALL = {"PCA", "KernelPCA", "LocallyLinearEmbedding", "locally_linear_embedding", "NMF",
        "non_negative_factorization", "TruncatedSVD", "TSNE", "SpectralEmbedding", "spectral_embedding",
        "NeighborhoodComponentsAnalysis", "dict_learning", "GaussianProcessClassifier", "MDS", "smacof"}

# Names not run here, with the outcome and why. Conditions as in cases: params -> outcome.
STATIC: dict[str, dict[str, Any]] = {
    **{f"sklearn.datasets.{n}": {"params": {"shuffle": False},
                                 "cases": [[[False], "never"], [[True], "always"]],
                                 "why": "downloads a data set; random_state only orders rows when shuffle=True"}
       for n in ("fetch_covtype", "fetch_kddcup99", "fetch_rcv1")},
    "sklearn.model_selection.BaseShuffleSplit": {"params": {}, "cases": [[[], "always"]],
                                                "why": "abstract base of the shuffle splitters"},
    "sklearn.inspection.PartialDependenceDisplay": {
        "params": {"kind": "average"}, "cases": [[["average"], "never"], [["individual"], "data"], [["both"], "data"]],
        "why": "plotting; random_state only picks the ICE curves drawn when `subsample` is below the row count"},
}


# -- data -----------------------------------------------------------------------------


def _datasets() -> dict[str, dict[str, Any]]:
    from sklearn.datasets import make_classification, make_regression

    rng = np.random.RandomState(12345)
    Xc, yc = make_classification(n_samples=80, n_features=6, n_informative=3, n_redundant=1, random_state=3)
    Xr, yr = make_regression(n_samples=80, n_features=6, n_informative=4, noise=5.0, random_state=3)
    Xt = rng.normal(size=(60, 6)) * 2.0  # held-out points: tie-broken splits show here

    def ties(X: np.ndarray) -> np.ndarray:
        # Duplicated and rounded (discrete) columns plus a constant one.
        Z = np.round(X[:, [0, 0, 1, 1, 2, 3]])
        Z[:, 5] = 1.0
        return Z

    Yml = np.stack([yc, (Xc[:, 1] > 0).astype(int), (Xc[:, 2] > 0.5).astype(int)], axis=1)
    y3 = yc + (Xc[:, 0] > 1.0)
    Yrm = np.stack([yr, yr * 0.5 + Xr[:, 0]], axis=1)
    sets: dict[str, dict[str, Any]] = {
        "typical": {"Xc": Xc, "yc": yc, "Xr": Xr, "yr": yr, "Xt": Xt, "Yml": Yml, "Yrm": Yrm, "y3": y3},
        "ties": {"Xc": ties(Xc), "yc": yc, "Xr": ties(Xr), "yr": yr, "Xt": np.round(Xt), "Yml": Yml, "Yrm": Yrm,
                 "y3": y3},
    }
    # More features than rows: where LinearSVC(dual="auto") picks the dual problem.
    Xw, yw = make_classification(n_samples=40, n_features=100, n_informative=5, random_state=5)
    Xwr, ywr = make_regression(n_samples=40, n_features=100, n_informative=5, noise=1.0, random_state=5)
    sets["wide"] = {"Xc": Xw, "yc": yw, "Xr": Xwr, "yr": ywr, "Xt": rng.normal(size=(30, 100)),
                    "Yml": np.stack([yw, (Xw[:, 1] > 0).astype(int)], 1), "Yrm": np.stack([ywr, ywr * 2], 1),
                    "y3": yw + (Xw[:, 0] > 1.0)}
    Xct, yct = make_classification(n_samples=600, n_features=100, n_informative=10, random_state=4)
    sets["tall"] = {"Xc": Xct, "yc": yct, "Xr": Xct, "yr": Xct[:, 0] + Xct[:, 1], "Xt": Xct[:50], "y3": yct,
                    "Yml": np.stack([yct, (Xct[:, 1] > 0).astype(int)], 1), "Yrm": np.stack([yct, yct], 1) * 1.0}
    Xl = rng.normal(size=(210_000, 2))
    yl = (Xl[:, 0] + rng.normal(size=Xl.shape[0]) > 0).astype(int)
    sets["large"] = {"Xc": Xl, "yc": yl, "Xr": Xl, "yr": Xl[:, 0] * 2 + Xl[:, 1], "Xt": Xl[:50], "y3": yl,
                     "Yml": np.stack([yl, yl], 1), "Yrm": np.stack([yl, yl], 1) * 1.0}
    return sets


# -- running one callable --------------------------------------------------------------


_OUTPUT_METHODS = ("predict_proba", "decision_function", "predict", "transform", "score_samples")
_FITTED = ("labels_", "embedding_", "coef_", "intercept_", "cluster_centers_", "components_",
           "feature_importances_", "means_", "covariances_", "location_", "covariance_", "support_",
           "best_params_", "n_iter_", "error_", "reconstruction_err_", "cluster_centers_indices_",
           "row_labels_", "column_labels_", "raw_location_", "estimators_features_")


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, (tuple, list)) and not (value and isinstance(value[0], (int, float, str))):
        out: list[Any] = []
        for v in value:
            out.extend(_flatten(v))
        return out
    if hasattr(value, "toarray"):
        value = value.toarray()
    if isinstance(value, dict):
        return [repr(sorted(value.items(), key=repr))]
    try:
        return [np.asarray(value)]
    except Exception:
        return [repr(value)]


def _fingerprint_estimator(est: Any, d: dict[str, Any], name: str) -> list[Any]:
    from sklearn.base import is_classifier, is_regressor

    X, y = (d["Xr"], d["yr"]) if is_regressor(est) else (d["Xc"], d["yc"])
    if name == "OutputCodeClassifier":  # codes for two classes are all alike: use three
        y = d["y3"]
    if name in ("ClassifierChain", "MultiTaskLasso", "MultiTaskLassoCV", "MultiTaskElasticNet",
                "MultiTaskElasticNetCV", "RegressorChain"):
        y = d["Yml"] if name == "ClassifierChain" else d["Yrm"]
        X = d["Xc"] if name == "ClassifierChain" else d["Xr"]
    if name in ("NMF", "MiniBatchNMF", "LatentDirichletAllocation", "BernoulliRBM", "SkewedChi2Sampler",
                "PolynomialCountSketch"):
        X = np.abs(X) / (np.abs(X).max() or 1.0)
    if name == "IterativeImputer":
        X = X.copy()
        X[::7, 1] = np.nan
        X[3::5, 2] = np.nan
    out: list[Any] = []
    if hasattr(est, "fit_transform") and not hasattr(est, "transform"):  # TSNE, MDS...
        out.extend(_flatten(est.fit_transform(X)))
    elif hasattr(est, "fit_predict") and not hasattr(est, "predict"):  # SpectralClustering...
        est.fit(X, y if (is_classifier(est) or is_regressor(est)) else None)
    else:
        est.fit(X, y)
    Xt = d["Xt"] if name != "IterativeImputer" else X
    if X.shape[1] != Xt.shape[1]:
        Xt = X
    if name in ("NMF", "MiniBatchNMF", "LatentDirichletAllocation", "BernoulliRBM", "SkewedChi2Sampler",
                "PolynomialCountSketch"):
        Xt = X
    for m in _OUTPUT_METHODS:
        if hasattr(est, m):
            try:
                out.extend(_flatten(getattr(est, m)(Xt)))
            except Exception:
                pass
    for a in _FITTED:
        if hasattr(est, a):
            try:
                out.extend(_flatten(getattr(est, a)))
            except Exception:
                pass
    return out


def _fingerprint_splitter(sp: Any, d: dict[str, Any]) -> list[Any]:
    X, y = d["Xc"], d["yc"]
    groups = np.arange(len(y)) % 10
    out: list[Any] = []
    for train, test in sp.split(X, y, groups):
        out.extend([train, test])
    return out


def _call_function(
    name: str, fn: Callable[..., Any], params: dict[str, Any], seed: int | None, d: dict[str, Any]
) -> Any:
    from sklearn.linear_model import LogisticRegression

    X, y, Xr, yr = d["Xc"], d["yc"], d["Xr"], d["yr"]
    kw = {**params, "random_state": seed}
    if name.startswith("make_"):
        if name in ("make_sparse_spd_matrix", "make_spd_matrix"):
            return fn(n_dim=5, **kw) if "n_dim" in inspect.signature(fn).parameters else fn(5, **kw)
        if name in ("make_biclusters", "make_checkerboard"):
            return fn((20, 10), 2, **kw)
        if name == "make_sparse_coded_signal":
            return fn(n_samples=5, n_components=8, n_features=6, n_nonzero_coefs=2, **kw)
        return fn(**kw)
    calls: dict[str, Callable[[], Any]] = {
        "affinity_propagation": lambda: fn(-((X[:, None, :] - X[None, :, :]) ** 2).sum(-1), **kw),
        "k_means": lambda: fn(X, 3, **kw),
        "kmeans_plusplus": lambda: fn(X, 3, **kw),
        "spectral_clustering": lambda: fn(np.exp(-((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)), n_clusters=2, **kw),
        "fast_mcd": lambda: fn(X, **kw),
        "dict_learning": lambda: fn(X, 3, alpha=1.0, **kw),
        "dict_learning_online": lambda: fn(X, n_components=3, max_iter=5, **kw),
        "fastica": lambda: fn(X, **kw),
        "non_negative_factorization": lambda: fn(np.abs(X), n_components=min(3, X.shape[1]), **kw),
        "randomized_svd": lambda: fn(X, 2, **kw),
        "randomized_range_finder": lambda: fn(X, size=2, n_iter=2, **kw),
        "ridge_regression": lambda: fn(Xr, yr, 1.0, **kw),
        "mutual_info_classif": lambda: fn(X, y, **kw),
        "mutual_info_regression": lambda: fn(Xr, yr, **kw),
        "permutation_importance": lambda: fn(LogisticRegression().fit(X, y), X, y, **kw).importances,
        "silhouette_score": lambda: fn(X, y, **kw),
        "locally_linear_embedding": lambda: fn(X, n_neighbors=10, n_components=2, **kw),
        "smacof": lambda: fn(np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)), **kw),
        "spectral_embedding": lambda: fn(np.exp(-((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)), n_components=2, **kw),
        "extract_patches_2d": lambda: fn(X[:20, :6].reshape(20, 6), (3, 3), **kw),
        "quantile_transform": lambda: fn(X, **kw),
        "learning_curve": lambda: fn(LogisticRegression(), X, y, cv=3, **kw),
        "train_test_split": lambda: fn(X, y, **kw),
        "resample": lambda: fn(X, y, **kw),
        "shuffle": lambda: fn(X, y, **kw),
        "check_cv": lambda: _fingerprint_splitter(fn(5, y, classifier=True, **kw), d),
    }
    if name not in calls:
        raise NotImplementedError(name)
    return calls[name]()


def _make_class(name: str, cls: type, params: dict[str, Any], seed: int | None) -> Any:
    from sklearn.linear_model import LogisticRegression

    kw = {**params, "random_state": seed}
    needs_estimator = {"OutputCodeClassifier", "ClassifierChain", "TunedThresholdClassifierCV"}
    if name in needs_estimator:
        return cls(LogisticRegression(), **kw)
    if name == "RegressorChain":
        from sklearn.linear_model import Ridge

        return cls(Ridge(), **kw)
    if name == "HalvingGridSearchCV":
        return cls(LogisticRegression(), {"C": [0.01, 0.1, 1.0, 10.0, 100.0]}, **kw)
    if name in ("HalvingRandomSearchCV", "RandomizedSearchCV"):
        from scipy.stats import loguniform

        return cls(LogisticRegression(), {"C": loguniform(1e-3, 1e2)}, n_iter=4, **kw) if name[0] == "R" else \
            cls(LogisticRegression(), {"C": loguniform(1e-3, 1e2)}, **kw)
    if name == "ParameterSampler":
        return cls({"C": [0.01, 0.1, 1.0, 10.0, 100.0], "k": [1, 2, 3]}, 4, **kw)
    if name == "PatchExtractor":
        kw.setdefault("patch_size", (3, 3))
    if name in ("GaussianRandomProjection", "SparseRandomProjection"):
        kw.setdefault("n_components", 3)
    if name in ("SpectralBiclustering", "SpectralCoclustering", "BisectingKMeans", "KMeans", "MiniBatchKMeans",
                "SpectralClustering"):
        kw.setdefault("n_clusters", 2)
    if name in ("GaussianMixture", "BayesianGaussianMixture"):
        kw.setdefault("n_components", 3)  # the default, one component, leaves nothing to initialise
    return cls(**kw)


def _fingerprint(name: str, obj: Any, params: dict[str, Any], seed: int | None, d: dict[str, Any]) -> list[Any]:
    if inspect.isfunction(obj):
        return _flatten(_call_function(name, obj, params, seed, d))
    inst = _make_class(name, obj, params, seed)
    if name == "ParameterSampler":
        return [repr(list(inst))]
    if name == "PatchExtractor":
        return _flatten(inst.transform(d["Xc"][:20].reshape(2, 10, 6)))
    if hasattr(inst, "split") and hasattr(inst, "get_n_splits"):
        return _fingerprint_splitter(inst, d)
    return _fingerprint_estimator(inst, d, name)


def _same(a: list[Any], b: list[Any]) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if isinstance(x, str) or isinstance(y, str):
            if x != y:
                return False
            continue
        if x.shape != y.shape:
            return False
        if x.dtype.kind in "fc":
            if not np.array_equal(x, y, equal_nan=True):
                return False
        elif not np.array_equal(x, y):
            return False
    return True


def _differs(name: str, obj: Any, params: dict[str, Any], d: dict[str, Any]) -> bool:
    base = _fingerprint(name, obj, params, 0, d)
    return any(not _same(base, _fingerprint(name, obj, params, s, d)) for s in range(1, SEEDS))


def _grid(name: str, obj: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    target = obj.__init__ if inspect.isclass(obj) else obj
    sig = inspect.signature(target).parameters
    wanted = dict(VARIANTS.get(name, {}))
    for p, values in GENERIC.items():
        wanted.setdefault(p, values)
    defaults: dict[str, Any] = {}
    axes: dict[str, list[Any]] = {}
    for p, values in wanted.items():
        if p not in sig:
            continue
        default = sig[p].default
        if isinstance(default, (str, int, float, bool, type(None))):
            defaults[p] = default
            axes[p] = [default] + [v for v in values if v != default or type(v) is not type(default)]
    combos = [dict(zip(axes, vs, strict=True)) for vs in itertools.product(*axes.values())]
    return defaults, combos


def _outcome(name: str, obj: Any, params: dict[str, Any], sets: dict[str, dict[str, Any]]) -> str:
    try:
        _fingerprint(name, obj, params, 0, sets["typical"])
    except Exception:
        # KFold(shuffle=False, random_state=0) raises: scikit-learn refuses a seed it cannot
        # use. If the same call runs without one, the seed has no effect here.
        _fingerprint(name, obj, params, None, sets["typical"])
        return "never"
    if _differs(name, obj, params, sets["typical"]):
        return "always"
    extra = ["ties", "wide"] + (["tall"] if name in TALL else []) + (["large"] if name in LARGE else [])
    for other in extra:
        try:
            if _differs(name, obj, params, sets[other]):
                return "data"
        except Exception:  # some callables refuse some data (more features than rows...)
            continue
    return "never"


def _resolve(dotted: str) -> Any:
    import importlib

    module, _, attr = dotted.rpartition(".")
    if module == "sklearn.model_selection" and attr.startswith("Halving"):
        importlib.import_module("sklearn.experimental.enable_halving_search_cv")
    if attr == "IterativeImputer":
        importlib.import_module("sklearn.experimental.enable_iterative_imputer")
    return getattr(importlib.import_module(module), attr)


def run(only: set[str] | None = None) -> tuple[str, dict[str, Any]]:
    import sklearn

    names = json.loads(TABLE.read_text(encoding="utf-8"))["random_state"]
    sets = _datasets()
    effect: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for dotted in names:
            short = dotted.rpartition(".")[2]
            if only and short not in only:
                continue
            if dotted in STATIC:
                effect[dotted] = STATIC[dotted]
                continue
            obj = _resolve(dotted)
            defaults, combos = _grid(short, obj)
            cases = []
            started = time.perf_counter()
            failure: Exception | None = None
            for combo in combos:
                try:
                    outcome = _outcome(short, obj, combo, sets)
                except NotImplementedError:
                    raise
                except Exception as exc:  # a combination scikit-learn rejects
                    failure = exc
                    continue
                cases.append([[combo[p] for p in defaults], outcome])
            if not cases:
                raise SystemExit(f"{dotted}: no combination could be run: {failure!r}")
            effect[dotted] = {"params": defaults, "cases": cases}
            print(f"{dotted}: {sorted({c[1] for c in cases})} ({time.perf_counter() - started:.1f}s)",
                  file=sys.stderr)
    return sklearn.__version__, effect


def main(argv: list[str]) -> int:
    version, effect = run(set(argv) or None)
    if argv:  # a partial run: print, do not write
        print(json.dumps(effect, indent=1))
        return 0
    payload = {
        "generated_by": "tools/sklearn_seed_experiment.py",
        "sklearn_version": version,
        "seeds_compared": SEEDS,
        "outcomes": {"always": "the seed changes the result on typical data",
                     "data": "the seed changes the result only on some data (ties, large data)",
                     "never": "bit-identical results for every seed on every data set tried"},
        "effect": effect,
    }
    OUT.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(effect)} entries (scikit-learn {version}) to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
