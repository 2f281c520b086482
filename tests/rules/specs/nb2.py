"""Fixtures for NB2xx (environment). Each case directory is its own repository root,
so the dependency files given in ``files`` sit next to the notebook."""

from _spec import PY_META, code, md, nb

PINNED = "pandas==2.2.2\nnumpy==1.26.4\n"

FIXTURES = {
    "NB201": {
        "fires": nb(
            code("import pandas as pd\nfrom sklearn.linear_model import LogisticRegression  # expect: NB201"),
            code("import sklearn.datasets\nimport cv2  # expect: NB201"),
            files={"requirements.txt": PINNED},
        ),
        "fires_wrong_distribution_name": nb(
            code("from sklearn import svm  # expect: NB201"),
            files={"requirements.txt": "sklearn==0.17.1\n"},
        ),
        "fires_pyproject": nb(
            code("import numpy as np\nimport yaml  # expect: NB201\nimport requests"),
            files={"pyproject.toml": (
                '[project]\nname = "demo"\nversion = "0.1"\ndependencies = ["numpy==1.26.4"]\n\n'
                '[project.optional-dependencies]\nweb = ["requests==2.32.3"]\n'
            )},
        ),
        "fires_installed_only_in_notebook": nb(
            code("%pip install xgboost==2.1.1"),
            code("import xgboost  # expect: NB201"),
            files={"requirements.txt": PINNED},
        ),
        "fires_extension": nb(
            code("%load_ext autoreload\n%load_ext memory_profiler  # expect: NB201\n%load_ext helpers"),
            code("import numpy as np"),
            files={"requirements.txt": PINNED, "helpers.py": "def load_ipython_extension(ip):\n    pass\n"},
        ),
        "fires_namespace_package": nb(
            code("from google.cloud import storage  # expect: NB201\nfrom google.protobuf import json_format"),
            files={"requirements.txt": "protobuf==5.27.2\ngoogle-cloud-bigquery==3.25.0\n"},
        ),
        "clean": nb(
            code(
                "import os, sys, json\nfrom . import sibling\nimport helpers\nimport mypkg.core\n"
                "from IPython.display import display"
            ),
            code(
                "import sklearn\nimport cv2\nfrom PIL import Image\nimport yaml\nfrom bs4 import BeautifulSoup\n"
                "import pandas as pd\nfrom dateutil import parser"
            ),
            code("try:\n    import ujson as json\nexcept ImportError:\n    import simplejson as json"),
            code("try:\n    import google.colab\n    IN_COLAB = True\n"
                 "except ModuleNotFoundError:\n    IN_COLAB = False"),
            files={
                "requirements.txt": (
                    "# the service's dependencies\n-r requirements/base.txt\n"
                    "scikit-learn==1.5.1 ; python_version >= '3.9'\n"
                    "opencv-python-headless==4.10.0.84 --hash=sha256:0000\n"
                    "Pillow==10.4.0\nPyYAML==6.0.2\n"
                ),
                "requirements/base.txt": "beautifulsoup4==4.12.3\npython_dateutil==2.9.0\npandas[excel]==2.2.2\n",
                "helpers.py": "def f():\n    return 1\n",
                "mypkg/__init__.py": "",
                "mypkg/core.py": "X = 1\n",
            },
        ),
        "clean_conda": nb(
            code("import torch\nimport xgboost\nimport numpy as np\nimport requests"),
            files={"environment.yml": (
                "name: demo\nchannels: [pytorch, conda-forge]\ndependencies:\n"
                "  - python=3.11\n  - pytorch::pytorch=2.3.1\n  - py-xgboost=2.1.1\n  - numpy==1.26.4\n"
                "  - pip\n  - pip:\n    - requests==2.32.3\n"
            )},
        ),
        "clean_poetry_and_pipfile": nb(
            code("import pandas as pd\nimport matplotlib.pyplot as plt\nimport pytest\nimport seaborn"),
            files={
                "pyproject.toml": (
                    '[tool.poetry]\nname = "demo"\n\n[tool.poetry.dependencies]\npython = "^3.10"\n'
                    'pandas = "2.2.2"\nmatplotlib = { version = "3.9.1", extras = ["all"] }\n\n'
                    '[tool.poetry.group.dev.dependencies]\npytest = "8.3.2"\n'
                ),
                "Pipfile": '[packages]\nseaborn = "==0.13.2"\n',
            },
        ),
        "clean_sys_path": nb(
            code("import sys\nsys.path.append('src')\nimport pandas\nimport features"),
            files={"requirements.txt": "pandas==2.2.2\n", "src/features/__init__.py": ""},
        ),
        "clean_no_dependency_file": nb(
            code("import pandas as pd  # NB203's business, not NB201's"),
        ),
    },
    "NB202": {
        "fires": nb(
            code("import pandas as pd  # expect: NB202\nimport numpy as np\nfrom sklearn import svm  # expect: NB202"),
            code("import pandas.plotting"),
            files={"requirements.txt": "pandas>=1.5\nnumpy==1.26.4\nscikit-learn~=1.5\n"},
        ),
        "fires_poetry_caret": nb(
            code("import pandas  # expect: NB202"),
            files={"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.10"\npandas = "^2.2"\n'},
        ),
        "fires_pipfile_star": nb(
            code("import requests  # expect: NB202"),
            files={"Pipfile": '[packages]\nrequests = "*"\n\n[requires]\npython_version = "3.11"\n'},
        ),
        "fires_conda_unpinned": nb(
            code("import numpy  # expect: NB202\nimport scipy"),
            files={"environment.yml": "dependencies:\n  - numpy>=1.26\n  - scipy=1.14.0\n"},
        ),
        # conda's `=1.26` is 1.26.* (a fuzzy match), not a pin; a VCS URL with no ref
        # (or a branch) moves.
        "fires_conda_fuzzy_and_vcs_branch": nb(
            code("import numpy as np  # expect: NB202\nimport scipy\nimport pandas\nimport tool  # expect: NB202"),
            files={"environment.yml": (
                "dependencies:\n  - numpy=1.26\n  - scipy=1.14.0=py311h0\n  - pandas==2.2.2\n"
                "  - pip\n  - pip:\n    - tool @ git+https://github.com/org/tool@main\n"
            )},
        ),
        "clean": nb(
            code("import pandas as pd\nimport mylib\nimport numpy as np"),
            files={"requirements.txt": (
                "pandas===2.2.2\nmylib @ https://example.com/mylib-1.0-py3-none-any.whl\n"
                "numpy==1.26.4 ; python_version < '3.13'\n"
            )},
        ),
        "clean_lock_file": nb(
            code("import pandas as pd"),
            files={"pyproject.toml": '[project]\nname = "demo"\ndependencies = ["pandas>=2"]\n',
                   "uv.lock": "version = 1\n"},
        ),
        "clean_constraints": nb(
            code("import pandas as pd"),
            files={"requirements.txt": "pandas\n-c constraints.txt\n", "constraints.txt": "pandas==2.2.2\n"},
        ),
        "clean_compiled_requirements": nb(
            code("import pandas as pd"),
            files={"requirements.in": "pandas\n", "requirements.txt": "pandas==2.2.2\n    # via -r requirements.in\n"},
        ),
    },
    "NB203": {
        "fires": nb(
            md("# Train"),
            code("import os\nimport pandas as pd  # expect: NB203\nimport sklearn"),
        ),
        "fires_invalid_toml": nb(
            code("import pandas as pd  # expect: NB203"),
            files={"pyproject.toml": '[project]\ndependencies = ["pandas==2.2.2"\n'},
        ),
        "fires_pyproject_without_dependencies": nb(
            code("import numpy  # expect: NB203"),
            files={"pyproject.toml": '[tool.black]\nline-length = 100\n'},
        ),
        "clean": nb(
            code("import pandas as pd"),
            files={"requirements.txt": "pandas==2.2.2\n"},
        ),
        "clean_stdlib_only": nb(
            code("import os\nimport json\nfrom collections import Counter\nfrom . import local"),
        ),
        "clean_optional_import_only": nb(
            code("try:\n    import ujson as json\nexcept ImportError:\n    import json"),
        ),
    },
    "NB204": {
        "fires": nb(
            code("%pip install -q xgboost==2.1.1 pandas  # expect: NB204"),
            code("!pip install -U torch 'scikit-learn>=1.5' > /dev/null  # expect: NB204"),
            code("%%capture\n!pip install lightgbm  # expect: NB204"),
            code("%conda install -y -c conda-forge numpy=1.26 scipy  # expect: NB204"),
        ),
        "fires_bash_cell": nb(
            code("%%bash\nset -e\npip install --quiet requests  # expect: NB204\n"),
        ),
        # `-r FILE` (a file NB202 does not judge) with unpinned packages; a VCS URL at a branch.
        "fires_requirements_file_and_vcs": nb(
            code("%pip install -q -r colab/reqs.txt  # expect: NB204\n"
                 "!pip install git+https://github.com/huggingface/transformers  # expect: NB204\n"
                 "!pip install -q 'git+https://github.com/org/tool.git@main'  # expect: NB204"),
            files={"requirements.txt": PINNED, "colab/reqs.txt": "torch\ntransformers==4.44.0\n"},
        ),
        "clean": nb(
            code("%pip install xgboost==2.1.1 -r requirements.txt"),
            code("!pip install --upgrade pip setuptools wheel\n!pip install -e ."),
            code("!pip install git+https://github.com/example/lib.git@v1.2.0"),
            code("%conda install -y numpy=1.26.4\n!pip list\n!apt-get install -y graphviz"),
            code("!{sys.executable} -m pip install polars==1.2.1"),
        ),
        "clean_requirements_file_and_vcs": nb(
            code("%pip install -r colab/pinned.txt\n%pip install -r requirements.txt\n"
                 "!pip install -q transformers==4.30\n"
                 "!pip install git+https://github.com/org/tool@0123456789abcdef0123456789abcdef01234567\n"
                 "%conda install -y scipy=1.14.0=py311h0 pandas==2.2.2"),
            files={"requirements.txt": "pandas\n", "colab/pinned.txt": "torch==2.4.0\n"},
        ),
    },
    "NB205": {
        "fires": nb(
            code("x = 1"),
            metadata={"language_info": {"name": "python", "version": "3.11.7"}},
            expect_cells=[1],
        ),
        "fires_kernelspec_without_name": nb(
            code("x = 1"),
            metadata={"kernelspec": {"display_name": "Python 3"}},
            expect_cells=[1],
        ),
        "clean": nb(code("x = 1")),
        "clean_no_code": nb(md("# Notes only"), metadata={}),
    },
    "NB206": {
        "fires": nb(
            md("# Title"),
            code("x = 1"),
            metadata={"kernelspec": PY_META["kernelspec"]},
            expect_cells=[1],
        ),
        "fires_other_language": nb(
            code("x <- 1"),
            metadata={"kernelspec": {"name": "ir", "display_name": "R", "language": "R"},
                      "language_info": {"name": "R"}},
            expect_cells=[1],
        ),
        "clean": nb(code("x = 1")),
        "clean_no_code": nb(md("# Notes only"), code(""), metadata={}),
    },
}
