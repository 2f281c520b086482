"""Fixtures for NB3xx (execution state)."""

from _spec import code, error, md, nb, stream

FIXTURES = {
    "NB301": {
        "fires": nb(
            code("x = 1", count=2),
            code("y = x + 1", count=1),
        ),
        "clean": nb(
            code("x = 1", count=1),
            code("y = x + 1", count=2),
            code("z = 3"),  # never run, but nothing below it ran either
        ),
    },
    "NB302": {
        "fires": nb(
            code("x = 1", count=1),
            code("x = x * 2"),
            code("print(x)", count=2, outputs=[stream("1\n")]),
            expect_cells=[2],
        ),
        "fires_above_first_executed": nb(
            md("# Title"),
            code("import os"),  # never run, above the first executed cell
            code("x = 1", count=1),
            code("print(x)", count=2),
            expect_cells=[2],
        ),
        "clean": nb(
            code("x = 1", count=1),
            code("print(x)", count=2),
            code("plot(x)", tags=["skip"]),
            code("x = 5"),
        ),
        "clean_skip_above_first_executed": nb(
            code("plot(x)", tags=["skip"]),
            code("# nb2prod: skip\nshow(x)"),
            code(""),
            code("   \n"),
            code("x = 1", count=1),
            code("print(x)", count=2),
            code("x = 5"),
        ),
        "clean_nothing_executed": nb(
            code("x = 1"),
            code("print(x)"),
        ),
    },
    "NB303": {
        "fires": nb(
            code("1 / 0", count=1, outputs=[error("ZeroDivisionError", "division by zero")]),
            expect_cells=[1],
        ),
        "clean": nb(
            code("1 / 0", count=1, outputs=[error("ZeroDivisionError", "division by zero")],
                 tags=["raises-exception"]),
            code("print(1)", count=2, outputs=[stream("1\n", name="stderr")]),
        ),
    },
    "NB304": {
        "fires": nb(
            code("model.fit(X, y)  # expect: NB304", count=2),
            code("model = object()\nX = y = None", count=1),
        ),
        "clean": nb(
            code("model = object()\nX = y = None", count=1),
            code("model.fit(X, y)", count=2),
            code("def later():\n    return defined_below\n"),
            code("defined_below = 1"),
        ),
    },
    "NB305": {
        "fires": nb(
            code("X = scaler.transform([[1.0]])  # expect: NB305", count=7),
        ),
        "clean": nb(
            code("X = undefined_thing", count=None),
            code("Y = other_thing", count=3, outputs=[error("NameError", "name 'other_thing' is not defined")]),
            code("scaler = object()\nZ = scaler", count=4),
        ),
    },
    "NB306": {
        "fires": nb(
            code("x = 1", count=1),
            code("y = 2", count=5),
            expect_cells=[2],
        ),
        "clean": nb(
            md("# Title"),
            code("x = 1", count=1),
            code("y = 2", count=2),
            code("z = 3"),
        ),
    },
}
