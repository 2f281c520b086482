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
                 "imdb = load_dataset('imdb')\n"  # a hub dataset: NB108's, not NB107's
                 "tips = sns.load_dataset('tips')  # expect: NB107"),
        ),
        # The URL is assigned inside a function, an `if`, a `for`, a `try`, as a default,
        # in a dict or a list, or built by an f-string with a constant base.
        "fires_url_built_elsewhere": nb(
            code("import pandas as pd\nimport numpy as np\nimport urllib.request\nimport requests\n"
                 "import polars as pl\nimport ray\nimport wget\nimport gdown\nimport tensorflow as tf\n"
                 "from torchvision.datasets.utils import download_url\nfrom datasets import load_dataset"),
            code("def load():\n"
                 "    url = 'https://example.com/data/iris.csv'\n"
                 "    return pd.read_csv(url)  # expect: NB107\n"
                 "def fetch(url='https://example.com/data/wine.csv'):\n"
                 "    urllib.request.urlretrieve(url, 'wine.csv')  # expect: NB107\n"
                 "def get(source):\n"
                 "    return np.loadtxt(source)  # expect: NB107\n"
                 "x = get('https://example.com/data/x.txt')"),
            code("if True:\n    SRC = 'https://raw.githubusercontent.com/acme/data/main/a.csv'\n"
                 "try:\n    a = pl.read_csv(SRC)  # expect: NB107\nexcept Exception:\n    a = None"),
            code("URLS = {'train': 'https://example.com/d/train.parquet', 'test': 'https://example.com/d/test.parquet'}\n"
                 "train = ray.data.read_parquet(URLS['train'])  # expect: NB107\n"
                 "for name, link in URLS.items():\n"
                 "    wget.download(link)  # expect: NB107\n"
                 "FILES = ['https://example.com/d/a.npy', 'https://example.com/d/b.npy']\n"
                 "for f in FILES:\n"
                 "    np.load(f)  # expect: NB107"),
            code("BASE = 'https://example.com/datasets'\n"
                 "name = 'cars'\n"
                 "cars = pd.read_json(f'{BASE}/{name}.json')  # expect: NB107\n"
                 "r = requests.get(BASE + '/export')\n"
                 "open('export.bin', 'wb').write(requests.get(BASE + '/export').content)  # expect: NB107\n"
                 "path = tf.keras.utils.get_file(origin=BASE + '/flowers.tgz')  # expect: NB107\n"
                 "download_url(BASE + '/mnist.gz', '.')  # expect: NB107\n"
                 "gdown.download('https://drive.google.com/uc?id=1AbC', 'w.zip')  # expect: NB107\n"
                 "ds = load_dataset('csv', data_files={'train': BASE + '/t.csv'})  # expect: NB107\n"
                 "hf = pd.read_csv('https://hf.co/datasets/acme/iris/resolve/main/iris-v2.csv')  # expect: NB107"),
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
                 "img = requests.get('http://images.cocodataset.org/val2017/000000039769.jpg', stream=True).raw\n"
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
        # Catalogues, Google Drive files, git clones, object stores, project helpers.
        "fires_catalogues_and_clones": nb(
            code("import nltk\nimport gdown\nimport tensorflow as tf\nimport pandas as pd\n"
                 "from helpers import download_data"),
            code("nltk.download('stopwords')  # expect: NB107\n"
                 "gdown.download(id='1O7m1010EJjLE5QxLZiM9Fpjs7Oj6e684', output='celeba.zip')  # expect: NB107\n"
                 "ds = tf.data.TFRecordDataset(['gs://someone-bucket/cola/train.tfrecords'])  # expect: NB107\n"
                 "df = pd.read_parquet('s3://public-bucket/events/part-0.parquet')  # expect: NB107\n"
                 "download_data(source='https://github.com/acme/data/raw/main/pizza.zip')  # expect: NB107"),
            code("!gdown --id 1O7m1010EJjLE5QxLZiM9Fpjs7Oj6e684  # expect: NB107\n"
                 "!git clone https://github.com/acme/tools  # expect: NB107"),
        ),
        "clean_catalogues_and_clones": nb(
            code("import nltk\nimport gdown\nimport pandas as pd\nfrom helpers import download_data, show_image"),
            code("nltk.download(pkg)\n"
                 "gdown.download(id='1O7m1010EJjLE5QxLZiM9Fpjs7Oj6e684', output='x.zip', hash='md5:abc')\n"
                 "df = pd.read_parquet('s3://bucket/events/v3/part-0.parquet')\n"
                 "download_data(source='https://github.com/acme/data/raw/v1.0/pizza.zip')\n"
                 "show_image('https://example.com/cat.csv')"),
            code("!git clone --branch v4.30.0 https://github.com/acme/lib\n"
                 "!git clone https://github.com/acme/tools\n"
                 "!cd tools && git checkout 3f2c9d1e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e"),
        ),
        # Pinned URLs built elsewhere, API calls, and URLs the linter cannot know.
        "clean_url_built_elsewhere": nb(
            code("import pandas as pd\nimport requests\nimport urllib.request\nimport ray\n"
                 "from datasets import load_dataset"),
            code("SHA = '3f2c9d1e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e'\n"
                 "def load(url=f'https://raw.githubusercontent.com/acme/data/{SHA}/iris.csv'):\n"
                 "    return pd.read_csv(url)\n"
                 "URLS = {'train': 'https://zenodo.org/records/42/files/train.csv',\n"
                 "        'test': 'https://github.com/acme/data/releases/download/v1.0/test.csv'}\n"
                 "for split, link in URLS.items():\n"
                 "    urllib.request.urlretrieve(link, split + '.csv')\n"
                 "doi = pd.read_csv('https://doi.org/10.5281/zenodo.42')\n"
                 "v = ray.data.read_csv('https://example.com/data/v3/iris.csv')"),
            code("API = 'https://api.example.com'\n"
                 "def users():\n"
                 "    return requests.get(API + '/users').json()\n"
                 "status = requests.get(f'{API}/status')\n"
                 "def read(url):\n"
                 "    return pd.read_csv(url)\n"
                 "df = read(input_url)\n"
                 "ds = load_dataset('csv', data_files='data/train.csv')"),
            code("try:\n    s = 'https://example.com/v2/iris.data'\n    df = pd.read_csv(s)\n"
                 "except OSError:\n    s = 'iris.data'\n    df = pd.read_csv(s)\n"
                 "s = 'https://example.com/iris.data'\ns = 'local/iris.data'\nlast = pd.read_csv(s)"),
        ),
    },
    "NB108": {
        "fires": nb(
            code("from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline\n"
                 "from datasets import load_dataset\nfrom huggingface_hub import hf_hub_download, snapshot_download\n"
                 "from sentence_transformers import SentenceTransformer\nimport timm\nimport torch"),
            code("checkpoint = 'distilbert-base-uncased'\n"
                 "tok = AutoTokenizer.from_pretrained(checkpoint)  # expect: NB108\n"
                 "model = AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=2)"
                 "  # expect: NB108\n"
                 "main = AutoTokenizer.from_pretrained('org/name', revision='main')  # expect: NB108"),
            code("clf = pipeline('sentiment-analysis')  # expect: NB108\n"
                 "ner = pipeline('ner', model='dslim/bert-base-NER')  # expect: NB108\n"
                 "imdb = load_dataset('imdb')  # expect: NB108\n"
                 "squad = load_dataset('rajpurkar/squad', split='train')  # expect: NB108"),
            code("def weights(repo='org/weights'):\n"
                 "    return hf_hub_download(repo, 'model.bin')  # expect: NB108\n"
                 "folder = snapshot_download(repo_id='org/model')  # expect: NB108\n"
                 "st = SentenceTransformer('all-MiniLM-L6-v2')  # expect: NB108\n"
                 "net = timm.create_model('resnet50', pretrained=True)  # expect: NB108\n"
                 "yolo = torch.hub.load('ultralytics/yolov5', 'yolov5s')  # expect: NB108\n"
                 "midas = torch.hub.load('intel-isl/MiDaS:master', 'MiDaS')  # expect: NB108"),
            code("import evaluate\n"
                 "bleurt = evaluate.load('lucadiliello/bleurt-score')  # expect: NB108\n"
                 "rouge = evaluate.load('someone/rouge', revision='main')  # expect: NB108"),
        ),
        "clean": nb(
            code("from transformers import AutoModel, AutoTokenizer, pipeline, Trainer, TrainingArguments\n"
                 "from datasets import load_dataset\nimport timm\nimport torch"),
            code("REV = '043235d6088ecd3dd5fb5ca3592b6913fd516027'\n"
                 "tok = AutoTokenizer.from_pretrained('distilbert-base-uncased', revision=REV)\n"
                 "tagged = AutoModel.from_pretrained('org/name', revision='v1.0')\n"
                 "local = AutoModel.from_pretrained('./my_model')\n"
                 "abs_local = AutoModel.from_pretrained('/models/bert')\n"
                 "project = AutoModel.from_pretrained('models/bert-finetuned')\n"
                 "cached = AutoModel.from_pretrained('org/name', local_files_only=True)\n"
                 "clf = pipeline('sentiment-analysis', model=tagged, tokenizer=tok)\n"
                 "pinned = pipeline('ner', model='dslim/bert-base-NER', revision=REV)\n"
                 "unknown = AutoModel.from_pretrained(model_name)"),
            code("args = TrainingArguments(output_dir='results')\n"
                 "tagged.save_pretrained('fine-tuned')\n"
                 "again = AutoModel.from_pretrained('fine-tuned')\n"
                 "best = AutoModel.from_pretrained('results/checkpoint-500')\n"
                 "name = checkpoint.split('/')[-1]\n"
                 "more = TrainingArguments(f'{name}-finetuned-imdb', push_to_hub=True)\n"
                 "tuned = AutoModel.from_pretrained('distilbert-finetuned-imdb')\n"
                 "files = load_dataset('csv', data_files='https://example.com/t.csv')\n"
                 "folder = load_dataset('imagefolder', data_dir='images')\n"
                 "ds = load_dataset('imdb', revision=REV)\n"
                 "net = timm.create_model('resnet50', pretrained=False)\n"
                 "own = timm.create_model('resnet50', pretrained=True, checkpoint_path='weights/resnet50.pth')\n"
                 "hub = torch.hub.load('ultralytics/yolov5:v7.0', 'yolov5s')\n"
                 "mine = torch.hub.load('./yolov5', 'custom', source='local')"),
            code("import evaluate\nfrom datasets import load_metric\n"
                 "local_metric = evaluate.load('./metrics/my_metric.py')\n"
                 "pinned_metric = evaluate.load('org/metric', revision=REV)\n"
                 "seqeval = evaluate.load('seqeval')\naccuracy = load_metric('accuracy')"),
            code("old = AutoModel.from_pretrained('bert-base-uncased')", tags=["skip"]),
        ),
    },
}
