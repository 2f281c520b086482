"""Fixtures for NB5xx (portability)."""

from _spec import code, md, nb

FIXTURES = {
    "NB501": {
        "fires": nb(
            code("import pandas as pd\n"
                 "df = pd.read_csv('/Users/jake/Downloads/iris.csv')  # expect: NB501\n"
                 "CACHE = '~/data/cache'  # expect: NB501\n"
                 "WIN = r'C:\\Users\\jake\\data.csv'  # expect: NB501\n"
                 "model_dir = '/home/jake/models/'  # expect: NB501"),
            code("print(1)\n!ls -l /home/jake/data  # expect: NB501"),
            code("DRIVE = '/content/drive/MyDrive/iris.csv'  # expect: NB501", tags=["skip"]),
            code("x = open(f'/root/{name}.txt')  # expect: NB501\n"
                 "y = 'c:/users/jake/notes.txt'  # expect: NB501"),
            code("import os\nos.chdir('/Users/alice/x')  # expect: NB501\n"
                 "s = 'é'; t = '/home/zoë/data.csv'  # expect: NB501"),
        ),
        "fires_cell_magic": nb(
            code("%%writefile /Users/jake/helpers.py\ndef f():\n    return 1"),
            expect_cells=[1],
        ),
        # Paths built on the home folder at run time.
        "fires_home_built": nb(
            code("import os\nfrom pathlib import Path\n"
                 "data = Path.home() / 'data' / 'iris.csv'  # expect: NB501\n"
                 "p = os.path.join(os.path.expanduser('~'), 'datasets')  # expect: NB501\n"
                 "q = Path.home().joinpath('models')  # expect: NB501\n"
                 "r = f'{Path.home()}/notes/x.txt'  # expect: NB501\n"
                 "s = str(Path.home()) + '/Downloads/y.csv'  # expect: NB501"),
        ),
        "clean_home_tools": nb(
            code("import os\nfrom pathlib import Path\n"
                 "kaggle = Path.home() / '.kaggle' / 'kaggle.json'\n"
                 "cache = os.path.join(os.path.expanduser('~'), '.cache')\n"
                 "home = Path.home()\nprint(Path.home())"),
        ),
        "clean": nb(
            code("import pandas as pd\n"
                 "df = pd.read_csv('data/iris.csv')\n"
                 "url = 'https://example.com/home/index.html'\n"
                 "page = 'http://example.com/~jake/index.html'\n"
                 "home = '/homework/answers.csv'\n"
                 "rel = 'home/jake/notes.txt'\n"
                 "flags = df.query('~flag')\n"
                 "tilde = '~'\n"
                 "route = '/users/42'"),
            md("Data lives in `/Users/jake/data` on my laptop."),
        ),
    },
    "NB502": {
        "fires": nb(
            code("import os\nimport joblib\nimport pandas as pd\nfrom pathlib import Path\n"
                 "df = pd.read_csv('/data/projects/iris.csv')  # expect: NB502\n"
                 "fh = open('/srv/models/m.pkl', 'rb')  # expect: NB502\n"
                 "joblib.dump(df, '/opt/models/m.joblib')  # expect: NB502\n"
                 "df.to_csv(f'/mnt/out/{len(df)}.csv')  # expect: NB502\n"
                 "p = os.path.join('/kaggle/input', 'train.csv')  # expect: NB502\n"
                 "q = Path('/var/data') / 'x.csv'  # expect: NB502\n"
                 "r = pd.read_csv('/data/%s.csv' % 'iris')  # expect: NB502"),
            code("DATA_DIR = '/data/iris'  # expect: NB502\n"
                 "WIN = 'D:\\\\datasets\\\\iris.csv'  # expect: NB502\n"
                 "dataset = ImageFolder(root='/datasets/images')  # expect: NB502\n"
                 "sdf = spark.read.csv('/mnt/raw/events')  # expect: NB502"),
            code("s = 'é'; fh = open(' /srv/données/x.csv ')  # expect: NB502"),
        ),
        "fires_writefile": nb(
            code("%%writefile /srv/app/helpers.py\ndef f():\n    return 1"),
            expect_cells=[1],
        ),
        # An absolute path kept in a variable (of any name), then used as a path; Colab's
        # and Kaggle's folders; sys.path.
        "fires_variable_and_platforms": nb(
            code("import os\nimport sys\nimport pandas as pd\nfrom pathlib import Path\n"
                 "root = '/srv/projects/iris'  # expect: NB502\n"
                 "if True:\n    base = '/mnt/shared'  # expect: NB502\n"
                 "df = pd.read_csv(root + '/iris.csv')\n"
                 "imgs = os.listdir(os.path.join(base, 'images'))\n"
                 "out = Path(base) / 'out'\n"
                 "colab = pd.read_csv('/content/sample_data/mnist_test.csv')  # expect: NB502\n"
                 "kaggle = pd.read_csv(f'/kaggle/input/titanic/{split}.csv')  # expect: NB502\n"
                 "sys.path.append('/opt/tools/lib')  # expect: NB502"),
        ),
        "clean": nb(
            code("import os\nimport re\nimport requests\nimport pandas as pd\nfrom pathlib import Path\n"
                 "BASE = 'http://localhost:8000'\n"
                 "r = requests.post(BASE + '/predict', json={})\n"
                 "ROUTE_PREFIX = '/api/v1'\n"
                 "API_PATH = '/api/v1/predict'\n"
                 "pattern = re.compile(r'^/api/v\\d+/')\n"
                 "regex = r'x:\\s*(\\d+)'\n"
                 "tmp = open('/tmp/scratch.txt', 'w')\n"
                 "null = open('/dev/null')\n"
                 "df = pd.read_csv('data/iris.csv')\n"
                 "out = open(BASE_DIR + '/out.csv', 'w')\n"
                 "top = list(os.walk('/'))\n"
                 "root = Path('/')\n"
                 "home = pd.read_csv('/Users/jake/iris.csv')\n"
                 "remote = pd.read_csv('https://example.org/data/iris.csv')\n"
                 "label = '/not/a/file/argument'\n"
                 "on_kaggle = os.path.exists('/kaggle/input')"),
        ),
        "clean_variables": nb(
            code("import os\nimport pandas as pd\nimport requests\n"
                 "route = '/api/v1/predict'\nr = requests.post('http://localhost:8000' + route)\n"
                 "scratch = '/tmp/work'\nopen(scratch + '/x.txt', 'w')\n"
                 "shown = '/srv/data'\nprint(shown)\n"
                 "rel = 'data'\ndf = pd.read_csv(rel + '/iris.csv')\n"
                 "pattern = '/users/(\\d+)'\nmsg = f'{pattern} matched'"),
        ),
    },
    "NB503": {
        "fires": nb(
            code("import os\nos.chdir('data')  # expect: NB503"),
            code("%cd ..  # expect: NB503\nx = 1\n%pushd /srv  # expect: NB503"),
            code("from os import chdir\nchdir('..')  # expect: NB503", tags=["skip"]),
            code("def go(path):\n    os.chdir(path)  # expect: NB503"),
        ),
        "clean": nb(
            code("import os\nfrom pathlib import Path\nhere = os.getcwd()\ncwd = Path.cwd()"),
            code("!cd data && ls"),
            code("def chdir(path):\n    return path\nchdir('x')"),
            code("%pwd"),
        ),
    },
    "NB504": {
        "fires": nb(
            code("!mkdir -p out  # expect: NB504\nfiles = !ls  # expect: NB504\n"
                 "for f in files:\n    !cp {f} out/  # expect: NB504"),
            code("!ls data > listing.txt  # expect: NB504\n!nvidia-smi && rm -rf cache  # expect: NB504\n"
                 "!git clone https://example.org/repo.git  # expect: NB504"),
            code("%system echo hi  # expect: NB504\n%sx date  # expect: NB504\n%rm -f out.txt  # expect: NB504"),
            code("x = 1\nget_ipython().system('wget -q https://example.org/x.csv')  # expect: NB504"),
            code("%%time\n!sleep 1  # expect: NB504"),
            code("!apt-get install -y graphviz  # expect: NB504"),
        ),
        "fires_bash_cell": nb(
            code("%%bash\nmkdir -p out\nls out"),
            code("%%script bash\necho hi"),
            code("%%python2\nprint 'hi'"),
            expect_cells=[1, 2, 3],
        ),
        "clean": nb(
            code("!pip install numpy==1.26.4\n%pip install pandas==2.2.0\n"
                 "!{sys.executable} -m pip install scikit-learn==1.4.0\n!conda install -y scipy=1.12\n"
                 "!python -m pip install joblib==1.3.2\n!uv pip install rich==13.7.0"),
            code("!ls -lh", tags=["skip"]),
            code("%%bash\nls", tags=["skip"]),
            code("%matplotlib inline\n%timeit sum(range(10))"),
            code("%%html\n<b>hi</b>"),
            code("import subprocess\nsubprocess.run(['git', 'rev-parse', 'HEAD'], check=True)"),
        ),
        "clean_commands_that_only_show": nb(
            code("!ls -lh\n!nvidia-smi\n!head -n 5 data/train.csv | cut -d, -f1\n!pwd && du -sh data\n"
                 "!git log -1 --oneline\n!saved_model_cli show --dir model --all\n!python --version\n"
                 "!CUDA_VISIBLE_DEVICES=0 nvidia-smi -L\n%ls data\nfor f in ['a', 'b']:\n    !echo {f}"),
        ),
    },
    "NB505": {
        "fires": nb(
            code("%run helpers.py  # expect: NB505\n%load snippet.py  # expect: NB505\n"
                 "model = 1\n%store model  # expect: NB505\n%env DATA_DIR=/data  # expect: NB505"),
            code("%sql SELECT 1  # expect: NB505\n%bookmark proj /srv/proj  # expect: NB505"),
            code("x = 1\nget_ipython().run_line_magic('run', 'other.ipynb')  # expect: NB505"),
        ),
        "fires_cell_magics": nb(
            code("%%writefile helpers.py\ndef clean(x):\n    return x"),
            code("%%R\nsummary(cars)"),
            expect_cells=[1, 2],
        ),
        "clean": nb(
            code("%matplotlib inline\n%config InlineBackend.figure_format = 'retina'\n"
                 "%load_ext autoreload\n%autoreload 2\n%precision 3\n%time x = sum(range(10))\n"
                 "%timeit sum(range(10))\n%env\n%env HOME\n%store\n%xmode Plain\n%who"),
            code("%%capture out\nprint('hidden')"),
            code("%%time\ny = 2"),
            code("%%html\n<b>hi</b>"),
            code("%pip install numpy==1.26.4\n%conda install scipy=1.12\n%cd ..\n!ls"),
            code("%run exploration.py", tags=["skip"]),
            code("len?"),
            code("%load_ext line_profiler\n%lprun -f len len([1])\n%prun sum(range(3))"),
        ),
    },
    "NB506": {
        "fires": nb(
            code("import os\nimport sys\nimport pandas as pd\n"
                 "df = pd.read_csv('../shared/iris.csv')  # expect: NB506\n"
                 "p = os.path.join('..', 'data', 'x.csv')  # expect: NB506\n"
                 "sys.path.append('../../lib')  # expect: NB506\n"
                 "q = 'data/../../other/x.csv'  # expect: NB506\n"
                 "w = pd.read_csv('..\\\\win\\\\x.csv')  # expect: NB506"),
            code("%run -i ../helpers.py  # expect: NB506"),
            code("!cd data && cp ../../outside/x.csv .  # expect: NB506\n"
                 "!cd .. && ls  # expect: NB506"),
        ),
        "clean": nb(
            code("import os\nimport pandas as pd\n"
                 "df = pd.read_csv('data/iris.csv')\n"
                 "same = pd.read_csv('./data/../data/iris.csv')\n"
                 "p = os.path.join('data', '..', 'models')\n"
                 "msg = 'Loading...'\n"
                 "dots = '...'\n"
                 "rng = 'a..b'\n"
                 "url = 'https://example.org/a/../b.csv'\n"
                 "absolute = '/srv/../data.csv'"),
            code("!cd demos/app && zip -r ../app.zip . -x '*.pyc'\n"
                 "!cd $WORK; cp ../x.csv .\n"
                 "!cd /srv/app && cat ../../etc/x.conf"),
        ),
    },
}
