"""Fixtures for NB7xx (structure and build)."""

from _spec import code, md, nb, raw, stream

_BIG = "x" * 1_100_000


def _invalid_cell():
    cell = code("x = 1")
    cell["bogus_property"] = True  # not allowed by the nbformat v4 schema
    return cell


FIXTURES = {
    "NB701": {
        "fires": nb(
            code("df = pd.read_csv('iris.csv')  # expect: NB701"),
            code("def f():\n    return undefined_helper()  # expect: NB701", count=1),
        ),
        "clean": nb(
            code("import pandas as pd\ndf = pd.read_csv('iris.csv')"),
            code("%matplotlib inline\ndisplay(df)\nget_ipython()\nprint(_1, In, Out)"),
            code("%%capture captured\nprint('hi')"),
            code("print(captured)"),
        ),
        "clean_star_import": nb(
            code("from math import *\nprint(sqrt(2))"),
        ),
        "fires_in_magic_argument": nb(
            code("%timeit undefined_fn(3)  # expect: NB701"),
        ),
        "clean_bound_by_magics": nb(
            code("%time X = sum(range(10))"),
            code("%%capture --no-stderr out\nprint(X)"),
            code("%%R -o rdf\nrdf <- data.frame()"),
            code("%%cython\ncpdef double twice(double x):\n    return 2 * x"),
            code("globals()['made'] = 1"),
            code("print(out, rdf, twice(1.0), made)"),
        ),
    },
    "NB702": {
        "clean_install_then_import_again": nb(
            code("try:\n    import torchmetrics\nexcept:\n    !pip install -q torchmetrics==1.4.0\n"
                 "    import torchmetrics"),
            code("from torchmetrics import Accuracy\nacc = Accuracy(task='binary')"),
        ),
        "fires": nb(
            code("import os  # expect: NB702\nimport numpy as np"),
            code("x = np.zeros(3)"),
        ),
        "clean": nb(
            code("import numpy as np"),
            code("x = np.zeros(3)"),
            code("import seaborn  # noqa: NB702"),
        ),
        "fires_not_a_side_effect_import": nb(
            code("import hvplot  # expect: NB702\nimport seaborn  # expect: NB702"),
        ),
        "clean_side_effects_magics_and_availability_checks": nb(
            code("from sklearn.experimental import enable_halving_search_cv\n"
                 "from mpl_toolkits.mplot3d import Axes3D\nimport hvplot.pandas\nimport numpy as np"),
            code("try:\n    import google.colab\n    IN_COLAB = True\nexcept ImportError:\n    IN_COLAB = False"),
            code("%timeit -n 10 np.zeros(3)"),
            code("import sys\n!{sys.executable} -m pip install numpy"),
        ),
    },
    "NB703": {
        "fires": nb(md("# Title"), code("   \n"), md(""), expect_cells=[2, 3]),
        "clean": nb(md("# Title"), code("x = 1")),
    },
    "NB704": {
        "fires": nb(
            code("print('x' * 1_100_000)", count=1, outputs=[stream(_BIG)]),
            code("for i in range(600): print(i)", count=2,
                 outputs=[stream("".join(f"{i}\n" for i in range(600)))]),
            expect_cells=[1, 2],
        ),
        "clean": nb(
            code("print('hello')", count=1, outputs=[stream("hello\n")]),
        ),
    },
    "NB705": {
        "fires": nb(code("import pandas as pd"), md("Some text without a heading")),
        "fires_no_markdown": nb(code("x = 1")),
        "clean": nb(md("# Iris classifier\nTrains a model."), code("x = 1")),
        "clean_setext": nb(md("Iris classifier\n===============\n"), code("x = 1")),
        "fires_title_only_after_code": nb(md("Some notes"), code("x = 1"), md("# Results"), expect_cells=[1]),
        "clean_banner_before_title": nb(
            md('<img src="cover.png">\n\n*An excerpt from the book*'),
            md("< [Previous](prev.ipynb) | [Next](next.ipynb) >"),
            md("# Combining datasets"),
            code("x = 1"),
        ),
        "clean_html_heading": nb(md('<div align="center"><h1>Iris classifier</h1></div>'), code("x = 1")),
        "clean_bold_first_line": nb(md("**Chapter 5 – Support Vector Machines**\n\n_This notebook contains..._"),
                                    code("x = 1")),
        "fires_bold_word_inside_text": nb(md("This uses **bold** words but has no title."), code("x = 1"),
                                          expect_cells=[1]),
    },
    "NB706": {
        "fires": nb(
            code("model = None"),
            code("result = model.predict([[1.0]])", tags=["predict"]),
            expect_cells=[2],
        ),
        "clean": nb(
            code("model = None"),
            code("def predict(x: float) -> float:\n    return model.predict([[x]])[0]", tags=["predict"]),
        ),
        "clean_comment_tag": nb(
            code("# nb2prod: predict\ndef predict(x: float) -> float:\n    return x"),
        ),
    },
    "NB707": {
        "fires": nb(
            code("# nb2prod: predcit\ndef predict(x):\n    return x"),
            code("x = 1", tags=["nb2prod:serv"]),
            expect_cells=[1, 2],
        ),
        "clean": nb(
            code("# nb2prod: predict\ndef predict(x):\n    return x"),
            code("x = 1", tags=["hide-input", "nb2prod:serve", "nb2prod:ignore:NB701"]),
        ),
    },
    "NB708": {
        "fires": nb(
            code("for x in range(3)  # expect: NB708\n    print(x)"),
        ),
        "clean": nb(
            code("%matplotlib inline\n!pip list\nfiles = !ls\nx?\n"),
            code("%%bash\necho $HOME | grep -v {{\n"),
            code("%%time\nx = sum(range(10))\n"),
        ),
    },
    "NB709": {
        "fires": nb(code("predict(5.1, 3.5)", tags=["example"]), expect_cells=[1]),
        "clean": nb(
            code("example = {'sepal_length': 5.1}", tags=["example"]),
            code("examples = [{'sepal_length': 5.1}]", tags=["example"]),
        ),
    },
    "NB710": {
        "fires": nb(code("X_train.describe()", tags=["reference"]), expect_cells=[1]),
        "clean": nb(code("reference = X_train", tags=["reference"])),
    },
    "NB711": {
        "fires": nb(
            code("def predict(x):\n    return x", tags=["predict", "skip"]),
            code("def predict(x):\n    return 2 * x", tags=["predict"]),
            expect_cells=[1, 2],
        ),
        "clean": nb(
            code("def predict(x):\n    return x", tags=["predict"]),
            code("import matplotlib", tags=["skip"]),
        ),
    },
    "NB712": {
        "fires": nb(code("def clean(x):\n    return x", tags=["serve"]), expect_cells=[1]),
        "clean": nb(
            code("def clean(x):\n    return x", tags=["serve"]),
            code("def predict(x):\n    return clean(x)", tags=["predict"]),
        ),
        "clean_untagged": nb(code("x = 1")),
    },
    "NB713": {
        "fires": nb(
            code("import pandas as pd\ndf = pd.DataFrame()"),
            code("import seaborn as sns  # expect: NB713\nsns.set()"),
        ),
        "fires_after_a_value_computed_from_data": nb(
            code("from pathlib import Path\nROOT = Path() / 'data'\nrows = open(ROOT / 'x.csv').read().split()"),
            code("import numpy as np  # expect: NB713\nX = np.array(rows)"),
        ),
        "clean_after_setup_of_paths_helpers_and_devices": nb(
            code("import sys\nfrom pathlib import Path\nimport torch\n"
                 "from IPython.core.magic import register_cell_magic"),
            code("IMAGES_PATH = Path() / 'images' / 'svm'\nIMAGES_PATH.mkdir(parents=True, exist_ok=True)\n\n"
                 "def save_fig(fig_id):\n    return IMAGES_PATH / f'{fig_id}.png'\n\n"
                 "@register_cell_magic\ndef backend(line, cell):\n    pass"),
            code("language = 'is'\nmodel_dir = 'distilgpt2' + f'-pretrained-{language}'\n"
                 "device = 'cuda' if torch.cuda.is_available() else 'cpu'"),
            code("import numpy as np\nX = np.ones(3)"),
        ),
        "clean": nb(
            code("import pandas as pd\nimport seaborn as sns"),
            code("df = pd.DataFrame()\nsns.set()"),
            code("import numpy as np\ndef predict(x):\n    return np.log(x)", tags=["predict"]),
        ),
        "fires_once_per_new_package": nb(
            code("import pandas as pd\ndf = pd.DataFrame()"),
            code("import seaborn as sns  # expect: NB713\nimport pandas as pd\nfrom seaborn import load_dataset"),
            code("from sklearn.linear_model import Ridge  # expect: NB713\nmodel = Ridge()"),
            code("from sklearn.metrics import r2_score\nimport sklearn"),
        ),
        "clean_reimports_and_environment_checks": nb(
            code("import sys\nimport sklearn\nassert sys.version_info >= (3, 8)\n"
                 "assert sklearn.__version__ >= '1.0'\nprint(sklearn.__version__)"),
            code("import os\nos.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\nSEED = 42\nDATA = 'data/iris.csv'\n"
                 "if sys.version_info < (3, 8):\n    raise RuntimeError('Python 3.8+')"),
            code("try:\n    import xgboost\nexcept ImportError:\n    %pip install xgboost"),
            code("import pandas as pd\ndf = pd.read_csv(DATA)"),
            code("import os.path\nimport pandas as pd\nfrom sklearn.linear_model import Ridge\n"
                 "import xgboost as xgb"),
        ),
    },
    "NB715": {
        "fires": nb(
            code("x = 0\n" + "x += 1\n" * 100, count=1),
            expect_cells=[1],
        ),
        "clean": nb(
            code("x = 0\n" + "x += 1\n" * 99 + "\n# a comment\n" * 50),
            code("%%writefile module.py\n" + "x = 1\n" * 200),
            code("%%html\n" + "<p>x</p>\n" * 200),
        ),
    },
    "NB714": {
        "fires": nb(_invalid_cell(), raw("raw"), md("# T")),
        "clean": nb(md("# Title"), code("x = 1")),
    },
    "NB720": {
        "fires": nb(
            code("import random\nrandom.seed(0)\nx = random.random()  # noqa: NB101  # expect: NB720"),
            code("y = 1  # expect: NB720", tags=["nb2prod:ignore:NB303"]),
            code("z = 2  # noqa: NB999  # expect: NB720"),
            also_select=["NB101", "NB303"],
        ),
        "clean": nb(
            code("import os  # noqa: NB702"),
            code("w = 3  # noqa: E501"),
            code("1/0  # noqa"),
            also_select=["NB702"],
        ),
    },
}
