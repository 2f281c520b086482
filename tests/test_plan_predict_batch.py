"""The build finds a notebook's vectorised `predict_batch(frame)` in its predict and serve cells (plan.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_build_errors import GOOD_PREDICT, notebook

from nb2prod.converter.errors import BuildError
from nb2prod.converter.plan import make_plan
from nb2prod.notebook import read_notebook

BATCH = "def predict_batch(frame):\n    return (frame['x'] * model).tolist()"


@pytest.mark.parametrize("cells, found", [
    ([("model = 2.0", []), GOOD_PREDICT], False),
    ([("model = 2.0", []), (GOOD_PREDICT[0] + "\n\n" + BATCH, ["predict"])], True),
    ([("model = 2.0", []), (BATCH, ["serve"]), GOOD_PREDICT], True),
    ([("model = 2.0", []), GOOD_PREDICT, (BATCH, ["serve"])], True),
    ([("model = 2.0", []), GOOD_PREDICT, ("import numpy as np\npredict_batch = np.vectorize(predict)", ["serve"])],
     True),
    # untagged or skipped: not the service's code
    ([("model = 2.0", []), (BATCH, []), GOOD_PREDICT], False),
    ([("model = 2.0", []), (BATCH, ["serve", "skip"]), GOOD_PREDICT], False),
    # a name that only contains it, or a nested definition
    ([("model = 2.0", []), ("def predict_batches(frame):\n    return []", ["serve"]), GOOD_PREDICT], False),
    ([("model = 2.0", []), ("def outer():\n    " + BATCH.replace("\n", "\n    "), ["serve"]), GOOD_PREDICT], False),
    ([("model = 2.0", []), ("def predict_batch(frame, *, chunk=100, **options):\n    return []", ["serve"]),
      GOOD_PREDICT], True),
])
def test_predict_batch_is_found(tmp_path: Path, cells: list[tuple[str, list[str]]], found: bool) -> None:
    assert make_plan(read_notebook(notebook(tmp_path, *cells))).predict_batch is found


@pytest.mark.parametrize("source, message", [
    ("def predict_batch():\n    return []", "`predict_batch` must take one argument"),
    ("def predict_batch(frame, model):\n    return []", "`predict_batch` must take one argument"),
    ("def predict_batch(frame, *, model):\n    return []", "`predict_batch` must take one argument"),
    ("async def predict_batch(frame):\n    return []", "`predict_batch` must be a plain function, not `async def`"),
])
def test_a_predict_batch_that_cannot_take_a_frame_is_refused(tmp_path: Path, source: str, message: str) -> None:
    path = notebook(tmp_path, ("model = 2.0", []), (source, ["serve"]), GOOD_PREDICT)
    with pytest.raises(BuildError, match=r"cell 3: " + message.replace("(", r"\(")):
        make_plan(read_notebook(path))
