"""Fixtures for NB4xx (tests)."""

from _spec import code, md, nb

_PREDICT = "def predict(x: float) -> float:  # expect: NB402\n    return 2 * x\n"
_PREDICT_PLAIN = "def predict(x: float) -> float:\n    return 2 * x\n"

FIXTURES = {
    "NB401": {
        "fires": nb(
            md("# Iris"),
            code("import pandas as pd  # expect: NB401\ndf = pd.DataFrame({'a': [1, 2]})"),
            code("df.describe()"),
        ),
        "fires_assert_only_in_text": nb(
            code('NOTE = """\nassert is what a test would use\n"""'),
            code("def testing_data():\n    return [1, 2]"),
            expect_cells=[1],
        ),
        "fires_preconditions_and_training_steps": nb(
            code("import tensorflow as tf\nimport torch"),
            code("class PositionalEncoding:\n    def __init__(self, size):\n        assert size % 2 == 0\n"
                 "        self.size = size"),
            code("def test_step(model, loader):\n    loss = 0.0\n    for x, y in loader:\n"
                 "        loss += float(model(x) != y)\n    return loss / len(loader)"),
            code("def test_loop(model, loader):\n    for x, y in loader:\n        print(model(x), y)"),
            code("ds = tf.data.Dataset.range(10).apply(tf.data.experimental.assert_cardinality(10))"),
            expect_cells=[1],
        ),
        "clean_test_function_that_checks": nb(
            code("import numpy as np\n\ndef test_scale():\n    assert np.isclose(2 * 0.5, 1.0)"),
        ),
        "clean_top_level_check_in_a_loop": nb(
            code("def scale(x):\n    assert x >= 0\n    return x / 2\n\nfor v in [0, 2]:\n    assert scale(v) <= v"),
        ),
        "fires_markdown_test_cell": nb(
            md("Tests to be written", tags=["test"]),
            code("x = [1, 2]"),
            expect_cells=[2],
        ),
        "clean_assert": nb(
            code("x = [1, 2]"),
            code("assert len(x) == 2"),
        ),
        "clean_test_tag": nb(
            code("x = [1, 2]"),
            code("print(x)", tags=["test"]),
        ),
        "clean_test_comment_tag": nb(
            code("x = [1, 2]"),
            code("# nb2prod: test\nprint(x)"),
        ),
        "clean_test_function": nb(
            code("def double(x):\n    return 2 * x"),
            code("def test_double():\n    if double(2) != 4:\n        raise AssertionError"),
        ),
        "clean_ipytest": nb(
            code("import ipytest\nipytest.autoconfig()"),
            code("%%ipytest\n\ndef test_one():\n    assert 1 + 1 == 2"),
        ),
        "clean_numpy_testing": nb(
            code("import numpy as np\nx = np.ones(3)"),
            code("np.testing.assert_allclose(x.sum(), 3.0)"),
        ),
        "clean_unittest_case": nb(
            code("import unittest as ut\n\nclass Checks(ut.TestCase):\n    def runTest(self):\n        pass"),
        ),
        "fires_only_environment_asserts": nb(
            code("import sys\nimport sklearn\nassert sys.version_info >= (3, 8)\n"
                 "assert sklearn.__version__ >= '1.0'"),
            code("model = sklearn.linear_model.LogisticRegression()"),
            expect_cells=[1],
        ),
        "clean_nothing_to_test": nb(
            md("# Setup only"),
            code(""),
            code("# to do\n"),
            code("%pip install pandas\n!ls\nimport pandas as pd"),
        ),
        "clean_markdown_only": nb(md("# Notes\nNothing to run here.")),
        "clean_empty_notebook": nb(),
    },
    "NB402": {
        "fires": nb(
            code("model = {'w': 2}"),
            code(_PREDICT, tags=["predict"]),
            code("assert model['w'] == 2", tags=["test"]),
        ),
        "fires_called_outside_tests": nb(
            code("# nb2prod: predict\n" + _PREDICT),
            code("example = {'x': 1.0}", tags=["example"]),
            code("predict(**example)"),
            code("def check():\n    assert predict(1.0) == 2.0"),
        ),
        "clean_test_cell": nb(
            code(_PREDICT_PLAIN, tags=["predict"]),
            code("assert predict(1.0) == 2.0", tags=["test"]),
        ),
        "clean_test_function": nb(
            code(_PREDICT_PLAIN, tags=["predict"]),
            code("import pytest\n\n@pytest.mark.parametrize('x', [1.0, 2.0])\ndef test_predict(x):\n"
                 "    assert predict(x) == 2 * x"),
        ),
        "clean_passed_to_helper": nb(
            code(_PREDICT_PLAIN, tags=["predict"]),
            code("results = list(map(predict, [1.0, 2.0]))\nassert results == [2.0, 4.0]", tags=["test"]),
        ),
        "clean_test_class": nb(
            code(_PREDICT_PLAIN, tags=["predict"]),
            code("class TestPredict:\n    def test_double(self):\n        assert predict(2.0) == 4.0"),
        ),
        "clean_no_predict_cell": nb(
            code(_PREDICT_PLAIN),
            code("x = 1"),
        ),
    },
    "NB403": {
        "fires": nb(
            code(_PREDICT_PLAIN, tags=["predict"]),
            code("predict(1.0)", tags=["test"]),
            code("# nb2prod: test\nprint(predict(2.0))"),
            code("assert predict(3.0) == 6.0", tags=["test"]),
            expect_cells=[2, 3],
        ),
        "fires_environment_assert_only": nb(
            code("import sys"),
            code("assert sys.version_info >= (3, 8)", tags=["test"]),
            expect_cells=[2],
        ),
        "fires_helper_without_checks": nb(
            code("def show(x):\n    print(x)"),
            code("show(1)", tags=["test"]),
            expect_cells=[2],
        ),
        "clean": nb(
            code("import numpy as np\nimport pytest\nx = np.ones(3)"),
            code("assert x.sum() == 3", tags=["test"]),
            code("np.testing.assert_allclose(x, 1.0)", tags=["test"]),
            code("def test_shape():\n    assert x.shape == (3,)", tags=["test"]),
            code("if x.sum() != 3:\n    raise ValueError('bad sum')", tags=["test"]),
            code("with pytest.raises(ZeroDivisionError):\n    1 / 0", tags=["test"]),
            code("@pytest.fixture\ndef data():\n    return x", tags=["test"]),
        ),
        "clean_helper_asserts": nb(
            code("def check(x):\n    assert x > 0"),
            code("check(1)", tags=["test"]),
        ),
        "clean_ipytest": nb(
            code("import ipytest"),
            code("%%ipytest\n\ndef test_one():\n    assert True", tags=["test"]),
            code("ipytest.run()", tags=["test"]),
        ),
        "clean_unparsable": nb(
            code("def broken(:\n    pass", tags=["test"]),
        ),
    },
}
