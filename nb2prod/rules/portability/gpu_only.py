"""NB507: code that needs a GPU (or a TPU), with no CPU path anywhere in the notebook."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from nb2prod import _lazyre
from nb2prod._ast import walk as walk_nodes
from nb2prod.analysis import Analysis, dotted_name
from nb2prod.diagnostics import Finding, Severity
from nb2prod.notebook import Cell
from nb2prod.rules._base import Rule, register

_CUDA = _lazyre.compile(r"cuda(?::\d+)?$")
# Calls that ask whether a GPU is there, or hand the choice to a library: the notebook has
# a CPU path (or delegates it), so its `.cuda()` calls are taken to sit behind it.
_DEVICE_CHECKS = frozenset({
    "torch.cuda.is_available", "torch.cuda.device_count", "torch.backends.mps.is_available",
    "torch.accelerator.is_available", "torch.accelerator.current_accelerator",
    "tensorflow.config.list_physical_devices", "tensorflow.test.is_gpu_available",
    "tensorflow.config.experimental.list_physical_devices", "jax.devices",
    "accelerate.Accelerator",
})
# Lightning's Trainer picks the device itself unless told `accelerator="gpu"`.
_LIGHTNING_TRAINERS = frozenset({"lightning.Trainer", "pytorch_lightning.Trainer", "lightning.pytorch.Trainer"})
# Keyword values that let a library choose: `device_map="auto"`, `accelerator="auto"`. A
# literal naming an accelerator (`accelerator="gpu"`, `device_map="cuda"`) chooses nothing.
_DELEGATING_KEYWORDS = frozenset({"device_map", "accelerator"})
_ACCELERATOR_LITERAL = _lazyre.compile(r"(?:cuda|gpu|tpu)(?::\d+)?$", re.I)
# Calls that only work on a TPU: connecting to one, or Colab's TPU set-up.
_TPU_CALLS = frozenset({
    "tensorflow.distribute.cluster_resolver.TPUClusterResolver",
    "tensorflow.tpu.experimental.initialize_tpu_system", "tensorflow.config.experimental_connect_to_cluster",
    "jax.tools.colab_tpu.setup_tpu",
})
_GPU_DEVICE = _lazyre.compile(r"^/?(?:job:\w+/)?(?:replica:\d+/)?(?:task:\d+/)?(?:device:)?gpu:\d+$", re.I)


def _is_cuda(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(_CUDA.match(node.value))


def _has_cpu_path(nb: Analysis) -> bool:
    for call in nb.calls:
        if call.qualname in _DEVICE_CHECKS:
            return True
        local = call.local_name or ""
        if local.endswith(("cuda.is_available", "cuda.device_count")):
            return True  # through an alias the imports do not show
        if call.qualname in _LIGHTNING_TRAINERS and not any(k.arg == "accelerator" for k in call.node.keywords):
            return True  # accelerator="auto" by default
        for k in call.node.keywords:
            if k.arg in _DELEGATING_KEYWORDS and not _names_accelerator(k.value):
                return True
    for cell in nb.parsed_cells:
        for node in nb.nodes_of(cell, ast.IfExp, ast.Constant):
            # "cuda" if ... else "cpu", and any `if` / `try` that mentions a CPU device
            if isinstance(node, ast.IfExp) and (_is_cuda(node.body) or _is_cuda(node.orelse)):
                return True
            if isinstance(node, ast.Constant) and node.value in ("cpu", "mps") and _in_condition(node, cell, nb):
                return True
    return False


def _names_accelerator(node: ast.expr) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)
            and bool(_ACCELERATOR_LITERAL.match(node.value)))


def _in_try(node: ast.AST, cell: Cell, nb: Analysis) -> bool:
    """Is ``node`` in the body of a `try` with an `except` (a fallback when it fails)?"""
    return any(t.handlers and any(n is node for b in t.body for n in walk_nodes(b))  # type: ignore[attr-defined]
               for t in nb.nodes_of(cell, ast.Try))


def _in_condition(node: ast.Constant, cell: Cell, nb: Analysis) -> bool:
    """Is this "cpu" string in the other branch of a device choice (the `else` of an `if`,
    an `except` handler)? A bare `.to("cpu")` of a result is no CPU path."""
    for parent in nb.nodes_of(cell, ast.If, ast.Try):
        if isinstance(parent, ast.If):
            branches: list[ast.AST] = list(parent.orelse)
        elif isinstance(parent, ast.Try):
            branches = list(parent.handlers)
        else:
            continue
        if any(n is node for b in branches for n in walk_nodes(b)):
            return True
    return False


@register
class GpuOnlyCode(Rule):
    """## What it does
    Finds code that needs a GPU (or a TPU) when nothing in the notebook gives it a CPU path:
    `model.cuda()`, `.to("cuda")`, `torch.device("cuda")`, `torch.Generator("cuda")`,
    `device="cuda"` or `map_location="cuda"` given to a call, `device = "cuda"` assigned;
    with no `torch.cuda.is_available()` (or `device_count()`,
    `tf.config.list_physical_devices("GPU")`, `"cuda" if ... else "cpu"`, an `else` or
    `except` branch choosing `"cpu"`) anywhere in the notebook. A device chosen by a
    library (`device_map="auto"`, `accelerator="auto"`, `accelerate.Accelerator()`, a
    Lightning `Trainer` without `accelerator=`) is a CPU path too; one that names the
    accelerator (`Trainer(accelerator="gpu")`, `device_map="cuda"`) is not, and is
    reported. TPU-only code counts too: `TPUClusterResolver()`,
    `tf.tpu.experimental.initialize_tpu_system`, Colab's `jax.tools.colab_tpu.setup_tpu()`
    outside a `try` with an `except` fallback, as does
    `tf.distribute.MirroredStrategy(devices=["/gpu:0", ...])`. Not reported: `tf.device("/GPU:0")`
    (TensorFlow 2 places ops on the CPU when there is no GPU), code in `skip` cells.
    One finding per notebook, at the first use, with the count of the others.

    ## Why is this bad?
    `nb2prod build` runs the notebook, and the generated service runs its `predict`
    code, on whatever machine they are given; most build agents and serving containers
    have no GPU. There, the first `.cuda()` raises `AssertionError: Torch not compiled
    with CUDA enabled` or `RuntimeError: No CUDA GPUs are available`.

    ## Example
    ```python
    model = Net().cuda()
    x = batch.to("cuda")
    ```

    ## Use instead
    ```python
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = Net().to(device)
    x = batch.to(device)
    ```

    ## Fix
    Choose the device once, from `torch.cuda.is_available()`, and move models and
    tensors with `.to(device)`. No automatic fix.
    """

    code = "NB507"
    name = "gpu-only-code"
    severity = Severity.WARNING
    summary = "Code needs a GPU or TPU and the notebook has no CPU path"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        found: dict[int, list[tuple[ast.AST, int, str]]] = {}
        cells: dict[int, Cell] = {}
        for call in nb.calls:
            if "skip" in call.cell.nb2prod_tags:
                continue
            what = self._gpu_call(call.node, call.qualname)
            if what and call.qualname in _TPU_CALLS and _in_try(call.node, call.cell, nb):
                continue  # `try: TPUClusterResolver() ... except ValueError: default strategy`
            if what:
                found.setdefault(call.cell.index, []).append((call.node, call.offset, what))
                cells[call.cell.index] = call.cell
        for cell in nb.parsed_cells:
            if "skip" in cell.nb2prod_tags:
                continue
            for node in nb.nodes_of(cell, ast.Assign, ast.AnnAssign):
                if isinstance(node, (ast.Assign, ast.AnnAssign)) and _is_cuda(node.value):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    if all(isinstance(t, ast.Name) for t in targets):
                        name = targets[0].id  # type: ignore[attr-defined]
                        found.setdefault(cell.index, []).append(
                            (node, cell.parsed.line_offset, f'`{name} = "{node.value.value}"`'))  # type: ignore[union-attr]
                        cells[cell.index] = cell
        if not found or _has_cpu_path(nb):
            return
        # One finding for the notebook, at the first use: the missing CPU path is one
        # problem, fixed in one place (where the device is chosen).
        first = min(found)
        uses = sorted(found[first], key=lambda u: (getattr(u[0], "lineno", 0), getattr(u[0], "col_offset", 0)))
        node, offset, what = uses[0]
        others = sum(len(v) for v in found.values()) - 1
        more = ""
        if others:
            n_cells = len(found) - 1
            where = f" in {n_cells} other cell{'s' if n_cells > 1 else ''}" if n_cells else ""
            more = f" (and {others} more use{'s' if others > 1 else ''}{where})"
        tpu = any(what.startswith(f"`{q.rsplit('.', 1)[-1]}(") for q in _TPU_CALLS)
        yield self.at(
            cells[first],
            f"{what} needs {'a TPU' if tpu else 'a GPU'} and nothing in the notebook falls back to the CPU{more}: "
            + ('connect to the TPU inside `try:` with the default strategy in `except ValueError:`'
               if tpu else
               'choose the device with `"cuda" if torch.cuda.is_available() else "cpu"`'
               + (' (Lightning: `accelerator="auto"`)' if "Trainer" in what else "")),
            node=node, offset=offset,
        )

    @staticmethod
    def _gpu_call(node: ast.Call, qualname: str | None) -> str | None:
        func = node.func
        if qualname in _TPU_CALLS:
            return f"`{qualname.rsplit('.', 1)[-1]}()`"
        if qualname == "tensorflow.distribute.MirroredStrategy":
            devices = next((k.value for k in node.keywords if k.arg == "devices"), node.args[0] if node.args else None)
            if isinstance(devices, (ast.List, ast.Tuple)) and devices.elts and all(
                    isinstance(e, ast.Constant) and isinstance(e.value, str) and _GPU_DEVICE.match(e.value)
                    for e in devices.elts):
                return "`MirroredStrategy(devices=[GPUs])`"
        if qualname in _LIGHTNING_TRAINERS or (isinstance(func, ast.Attribute) and func.attr == "Trainer"):
            acc = next((k.value for k in node.keywords if k.arg == "accelerator"), None)
            if acc is not None and _names_accelerator(acc):
                return f'`Trainer(accelerator="{acc.value}")`'  # type: ignore[attr-defined]
        if qualname in ("torch.device", "torch.Generator") and node.args and _is_cuda(node.args[0]):
            return f'`{qualname}("{node.args[0].value}")`'  # type: ignore[attr-defined]
        if isinstance(func, ast.Attribute):
            owner = dotted_name(func.value) or ""
            if func.attr == "cuda" and not owner.endswith("torch") and len(node.args) <= 1 and not node.keywords:
                return "`.cuda()`"
            if func.attr == "to" and node.args and _is_cuda(node.args[0]):
                return f'`.to("{node.args[0].value}")`'  # type: ignore[attr-defined]
        for k in node.keywords:
            if k.arg == "device_map" and _names_accelerator(k.value):
                return f'`device_map="{k.value.value}"`'  # type: ignore[attr-defined]
            if k.arg in ("device", "map_location") and _is_cuda(k.value):
                return f'`device="{k.value.value}"`'  # type: ignore[attr-defined]
        return None
