"""Fixtures for NB1xx rules about data and models fetched from elsewhere (NB107 onwards)."""

from _spec import code, md, nb

FIXTURES = {
    "NB107": {
        "fires": nb(
            code("import pandas as pd\nimport numpy as np\n"
                 "BASE = 'https://raw.githubusercontent.com/acme/data/master'"),
            code("iris = pd.read_csv(BASE + '/iris.csv')  # expect: NB107\n"
                 "wine = pd.read_csv('https://github.com/acme/data/blob/main/wine.csv?raw=true')  # expect: NB107\n"
                 "cars = np.genfromtxt('https://archive.ics.uci.edu/ml/auto-mpg.data')  # expect: NB107"),
            code("!wget https://raw.githubusercontent.com/acme/data/main/extra.csv  # expect: NB107"),
        ),
        "fires_catalogues": nb(
            code("from sklearn.datasets import fetch_openml\nfrom datasets import load_dataset\n"
                 "import seaborn as sns"),
            code("titanic = fetch_openml('titanic')  # expect: NB107\n"
                 "imdb = load_dataset('imdb')  # expect: NB107\n"
                 "tips = sns.load_dataset('tips')  # expect: NB107"),
        ),
        "clean": nb(
            md("# Data"),
            code("import pandas as pd\nimport pooch\nimport requests\nfrom tensorflow import keras\n"
                 "from sklearn.datasets import fetch_openml\nfrom datasets import load_dataset"),
            code("a = pd.read_csv('https://raw.githubusercontent.com/acme/data/"
                 "3f2c9d1e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e/iris.csv')\n"
                 "b = pd.read_csv('https://raw.githubusercontent.com/acme/data/v1.2.0/iris.csv')\n"
                 "c = pd.read_csv('https://github.com/acme/data/releases/download/v2/iris.csv')\n"
                 "d = pd.read_csv('https://zenodo.org/records/123456/files/iris.csv')\n"
                 "e = pd.read_csv('data/iris.csv')\n"
                 "f = pooch.retrieve('https://example.com/iris.csv', known_hash='sha256:abc')\n"
                 "g = keras.utils.get_file('iris.csv', 'https://example.com/iris.csv', file_hash='abc')\n"
                 "h = requests.get('https://api.example.com/users')\n"
                 "i = pd.read_csv('https://example.com/data/2024-01-31/iris.csv')\n"
                 "j = fetch_openml('titanic', version=1)\n"
                 "k = fetch_openml(data_id=40945)\n"
                 "m = load_dataset('imdb', revision='e6281661ce1c48d982bc483cf8a173c1bbeb5d31')\n"
                 "n = load_dataset('csv', data_files='train.csv')"),
            code("!curl https://api.example.com/status"),
            code("old = pd.read_csv('https://raw.githubusercontent.com/acme/data/master/iris.csv')", tags=["skip"]),
        ),
    },
}
