"""The service answers each of the notebook's examples as the notebook did."""

from typing import Any

import httpx
import pytest

from {{ cookiecutter.package_name }}.schema import EXAMPLES


def approx(expected: Any) -> Any:
    """`expected` with every float compared with pytest.approx, in nested lists and dicts too."""
    if isinstance(expected, dict):
        return {key: approx(value) for key, value in expected.items()}
    if isinstance(expected, list):
        return [approx(value) for value in expected]
    if isinstance(expected, float):
        return pytest.approx(expected)
    return expected


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"example-{n}" for n in range(1, len(EXAMPLES) + 1)])
def test_service_answers_as_the_notebook(client: httpx.Client, example: dict[str, Any]) -> None:
    response = client.post("/predict", json=example["input"])
    assert response.status_code == 200, response.text
    assert response.json()["prediction"] == approx(example["output"])
