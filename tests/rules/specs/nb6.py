"""Fixtures for NB6xx (security and privacy).

Every secret here is fake: built to match a format, or a vendor's documented example.
They are assembled from pieces so that this file itself does not look like a leak.
"""

from _spec import code, display, md, nb, raw, result, stream

AWS_ID = "AKIA" + "2E0A8F3B244C9986"
AWS_SECRET = "q8vRt3kQ1wJalrXUtnFE" + "MI/K7MDENG/bPxRfiCYz"
GITHUB = "ghp_" + "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5"
SLACK = "xoxb-" + "2401234567-2401234567890-" + "aB3dE5fG7hI9jK1lM3nO5pQ7"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
GOOGLE = "AIza" + "SyD3x9Kq2Lm9Np4Rs7Tv1Wy5Zb8Cd2Ef6Gh"
HF = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh"
JWT = "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiI0MiJ9.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
HEX_KEY = "f3a9c1d2e4b5a6c7" + "d8e9f0a1b2c3d4e5"
PEM = (
    "-----BEGIN RSA " + "PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAx3b9Kq2Lm9Np4Rs7Tv1Wy5Zb8Cd2Ef6GhJ3kL5mN7pQ9rS1tU3vW5xY7zA9bC1dE3\n"
    "fG5hI7jK9lM1nO3pQ5rS7tU9vW1xY3zA5bC7dE9fG1hI3jK5lM7nO9pQ1rS3tU5vW7xY9zA1bC3dE5\n"
    "-----END RSA " + "PRIVATE KEY-----"
)

FIXTURES = {
    "NB601": {
        "fires": nb(
            code(
                "import boto3\n"
                "s3 = boto3.client(\n"
                f'    aws_access_key_id="{AWS_ID}",  # expect: NB601\n'
                f'    aws_secret_access_key="{AWS_SECRET}",  # expect: NB601\n'
                ")"
            ),
            code(f'gh = Github("{GITHUB}")  # expect: NB601'),
            code(f'os.environ["SLACK_BOT_TOKEN"] = "{SLACK}"  # expect: NB601'),
            code(f'stripe.api_key = "{STRIPE}"  # expect: NB601'),
            code(f'maps = googlemaps.Client(key="{GOOGLE}")  # expect: NB601'),
            code(f"%env HF_TOKEN={HF}  # expect: NB601"),
            code(f'headers = {{"Authorization": "Bearer {JWT}"}}  # expect: NB601'),
        ),
        "fires_passwords": nb(
            code('conn = psycopg2.connect(host="db", user="etl", password="Tr0ub4dor&3")  # expect: NB601'),
            code('DB_PASSWORD = "hunter22"  # expect: NB601'),
            code('config = {"user": "etl", "passwd": "s3cr3t-Sauce"}  # expect: NB601'),
        ),
        "fires_connection_url": nb(
            code(
                "from sqlalchemy import create_engine\n"
                'engine = create_engine("postgresql://analyst:Tr0ub4dor3x@db.acme.io:5432/sales")  # expect: NB601'
            ),
            code('client = MongoClient("mongodb+srv://etl:N0tS0S3cret@cluster0.mongodb.net/")  # expect: NB601'),
            # reserved characters pasted raw: the password runs to the last `@` before the host
            code(
                'pg = create_engine("postgresql://admin:p@ss!w$rd&x@db.internal:5432/db")  # expect: NB601\n'
                'my = create_engine("mysql://u:a(b)c*d+e,f;g=h@host/db")  # expect: NB601\n'
                "r = redis.from_url('redis://:pa#ss?w[o]rd{1}@host:6379')  # expect: NB601"
            ),
        ),
        "clean_url_look_alikes": nb(
            code(
                'remote = "git@github.com:org/repo.git"\n'
                'mirror = "ssh://git@github.com:org/repo.git"\n'
                'login = "ana@host"\n'
                'page = "http://example.com/a:b@c"\n'
                'a = "postgresql://admin:${PASSWORD}@db.internal:5432/db"\n'
                'b = "postgresql://admin:{password}@db.internal:5432/db"\n'
                'c = "postgresql://admin:<password>@db.internal:5432/db"\n'
                'd = "postgresql://admin:***@db.internal:5432/db"\n'
                'e = f"postgresql://{user}:{password}@{host}/db"\n'
                'f = "http://localhost:8888?next=ana@acme.io"\n'
                'g = "https://oauth:x-oauth-basic@github.com/org/repo"'
            ),
            md("Connect with `mysql://scott:tiger@host/db`, or `redis://:<password>@host:6379`."),
        ),
        "fires_aws_secret_near_key_id": nb(
            code(
                "session = boto3.Session(\n"
                f'    "{AWS_ID}",  # expect: NB601\n'
                f'    "{AWS_SECRET}",  # expect: NB601\n'
                ")"
            ),
        ),
        "fires_high_entropy": nb(
            code(f'key = "{HEX_KEY}"  # expect: NB601'),
            code(
                "resp = requests.get(\n"
                '    "https://api.acme.io/v1/rates?api_key=Zx8Kq2Lm9Np4Rs7Tv1Wy&fmt=json",  # expect: NB601\n'
                ")"
            ),
            code(f'client = Client(token="{HEX_KEY[::-1]}")  # expect: NB601'),
        ),
        "fires_private_key": nb(
            code(f'PRIVATE_KEY = """{PEM}"""'),
            expect_cells=[1],
        ),
        "fires_markdown": nb(
            md(
                "# Setup\n"
                "Before running, export your key:\n"
                "```bash\n"
                f"export OPENAI_API_KEY=sk-proj-{'Ab3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zA7bC9dE1fG3'}  # expect: NB601\n"
                "```\n"
                f"The shared GitHub token is `{GITHUB}`.  # expect: NB601"
            ),
        ),
        "fires_raw": nb(
            raw(
                "# .env\nDB_USER=etl\n"
                "DB_PASSWORD=Tr0ub4dor3x  # expect: NB601\n"
                f"AWS_ACCESS_KEY_ID={AWS_ID}  # expect: NB601"
            ),
        ),
        "fires_raw_private_key": nb(
            raw(PEM),
            expect_cells=[1],
        ),
        "clean": nb(
            md("# Credentials are read at run time"),
            code(
                "import os\n"
                "from getpass import getpass\n"
                'password = getpass("Database password: ")\n'
                'api_key = os.environ["OPENAI_API_KEY"]\n'
                'token = os.getenv("HF_TOKEN")\n'
                'engine = create_engine(f"postgresql://{user}:{password}@{host}/db")'
            ),
        ),
        "clean_placeholders": nb(
            code(
                'api_key = "<your-key>"\n'
                'API_KEY = "xxx"\n'
                'PASSWORD = "changeme"\n'
                'token = "${GITHUB_TOKEN}"\n'
                'secret = "YOUR_SECRET_HERE"\n'
                'password = ""\n'
                'api_key = "DEMO_KEY"\n'
                'aws_access_key_id = "AKIAIOSFODNN7EXAMPLE"\n'
                'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n'
                'gh = "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"\n'
                'url = "postgresql://user:password@localhost/db"\n'
                'url2 = "https://user:<password>@example.com/x"\n'
                'password = "********"\n'
                'credentials = "service-account.json"\n'
                'pem = "-----BEGIN RSA PRIVATE KEY-----\\n...\\n-----END RSA PRIVATE KEY-----"'
            ),
            md("Set `API_KEY=<your key>` and `password: your-password` in `.env`."),
            raw("DB_PASSWORD=changeme\nAPI_TOKEN=${TOKEN}"),
        ),
        "clean_not_secrets": nb(
            code(
                'tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")\n'
                'pad_token = "[PAD]"\n'
                "max_tokens = 4096\n"
                'key = "sepal_length"\n'
                'df = df.sort_values(key="petal_width")\n'
                f'sort_key = "{HEX_KEY}"\n'
                f'commit = "{HEX_KEY}{HEX_KEY[:8]}"\n'
                'run_id = "123e4567-e89b-12d3-a456-426614174000"\n'
                'pwd = "/home/analyst/project"\n'
                'public_key = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7"\n'
                'secret = "the secret ingredient is love"\n'
                'if password == "expected":\n'
                "    pass"
            ),
            md("![plot](data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAKIAx3b9Kq2Lm9Np4Rs7Tv1Wy5Zb8Cd2Ef6Gh)"),
            metadata={
                "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                "language_info": {"name": "python", "version": "3.11.7"},
                "widgets": {"sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
            },
        ),
        "clean_noqa": nb(
            code(f'public_demo_token = "{GITHUB}"  # noqa: NB601'),
        ),
    },
    "NB602": {
        "fires": nb(
            code(
                "print(os.environ)",
                outputs=[stream(f"environ({{'HOME': '/home/a', 'GITHUB_TOKEN': '{GITHUB}'}})\n")],
            ),
            code("engine", outputs=[result("Engine(postgresql://analyst:Tr0ub4dor3x@db.acme.io:5432/sales)")]),
            code("!printenv", outputs=[stream(f"PATH=/usr/bin\nAWS_ACCESS_KEY_ID={AWS_ID}\nDB_PASSWORD=hunter22\n")]),
            code(
                "connect()",
                outputs=[{
                    "output_type": "error", "ename": "AuthError", "evalue": "bad token",
                    "traceback": ["\x1b[0;31mAuthError\x1b[0m: token " + STRIPE + " was rejected"],
                }],
            ),
            code("show(cfg)", outputs=[display({"text/html": f"<td>api_key</td><td>{HF}</td>"})]),
            code(
                "s3.list_buckets()",
                outputs=[{
                    "output_type": "error", "ename": "ClientError",
                    "evalue": f"An error occurred (SignatureDoesNotMatch) for secret {AWS_SECRET}",
                    "traceback": [f"botocore.exceptions.ClientError: An error occurred for secret {AWS_SECRET}"],
                }],
            ),
            code("print(url)", outputs=[stream("redis://:pa#ss?w[o]rd{1}@cache.acme.io:6379\n")]),
            expect_cells=[1, 2, 3, 4, 5, 6, 7],
        ),
        "clean": nb(
            code("print(sorted(os.environ))", outputs=[stream("['GITHUB_TOKEN', 'HOME', 'PATH']\n")]),
            code(
                "df.head()",
                outputs=[result(
                    "   sha256                                                            run_id\n"
                    "0  9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  123e4567-e89b-12d3",
                )],
            ),
            code("plot()", outputs=[display({"image/png": "iVBORw0KGgo" + GITHUB + AWS_ID, "text/plain": "<Figure>"})]),
            code("!pip install x", outputs=[stream("Looking in indexes: https://user:****@pypi.acme.io/simple\n")]),
            code("print(tok)", outputs=[stream("Using token: <your-token>\napi_key = '<hidden>'\n")]),
            code(
                "print(ids)",
                outputs=[stream(
                    f"signature {AWS_SECRET}\n"  # 40 characters of base64, nothing says AWS
                    "commit 3f786850e387550fdab836ed7e6dc881de23001b\n"
                    "remote: git@github.com:org/repo.git, ssh://git@github.com:org/repo.git, ana@host\n"
                    "docs: http://example.com/a:b@c  postgresql://admin:${PASSWORD}@db.internal/db\n"
                )],
            ),
        ),
        # minified JavaScript in HTML and JavaScript outputs (plotly, bokeh, d3, widgets):
        # `name: expression` is code, never a secret
        "clean_minified_javascript": nb(
            code(
                "fig.show()",
                outputs=[display({
                    "text/html": (
                        "<script>\n"
                        "entries.push({\n\t  key: d3_map_unescape(key),\n\t  value: this._[key]\n});\n"
                        "  key: this._keyForUser123(idx)\n"
                        "   key: _0x3f2a[0x1c4b9e]\n"
                        'warn("bad argument to arrayDefaultKey: "+e),e.slice(0,-1)+"defaults"\n'
                        "a&&t.key===ei)this.isAnchorHoveredFocused=!1,this.updateTooltipVisibility()\n"
                        'var _keyStr="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";\n'
                        "function(e){return{key:f(key),token:n.token,password:e}}\n"
                        "</script>"
                    ),
                    "text/plain": "<Figure>",
                })],
            ),
        ),
        "fires_key_in_javascript": nb(
            code(
                "m.show()",
                outputs=[display({
                    "text/html": f'<script>var map = init({{apiKey:"{GOOGLE}", zoom: 3}});</script>',
                    "text/plain": "<Map>",
                })],
            ),
            code("print(cfg)", outputs=[stream(f"  key:  {HEX_KEY}\n")]),
            expect_cells=[1, 2],
        ),
    },
    "NB603": {
        "fires": nb(
            code(
                "customers.head(2)",
                outputs=[result(
                    "   name           email\n"
                    "0  Ana Lima       ana.lima@gmail.com\n"
                    "1  Bo Chen        bchen@outlook.com",
                    **{"text/html": "<td>ana.lima@gmail.com</td><td>bchen@outlook.com</td>"},
                )],
            ),
            code("print(msg)", outputs=[stream("From: dmcgee@uluhe.soest.hawaii.edu (Don McGee)\n")]),
            expect_cells=[1, 2],
        ),
        "clean": nb(
            code('contact = "ana.lima@gmail.com"'),  # in the source: not an output
            code(
                "print(addresses)",
                outputs=[stream(
                    "jane@example.com test@acme.io noreply@github.com info@acme.io git@github.com:org/repo.git "
                    "logo@2x.png user@localhost 1234+bot@users.noreply.github.com\n"
                )],
            ),
            code(
                "!pip show pandas",
                outputs=[stream("Name: pandas\nAuthor-email: The Pandas Team <pandas-dev@python.org>\n")],
            ),
            code("plot()", outputs=[display({"image/svg+xml": "<svg>ana.lima@gmail.com</svg>"})]),
        ),
        # mailing lists, mailers, roles, anonymised addresses and public credits: not a person's
        "clean_lists_and_credits": nb(
            code(
                "print(messages[0])",
                outputs=[stream(
                    "To unsubscribe from this group, send an email to:\nforteana-unsubscribe@egroups.com\n"
                    "Return-Path : <12a1mailbot1@web.de>\nDelivered-To : zzzz@spamassassin.taint.org\n"
                    "List-Post: <mailto:keras-users@googlegroups.com>, numpy-discussion@python.org\n"
                    "Reply to owner-linux@vger.kernel.org or announce@lists.python.org\n"
                    "support-eu@acme.io sales.team@acme.io\n"
                )],
            ),
            code(
                "importlib.metadata.metadata('x').json",
                outputs=[result("{'Author-email': 'Jane Smith <jane.smith@univ.edu>', 'Name': 'x'}")],
            ),
            code("print(LICENSE)", outputs=[stream("Copyright (c) 2020 Jane Smith <jane.smith@univ.edu>\n")]),
            code("help(x)", outputs=[stream("AUTHOR\n    Jane Smith <jane.smith@univ.edu>\n")]),
        ),
        "fires_person_beside_a_list": nb(
            code(
                "print(header)",
                outputs=[stream("From: Ana Lima <ana.lima@gmail.com>\nTo: pandas-dev@googlegroups.com\n")],
            ),
            expect_cells=[1],
        ),
    },
    "NB604": {
        "fires": nb(
            code(
                "contacts.head(2)",
                outputs=[result("   name      phone\n0  Ana Lima  (415) 555-2671\n1  Bo Chen   415-555-0199")],
            ),
            code("print(row)", outputs=[stream("Call +44 20 7946 0958 after 6pm\n")]),
            expect_cells=[1, 2],
        ),
        "clean": nb(
            code(
                "df.head()",
                outputs=[result(
                    "        id       amount        date   zip\n"
                    "0  4155552671  +12.345678  2021-03-15  94107\n"
                    "1  2025550173  -1234567.0  2021-03-16  10001\n"
                    "2  123-45-6789  1e+10      10:30:00   +0100",
                )],
            ),
            code("print(ids)", outputs=[stream("(555) 555-5555 555-123-4567 +1 234 567 ISBN 978-1-491-91205-8\n")]),
            code('phone = "+44 20 7946 0958"'),  # in the source: not an output
            code("print(lib.__version__)", outputs=[stream("version 415.555.2671\n__version__ = '212.555.0199'\n")]),
        ),
    },
    "NB605": {
        "fires": nb(
            code(
                "import tarfile, urllib.request, shutil, requests, io\n"
                'urllib.request.urlretrieve("https://acme.io/data.tgz", "data.tgz")\n'
                'with tarfile.open("data.tgz") as tar:\n'
                '    tar.extractall("data")  # expect: NB605'
            ),
            code("!wget -q https://acme.io/v2/images.tar.gz"),
            code('tarfile.open("images.tar.gz", "r:gz").extractall()  # expect: NB605'),
            code(
                'r = requests.get("https://acme.io/corpus.tar")\n'
                "t = tarfile.open(fileobj=io.BytesIO(r.content))\n"
                "t.extractall(path='corpus')  # expect: NB605"
            ),
            code(
                "from tensorflow import keras\n"
                'path = keras.utils.get_file("aclImdb.tar.gz", "https://acme.io/aclImdb.tar.gz")\n'
                'shutil.unpack_archive(path, "imdb")  # expect: NB605'
            ),
        ),
        "clean": nb(
            code(
                "import tarfile, urllib.request, zipfile, shutil\n"
                'urllib.request.urlretrieve("https://acme.io/data.tgz", "data.tgz")\n'
                'with tarfile.open("data.tgz") as tar:\n'
                '    tar.extractall("data", filter="data")\n'
                'with tarfile.open("data.tgz") as tar:\n'
                '    tar.extractall("data", members=safe_members(tar))'
            ),
            # archives the notebook did not download: its own, or shipped with the project
            code('tarfile.open("artifacts.tgz").extractall("out")'),
            # zip files: zipfile drops `..` and absolute paths from member names
            code(
                '!wget https://acme.io/data.zip\n'
                'zipfile.ZipFile("data.zip").extractall("data")\n'
                'shutil.unpack_archive("data.zip", "data")'
            ),
        ),
    },
    "NB606": {
        "fires": nb(
            code(
                "import pickle, joblib, urllib.request, requests, torch\n"
                "import numpy as np\n"
                "import pandas as pd\n"
                'urllib.request.urlretrieve("https://acme.io/model.pkl", "model.pkl")\n'
                'model = joblib.load("model.pkl")  # expect: NB606'
            ),
            code(
                'r = requests.get("https://acme.io/vocab.pickle")\n'
                "vocab = pickle.loads(r.content)  # expect: NB606"
            ),
            code('frame = pd.read_pickle("https://acme.io/frame.pkl")  # expect: NB606'),
            code(
                "!curl -L -o weights.pt https://acme.io/weights.pt\n"
                'state = torch.load("weights.pt", weights_only=False)  # expect: NB606'
            ),
            code(
                "!wget https://acme.io/emb.npy\n"
                'with open("emb.npy", "rb") as f:\n'
                "    emb = np.load(f, allow_pickle=True)  # expect: NB606"
            ),
            code(
                "from huggingface_hub import hf_hub_download\n"
                'clf = joblib.load(hf_hub_download("acme/model", "sklearn_model.joblib"))  # expect: NB606'
            ),
        ),
        "clean": nb(
            code(
                "import pickle, joblib, urllib.request, torch\n"
                "import numpy as np\n"
                "joblib.dump(model, 'model.pkl')\n"
                "model = joblib.load('model.pkl')\n"  # the notebook wrote it itself
                'with open("enc.pkl", "wb") as f:\n'
                "    pickle.dump(enc, f)\n"
                'with open("enc.pkl", "rb") as f:\n'
                "    enc = pickle.load(f)"
            ),
            code(
                'urllib.request.urlretrieve("https://acme.io/weights.pt", "weights.pt")\n'
                'state = torch.load("weights.pt")\n'  # torch>=2.6: weights only by default
                'state = torch.load("weights.pt", weights_only=True)\n'
                "!wget https://acme.io/emb.npy\n"
                'emb = np.load("emb.npy")'  # no pickles
            ),
            code('cache = pickle.load(open("cache/features.pkl", "rb"))'),  # not downloaded
        ),
    },
}
