"""NB108: a model or a dataset fetched from a hub with no pinned revision."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from nb2prod import _lazyre
from nb2prod.analysis import Analysis, CallFact
from nb2prod.diagnostics import Finding, Severity
from nb2prod.rules._base import Rule, register
from nb2prod.rules.reproducibility.unpinned_remote_data import (
    HF_PACKAGED_BUILDERS,
    argument,
    is_none,
    written,
)
from nb2prod.rules.reproducibility.urls import DATA_FILE, UNKNOWN, Values, values_of

# Libraries whose `X.from_pretrained(name)` downloads `name` from the Hugging Face Hub.
_HUB_LIBRARIES = frozenset(
    {"transformers", "diffusers", "peft", "setfit", "optimum", "trl", "sentence_transformers",
     "tokenizers", "span_marker", "gliner", "adapters", "huggingface_hub", "timm"}
)
_PIPELINES = frozenset({"transformers.pipeline", "transformers.pipelines.pipeline"})
_HF_DOWNLOADS = frozenset(
    {"huggingface_hub.hf_hub_download", "huggingface_hub.snapshot_download",
     "huggingface_hub.file_download.hf_hub_download", "huggingface_hub._snapshot_download.snapshot_download"}
)
_SENTENCE_MODELS = frozenset(
    {"sentence_transformers.SentenceTransformer", "sentence_transformers.CrossEncoder",
     "sentence_transformers.cross_encoder.CrossEncoder"}
)
_TORCH_HUB_LOADS = frozenset({"torch.hub.load"})
# Metric scripts fetched from the Hub by name. A canonical one (`evaluate.load("seqeval")`,
# no owner) is fetched at the tag of the installed evaluate version (`v0.4.1`), so only a
# community metric (`evaluate.load("org/metric")`) follows a branch; `datasets.load_metric`
# reads the script from the datasets GitHub repository at its installed version's tag.
_METRICS = frozenset({"evaluate.load", "evaluate.loading.load"})
# Hub repository ids: `name` or `org/name` (letters, digits, `-`, `_`, `.`).
_REPO_ID = _lazyre.compile(r"^[A-Za-z0-9][\w.-]*(?:/[\w.-]+)?$")
_GITHUB_REPO = _lazyre.compile(r"^[\w.-]+/[\w.-]+$")
_SHA = _lazyre.compile(r"^[0-9a-f]{40}$")
_TAG = _lazyre.compile(r"^(?:v|version-|release-)?\d+(?:\.\d+)*(?:[-+][\w.]+)?$", re.I)
_CHECKPOINT = _lazyre.compile(r"(?:^|/)checkpoint[-_]\d+(?:/|$)")
# `models/bert`: a first part that names a project folder, not a Hub user or organisation.
_LOCAL_FOLDERS = frozenset(
    {"model", "models", "output", "outputs", "checkpoint", "checkpoints", "saved_model", "saved_models",
     "results", "artifacts", "artefacts", "data", "weights", "runs", "tmp", "pretrained", "export", "exports"}
)
# Calls and keywords whose string arguments are where the notebook itself saves a model.
_SAVERS = frozenset({"save_pretrained", "save_model", "save", "save_to_disk", "save_checkpoint",
                     "makedirs", "mkdir", "to_disk"})
_TRAINING_ARGUMENTS = frozenset({"TrainingArguments", "Seq2SeqTrainingArguments", "TFTrainingArguments",
                                 "SFTConfig", "GRPOConfig", "DPOConfig"})
_SAVE_KEYWORDS = frozenset({"output_dir", "local_dir", "save_directory", "cache_dir", "logging_dir"})


@dataclass(frozen=True)
class _Fetch:
    call: CallFact
    message: str


def _pinned_revision(value: ast.expr | None, values: Values) -> tuple[bool, str | None]:
    """(is the revision pinned or unknowable?, the branch it names when it is not)."""
    if value is None or is_none(value):
        return False, None
    text = values.string(value)
    if text is None or UNKNOWN in text:
        return True, None  # computed: it may well be a commit
    if _SHA.match(text) or _TAG.match(text):
        return True, None
    return False, text


class _HubScan:
    def __init__(self, nb: Analysis) -> None:
        self.nb = nb
        self._saved: tuple[re.Pattern[str], ...] | None = None

    @property
    def values(self) -> Values:
        """The notebook's string values, built on first use (most notebooks read no URL)."""
        return values_of(self.nb)

    def run(self) -> list[_Fetch]:
        found: list[_Fetch] = []
        for call in self.nb.calls:
            q = call.qualname
            if q is None or "skip" in call.cell.nb2prod_tags or call.local_name in self.nb.functions:
                continue
            message = self._judge(call, q)
            if message:
                found.append(_Fetch(call, message))
        return found

    def _judge(self, call: CallFact, q: str) -> str | None:
        if call.has_star_kwargs:
            return None  # `**kwargs` may hold the revision
        top = q.partition(".")[0]
        if q.endswith(".from_pretrained") and top in _HUB_LIBRARIES:
            cls = q.rsplit(".", 2)[-2]
            if top == "peft" and not cls.startswith("AutoPeft"):
                node = argument(call, ("model_id",), (1,))
            else:
                node = argument(call, ("pretrained_model_name_or_path",), (0,))
            return self._model(call, node, "the Hugging Face Hub")
        if q in _PIPELINES:
            return self._pipeline(call)
        if q == "datasets.load_dataset":
            return self._dataset(call)
        if q in _METRICS:
            return self._metric(call)
        if q in _HF_DOWNLOADS:
            return self._model(call, argument(call, ("repo_id",), (0,)), "the Hugging Face Hub", local=False)
        if q in _SENTENCE_MODELS:
            return self._model(call, argument(call, ("model_name_or_path", "model_name"), (0,)), "the Hugging Face Hub")
        if q == "timm.create_model":
            return self._timm(call)
        if q in _TORCH_HUB_LOADS:
            return self._torch_hub(call)
        return None

    # -- Hugging Face ------------------------------------------------------------------------
    def _model(self, call: CallFact, node: ast.expr | None, hub: str, *, local: bool = True,
               keyword: str = "") -> str | None:
        kw = call.keywords
        local_only = kw.get("local_files_only")
        if local_only is not None and not (isinstance(local_only, ast.Constant) and local_only.value is False):
            return None
        name = self.values.string(node)
        if name is None or UNKNOWN in name or not _REPO_ID.match(name):
            return None
        if local and self._is_local(name):
            return None
        shown = f"`{written(call)}(..., {keyword}={name!r})`" if keyword else f"`{written(call)}({name!r})`"
        return self._revision(call, shown, f"`{name}` from {hub}")

    def _revision(self, call: CallFact, shown: str, what: str) -> str | None:
        pinned, branch = _pinned_revision(call.keywords.get("revision"), self.values)
        if pinned:
            return None
        if branch is not None:
            return (f"{shown} fetches {what} at `revision={branch!r}`, a branch, which moves: "
                    "pass `revision=` with a commit SHA")
        return (f"{shown} fetches {what} without `revision=`: whatever the repository holds "
                "on the day of the run (it can be updated or removed); pass `revision=` with a commit SHA")

    def _pipeline(self, call: CallFact) -> str | None:
        model = argument(call, ("model",), (1,))
        if model is None or is_none(model):
            task = self.values.string(argument(call, ("task",), (0,)))
            if task is None or UNKNOWN in task:
                return None
            pinned, _ = _pinned_revision(call.keywords.get("revision"), self.values)
            if pinned:
                return None
            return (f"`{written(call)}({task!r})` without `model=` downloads the task's default "
                    "model, which can change between transformers versions and on the Hub: pass "
                    "`model=` and `revision=` with a commit SHA")
        if not self.values.strings(model):
            return None  # a model object the notebook built or loaded
        return self._model(call, model, "the Hugging Face Hub", keyword="model")

    def _dataset(self, call: CallFact) -> str | None:
        path = self.values.string(argument(call, ("path",), (0,)))
        if path is None or UNKNOWN in path or path in HF_PACKAGED_BUILDERS:
            return None  # a builder of local or remote files: NB107 judges the URLs
        if path.startswith((".", "/", "~")) or "\\" in path or DATA_FILE.search(path) or "://" in path:
            return None  # a local folder or file, or a URL
        if not _REPO_ID.match(path) or self._is_local(path):
            return None
        return self._revision(call, f"`{written(call)}({path!r})`", f"the dataset `{path}` from the Hugging Face Hub")

    def _metric(self, call: CallFact) -> str | None:
        path = self.values.string(argument(call, ("path",), (0,)))
        if path is None or UNKNOWN in path or not _REPO_ID.match(path) or path.endswith(".py"):
            return None
        if "/" not in path:
            return None  # canonical: fetched at the installed evaluate version's tag
        if self._is_local(path):
            return None
        return self._revision(call, f"`{written(call)}({path!r})`",
                              f"the metric script `{path}` from the Hugging Face Hub")

    def _is_local(self, name: str) -> bool:
        """A folder the notebook saves (`save_pretrained`, `output_dir=`...) or that exists
        beside it: not a hub repository."""
        if name.startswith((".", "/", "~")) or "\\" in name or _CHECKPOINT.search(name):
            return True
        if "/" in name and name.split("/", 1)[0].lower() in _LOCAL_FOLDERS:
            return True
        clean = name.rstrip("/")
        for saved in self._saved_paths():
            if saved.fullmatch(clean):
                return True
        path = self.nb.path
        if path is not None:
            try:
                return (path.parent / clean).exists()
            except OSError:
                return False
        return False

    def _saved_paths(self) -> tuple[re.Pattern[str], ...]:
        """Where the notebook saves models, as patterns (a part computed at run time,
        `f"{model_name}-finetuned"`, matches any folder name)."""
        if self._saved is None:
            found: list[str] = []
            for call in self.nb.calls:
                func = call.node.func
                last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
                nodes: list[ast.expr] = []
                if (last in _SAVERS or last in _TRAINING_ARGUMENTS) and call.node.args:
                    nodes.append(call.node.args[0])
                nodes.extend(k.value for k in call.node.keywords if k.arg in _SAVE_KEYWORDS)
                for node in nodes:
                    found.extend(s.rstrip("/") for s in self.values.strings(node)
                                 if len(s.replace(UNKNOWN, "")) >= 3)
            self._saved = tuple(
                re.compile("".join("[^/]+" if part == UNKNOWN else re.escape(part)
                                   for part in re.split(f"({UNKNOWN})", text)) + "(?:/.*)?")
                for text in dict.fromkeys(found)
            )
        return self._saved

    # -- timm, torch.hub -----------------------------------------------------------------------
    def _timm(self, call: CallFact) -> str | None:
        pretrained = argument(call, ("pretrained",), (1,))
        if not (isinstance(pretrained, ast.Constant) and pretrained.value is True):
            return None
        kw = call.keywords
        if any(k in kw and not is_none(kw[k]) for k in ("checkpoint_path", "pretrained_cfg_overlay", "pretrained_cfg")):
            return None
        name = self.values.string(argument(call, ("model_name",), (0,)))
        if name is None or UNKNOWN in name:
            return None
        return (f"`{written(call)}({name!r}, pretrained=True)` downloads the weights timm names "
                f"`{name}` today, from a hub repository that can be updated: keep the weights with "
                "the project (`checkpoint_path=`), or pin `pretrained_cfg_overlay=dict(file=...)`")

    def _torch_hub(self, call: CallFact) -> str | None:
        source = self.values.string(argument(call, ("source",)))
        if source is not None and source != "github":
            return None
        repo = self.values.string(argument(call, ("repo_or_dir", "github"), (0,)))
        if repo is None or UNKNOWN in repo or repo.startswith((".", "/", "~")):
            return None
        name, _, ref = repo.partition(":")
        if not _GITHUB_REPO.match(name) or self._is_local(name):
            return None
        if ref and (_TAG.match(ref) or re.match(r"^[0-9a-f]{7,40}$", ref)):
            return None
        if ref:
            return (f"`{written(call)}({repo!r})` loads the code and weights of the branch `{ref}`, "
                    "which moves: name a tag or a commit (`owner/repo:<sha>`)")
        return (f"`{written(call)}({repo!r})` loads the code and weights of the repository's default "
                "branch, which moves: name a tag or a commit (`owner/repo:<sha>`)")


def hub_fetches(nb: Analysis) -> list[_Fetch]:
    return nb.fact(_hub_fetches)


def _hub_fetches(nb: Analysis) -> list[_Fetch]:
    return _HubScan(nb).run()


@register
class UnpinnedHubRevision(Rule):
    """## What it does
    Finds models and datasets fetched from a hub by name with no pinned revision:
    `AutoModel*.from_pretrained("org/name")`, `AutoTokenizer.from_pretrained(...)` and
    the other `from_pretrained` of transformers, diffusers, peft, sentence-transformers...,
    `pipeline("task", model="org/name")`, `pipeline("task")` with no model at all (the
    task's default model), `datasets.load_dataset("name")`, `hf_hub_download`,
    `snapshot_download`, `SentenceTransformer("name")`, all without `revision=` (or with
    a branch such as `revision="main"`; a commit SHA or a tag is a pin);
    community metric scripts (`evaluate.load("org/metric")`; a canonical metric such as
    `evaluate.load("seqeval")` is fetched at the tag of the installed evaluate version, and
    `datasets.load_metric` at the installed datasets version, so those follow the package
    pin that NB202/NB204 judge);
    `timm.create_model(name, pretrained=True)`; and `torch.hub.load("owner/repo", ...)`
    without a tag or commit after `:`. A name that is a local folder is not a hub fetch:
    a relative or absolute path, a folder beside the notebook, or one the notebook saves
    itself (`save_pretrained(...)`, `output_dir=...`, a `checkpoint-500` folder), a
    name under a project folder (`models/bert`, `outputs/run1`), as is
    `local_files_only=True`. Names the linter cannot compute are not reported.

    Data files read from a URL (`load_dataset("csv", data_files=URL)`, a
    `huggingface.co/.../resolve/main/...` URL) are NB107's, so one fetch is one finding.

    ## Why is this bad?
    A hub repository is a git repository that its owner can update at any time: new
    weights, another tokenizer, a changed dataset split, or nothing at all when it is
    deleted or made private. Without a revision every run fetches what is there that day,
    so the notebook's results, and the service built from it, silently change.

    ## Example
    ```python
    tokenizer = AutoTokenizer.from_pretrained("distilbert-base-uncased")
    model = AutoModelForSequenceClassification.from_pretrained("distilbert-base-uncased")
    ```

    ## Use instead
    ```python
    REVISION = "043235d6088ecd3dd5fb5ca3592b6913fd516027"  # a commit of the model repository
    tokenizer = AutoTokenizer.from_pretrained("distilbert-base-uncased", revision=REVISION)
    model = AutoModelForSequenceClassification.from_pretrained("distilbert-base-uncased", revision=REVISION)
    ```

    ## Fix
    Pass `revision=` with the commit SHA of the repository (shown on its "Files and
    versions" page), name `model=` in `pipeline(...)`, write `owner/repo:<tag or sha>`
    for `torch.hub.load`, or keep the weights with the project and load them from a local
    path. No automatic fix.
    """

    code = "NB108"
    name = "unpinned-hub-revision"
    severity = Severity.WARNING
    summary = "A model or dataset is fetched from a hub without a pinned revision"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        for f in hub_fetches(nb):
            yield self.at(f.call.cell, f.message, node=f.call.node, offset=f.call.offset)
