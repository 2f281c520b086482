"""Fixtures for NB3xx (execution state)."""

from _spec import PY_META, code, error, md, nb, result, stream

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
        "clean_zero_counts_from_a_generator": nb(
            code("import numpy as np", count=0),
            code("x = np.ones(3)", count=0),
            code("y = x * 2", count=0),
        ),
        "clean_empty_cell_run_twice": nb(
            code("x = 1", count=4),
            code("", count=4),
            code("y = x + 1", count=5),
        ),
        "fires_around_an_empty_cell": nb(
            code("x = 1", count=4),
            code("", count=7),
            code("y = x + 1", count=3),
            expect_cells=[3],
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
        "clean_comment_only_cell": nb(
            code("x = 1", count=1),
            code("# print(x)  -- kept for later\n#\n"),
            code("print(x)", count=2),
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
        "clean_cell_commented_out_since": nb(
            code("# import os\n# os.remove('data')", count=1,
                 outputs=[error("IsADirectoryError", "[Errno 21] Is a directory: 'data'")]),
        ),
        "fires_code_left_beside_comments": nb(
            code("# clean up\nos.remove('data')", count=1,
                 outputs=[error("IsADirectoryError", "[Errno 21] Is a directory: 'data'")]),
            expect_cells=[1],
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
        ),        "fires_before_a_magic_binds_it": nb(
            code("print(timed)  # expect: NB304", count=2),
            code("%time timed = sum(range(10))", count=1),
        ),
        "clean_after_run": nb(
            code("%run helpers.py", count=1),
            code("print(load)", count=2),  # %run may define anything
            code("load = 1", count=3),
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
        ),        "clean_bound_by_magics_and_dynamic_code": nb(
            code("%time X = sum(range(10))", count=1),
            code("%%capture --no-stderr out\nprint(X)", count=2),
            code("%%timeit data = list(range(10))\nsorted(data)", count=3),
            code("%%bigquery --project p df\nSELECT 1", count=4),
            code("%%bash --out listing\nls", count=5),
            code("exec('made = 1')\n\ndef setup():\n    global conf\n    conf = 2\nsetup()", count=6),
            code("print(out, df, listing, made, conf)", count=7),
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
    # Execution-only rules: their fixtures run in a fresh kernel (execute=True, as
    # `nb2prod lint --execute`; reproduce=True, as `--reproduce`).
    "NB307": {
        "fires": nb(
            code("print(model)  # expect: NB307", count=2, outputs=[stream("logistic\n")]),
            code("model = 'logistic'", count=1),
            execute=True,
        ),
        "fires_stops_at_first_failure": nb(
            md("# Stops at the first failure"),
            code("x = 1"),
            code("y = x + 1\nz = y / 0  # expect: NB307"),
            code("undefined_name  # not reached"),
            execute=True,
        ),
        "clean": nb(
            code("model = 'logistic'", count=1),
            code("print(model)", count=2, outputs=[stream("logistic\n")]),
            code("1 / 0", tags=["raises-exception"]),
            code("plot(model)", tags=["skip"]),
            code("# nb2prod: skip\nshow(model)"),
            code("print('still runs')"),
            execute=True,
        ),
    },
    "NB308": {
        "fires": nb(
            code("import random"),
            code("print(random.random())"),
            code("print('stable')"),
            expect_cells=[2],
            reproduce=True,
        ),
        "clean": nb(
            code("import random\nrandom.seed(0)"),
            code("print(random.random())"),
            code("print(object())  # a memory address"),
            code("%time total = sum(range(1000))"),
            code("import time\nt0 = time.time()\nprint(f'took {time.time() - t0:.4f}s')"),
            code("for i in range(3):\n    print(f'\\r{i + 1}/3 done', end='')\nprint()"),
            reproduce=True,
        ),
    },
    "NB309": {
        "fires": nb(
            code("x = 1 + 1\nx", count=1, outputs=[result("3", count=1)]),
            code("print('same')", count=2, outputs=[stream("same\n")]),
            expect_cells=[1],
            reproduce=True,
        ),
        "clean": nb(
            code("x = 1 + 1\nx", count=7, outputs=[result("2", count=7)]),
            code("print(object())", count=8, outputs=[stream("<object object at 0x7f3a2b1c0d10>\n")]),
            code("import random\nprint(random.random())", count=9, outputs=[stream("0.5\n")]),  # NB308's
            code("print('never run when saved')"),
            reproduce=True,
        ),
    },
    "NB310": {
        "fires": nb(
            code("print('hello')"),
            metadata={**PY_META, "kernelspec": {"name": "no-such-kernel", "language": "python",
                                                "display_name": "gone"}},
            expect_cells=[1],
            execute=True,
        ),
        "fires_timeout": nb(
            code("x = 1"),
            code("while True:\n    pass"),
            code("print(x)"),
            expect_cells=[2],
            execute=True,
        ),
        "clean": nb(
            code("print('hello')"),
            code("import time\ntime.sleep(0.1)"),
            execute=True,
        ),
    },
}
