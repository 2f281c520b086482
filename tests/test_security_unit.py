"""NB6xx details that fixtures show poorly: no secret ever leaves nb2prod, what is and is
not a secret, masking, laziness, and odd or huge input."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from nb2prod.config import Overrides, settings_from_table
from nb2prod.engine import RunResult, lint_notebook
from nb2prod.formats import FORMATS, FormatContext, render
from nb2prod.notebook import notebook_from_dict
from nb2prod.rules import security as sec

# Fake secrets, assembled so that this file does not look like a leak.
AWS_ID = "AKIA" + "2E0A8F3B244C9986"
AWS_SECRET = "q8vRt3kQ1wJalrXUtnFE" + "MI/K7MDENG/bPxRfiCYz"
GITHUB = "ghp_" + "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
HF = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh"
JWT = "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiI0MiJ9.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
PASSWORD = "Tr0ub4" + "dor3x"
SHORT_PASSWORD = "hun" + "ter22"
HEX = "f3a9c1d2e4b5a6c7" + "d8e9f0a1b2c3d4e5"
KEY_LINE = "MIIEowIBAAKCAQEAx3b9Kq2Lm9Np4Rs7Tv1Wy5Zb8Cd2Ef6GhJ3kL5mN7pQ9rS1tU3vW5xY7zA9bC1dE3"
SECRETS = [AWS_ID, AWS_SECRET, GITHUB, STRIPE, HF, JWT, PASSWORD, SHORT_PASSWORD, HEX, KEY_LINE]


def book(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = v4.new_notebook()
    nb.metadata.update({"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}})
    nb.cells = list(cells)
    for i, c in enumerate(nb.cells, start=1):
        c["id"] = f"c{i}"
    return nb


def code(source: str, outputs: list[dict] | None = None) -> nbformat.NotebookNode:
    cell = v4.new_code_cell(source)
    cell.outputs = [nbformat.from_dict(o) for o in outputs or []]
    return cell


def stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


def lint(nb: nbformat.NotebookNode, select: str = "NB6"):
    model = notebook_from_dict(json.loads(nbformat.writes(nb)), path=Path("leaky.ipynb"))
    settings = settings_from_table({"select": [select]}, None, Overrides())
    return lint_notebook(model, settings, raise_errors=True)


def leaky_notebook() -> nbformat.NotebookNode:
    return book(
        v4.new_markdown_cell(f"Token: `{GITHUB}`\n\n```\nexport HF_TOKEN={HF}\n```"),
        code(
            f'aws_access_key_id = "{AWS_ID}"; aws_secret_access_key = "{AWS_SECRET}"\n'
            f'engine = create_engine("postgresql://etl:{PASSWORD}@db.acme.io/sales")\n'
            f'DB_PASSWORD = "{SHORT_PASSWORD}"\n'
            f'key = "{HEX}"\n'
            f'headers = {{"Authorization": "Bearer {JWT}"}}\n'
            f'pem = "-----BEGIN RSA PRIVATE KEY-----\\n{KEY_LINE}\\n-----END RSA PRIVATE KEY-----"',
            outputs=[
                stream(f"environ({{'GITHUB_TOKEN': '{GITHUB}', 'DB_PASSWORD': '{SHORT_PASSWORD}'}})\n"),
                {"output_type": "error", "ename": "AuthError", "evalue": f"bad key {STRIPE}",
                 "traceback": [f"\x1b[31mAuthError\x1b[0m: bad key {STRIPE}"]},
                {"output_type": "display_data", "metadata": {},
                 "data": {"text/html": f"<td>{HF}</td>", "text/plain": f"postgresql://etl:{PASSWORD}@db"}},
            ],
        ),
        v4.new_raw_cell(f"-----BEGIN OPENSSH PRIVATE KEY-----\n{KEY_LINE}\n-----END OPENSSH PRIVATE KEY-----"),
    )


def test_every_secret_is_found() -> None:
    result = lint(leaky_notebook())
    codes = [f.code for f in result.findings]
    assert codes.count("NB601") == 9  # markdown 2, code 6 lines (one with two keys), raw 1
    assert codes.count("NB602") == 5
    kinds = " | ".join(f.message for f in result.findings)
    for kind in ("GitHub token", "Hugging Face token", "AWS access key ID", "password in connection URL",
                 "hard-coded password", "high-entropy string assigned to `key`", "JSON Web Token",
                 "private key", "Stripe live key"):
        assert kind in kinds


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_no_format_ever_shows_a_secret(fmt: str) -> None:
    result = lint(leaky_notebook())
    assert result.findings
    text = render(fmt, RunResult([result]), FormatContext(show_source=True))
    for secret in SECRETS:
        assert secret not in text, secret
        assert secret[4:] not in text and secret[1:] not in text, secret


def test_findings_never_carry_a_secret() -> None:
    for f in lint(leaky_notebook()).findings:
        blob = json.dumps(f.to_dict()) + repr(f)
        for secret in SECRETS:
            assert secret[1:] not in blob, (f.code, f.message)


def test_masking_keeps_the_line_and_at_most_a_prefix() -> None:
    nb = book(code(f'x = 1; token = "{GITHUB}"  # set\npw = "{SHORT_PASSWORD}"'))
    lines = nb.cells[0].source.splitlines()
    findings = lint(nb).findings
    assert [(f.line, f.column) for f in findings] == [(1, 17), (2, 7)]
    first, second = (f.source_line for f in findings)
    assert first == 'x = 1; token = "ghp_' + "*" * 36 + '"  # set'
    assert second == 'pw = "h' + "*" * 7 + '"'
    assert len(first) == len(lines[0]) and len(second) == len(lines[1])
    assert "`h***" in findings[1].message and SHORT_PASSWORD not in findings[1].message


def test_one_finding_per_line_even_with_several_secrets_or_plugins() -> None:
    nb = book(code(f'creds = dict(aws_access_key_id="{AWS_ID}", aws_secret_access_key="{AWS_SECRET}")'))
    (f,) = lint(nb).findings
    assert "and 1 more on this line" in f.message
    assert AWS_ID[4:] not in f.source_line and AWS_SECRET[4:] not in f.source_line


def test_a_secret_printed_twice_in_one_output_is_one_finding() -> None:
    nb = book(code("for _ in range(3): print(tok)", outputs=[stream(f"{GITHUB}\n{GITHUB}\n{GITHUB}\n")]))
    findings = lint(nb).findings
    assert [(f.code, f.output) for f in findings] == [("NB602", 1)]


@pytest.mark.parametrize(
    "line",
    [
        f'client = OpenAI(api_key="{HEX}")',
        f'os.environ["WANDB_API_KEY"] = "{HEX}"',
        f"%env GITHUB_TOKEN={GITHUB}",
        f'kaggle = {{"username": "ana", "key": "{HEX}"}}',
        'SECRET_KEY = "django-insecure-7x#k2!m9q@w3e$r5t^y&u*i(o)p_a+s=d"',
        f'conn = connect(user="etl", password="{PASSWORD}")',
        f'api_key: str = "{STRIPE}"',
        f'url = "https://api.acme.io/v1?api_key={HEX}&q=1"',
        f'url = "mongodb+srv://etl:{PASSWORD}@cluster0.mongodb.net"',
        f'os.environ.setdefault("HF_TOKEN", "{HEX}")',
        f'auth = "Bearer {HEX}"',
        f'db_password <- "{PASSWORD}"',  # R
        f'conn = psycopg2.connect("host=db.acme.io dbname=sales user=etl password={PASSWORD}")',
        f'cs = "Driver={{ODBC Driver 18}};Server=tcp:acme.database.windows.net;UID=etl;PWD={PASSWORD};"',
    ],
)
def test_secrets_in_code(line: str) -> None:
    assert sec._has_anchor(line), "the prefilter must let every secret through"
    assert sec._line_hits(line, "", "code"), line


@pytest.mark.parametrize(
    "line",
    [
        'password = getpass("Password: ")',
        'api_key = os.environ["OPENAI_API_KEY"]',
        'token = os.getenv("HF_TOKEN")',
        'api_key = "<your-api-key>"',
        'api_key = "YOUR_API_KEY"',
        'API_KEY = "xxxxxxxxxxxxxxxx"',
        'password = "changeme"',
        'password = "${DB_PASSWORD}"',
        'token = f"Bearer {token}"',
        'url = f"postgresql://{user}:{password}@{host}/db"',
        'url = "postgresql://user:password@localhost/db"',
        'url = "https://user:pass@example.com/"',
        'aws_access_key_id = "AKIAIOSFODNN7EXAMPLE"',
        'tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")',
        'pad_token = "[PAD]"',
        'eos_token = "</s>"',
        'key = "sepal_length"',
        f'sort_key = "{HEX}"',
        f'checksum = "{HEX}"',
        'key = "123e4567-e89b-12d3-a456-426614174000"',
        'token_pattern = r"(?u)\\b\\w\\w+\\b"',
        'credentials = "service-account.json"',
        'secret_name = "prod/db/credentials"',
        'pwd = "/home/ana/project"',
        'secret = "the secret ingredient is love"',
        'public_key = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7"',
        'api_key = "DEMO_KEY"',
        'os.environ["TOKENIZERS_PARALLELISM"] = "false"',
        'labels = {"pass": "Passed", "fail": "Failed"}',
        'if password == "expected":',
        'password = ""',
        'max_tokens = 4096',
        'conn = connect(host=HOST, user=USER, pwd=os.getcwd())',
        'dsn = f"host={host} user={user} password={password}"',
        'dsn = "host=db user=etl password=<password>"',
        'img = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"',
        'KEY = "datasets/image/VOC2012/VOCtrainval_11-May-2012.tar"',
        'key: "InceptionV3/Predictions/Softmax"',
        'kms_key = "arn:aws:kms:us-west-2:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"',
        'spec_arn = "arn:aws:sagemaker:us-east-1:027400017018:labeling-job-algorithm-specification/x"',
        'token = "<YOUR_HUGGINGFACEHUB_API_TOKEN>"',
        'model = load(weight_name="EasyNegative.safetensors", token="EasyNegative")',
        'seq = "CACACCAGACAAAATTTGGTTAATTTGCGCCCAATATTCATTACTTTGACCTAACC"',
    ],
)
def test_not_secrets_in_code(line: str) -> None:
    assert sec._line_hits(line, "", "code") == [], line


@pytest.mark.parametrize(
    ("name", "strength"),
    [
        ("password", "password"), ("DB_PASSWORD", "password"), ("dbPass", "password"), ("pw", "password"),
        ("api_key", "strong"), ("apiKey", "strong"), ("X-Api-Key", "strong"), ("client_secret", "strong"),
        ("SECRET_KEY", "strong"), ("access_token", "strong"), ("HF_TOKEN", "strong"),
        ("key", "weak"), ("token", "weak"), ("mapbox_key", "weak"), ("secret", "weak"),
        ("keyword", None), ("tokenizer", None), ("pad_token", None), ("sort_key", None), ("public_key", None),
        ("password_hash", None), ("token_url", None), ("author", None), ("passenger", None), ("pass", None),
    ],
)
def test_secret_names(name: str, strength: str | None) -> None:
    cls = sec._classify_name(name)
    assert (cls.strength if cls else None) == strength


@pytest.mark.parametrize(
    ("context", "line", "found"),
    [
        ("raw", f"DB_PASSWORD={SHORT_PASSWORD}", True),
        ("output", f"DB_PASSWORD={SHORT_PASSWORD}", True),
        ("code", f"DB_PASSWORD={SHORT_PASSWORD}", False),  # Python: a name, not a value
        ("raw", f"password: {SHORT_PASSWORD}", False),  # unquoted YAML: only random values
        ("raw", f"api_key: {HEX}", True),
        ("markdown", f"Set `export API_TOKEN={HEX}` first", False),  # not at the line start
        ("markdown", f"export API_TOKEN={HEX}", True),
        ("output", "[ServerApp] http://localhost:8888/lab?token=dd852649", False),
    ],
)
def test_contexts(context: str, line: str, found: bool) -> None:
    assert bool(sec._line_hits(line, "", context)) is found


def test_private_key_needs_key_material() -> None:
    header = "-----BEGIN RSA PRIVATE KEY-----"
    assert sec._line_hits(header, f"{KEY_LINE}\n", "raw")
    assert sec._line_hits(header, "...\n-----END RSA PRIVATE KEY-----", "raw") == []


def test_markdown_images_are_not_scanned() -> None:
    data = "iVBORw0KGgo" + GITHUB + AWS_ID + "AAAA"
    nb = book(v4.new_markdown_cell(f"![plot](data:image/png;base64,{data})"))
    assert lint(nb).findings == []


@pytest.mark.parametrize(
    ("text", "emails"),
    [
        ("From: dmcgee@uluhe.soest.hawaii.edu (Don McGee)", ["dmcgee@uluhe.soest.hawaii.edu"]),
        ("   name  email\n0  Ana   ana.lima@gmail.com", ["ana.lima@gmail.com"]),
        ("jane@example.com noreply@github.com info@acme.io git@github.com:o/r.git logo@2x.png", []),
        ("Author-email: Wes <wes@gmail.com>\n:Donor: M. Marshall (MARSHALL%PLU@io.arc.nasa.gov)", []),
        ("https://ana@acme.io/repo user@localhost 123+bot@users.noreply.github.com", []),
        ("numpy=array([b'a@b.com', b'c@d.com'])", []),
    ],
)
def test_emails(text: str, emails: list[str]) -> None:
    assert list(sec._emails(text)) == emails


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("Call +44 20 7946 0958 or (415) 555-2671", ["+44 20 7946 0958", "(415) 555-2671"]),
        ("tel:+14155552671, 415.555.2671", ["+14155552671", "415.555.2671"]),
        ("0  4155552671  +12.345678  2021-03-15  +0100  1e+10", []),
        ("(555) 555-5555 555-123-4567 +1 234 567 123-45-6789 -415-555-2671", []),
        ("ISBN 978-1-491-91205-8, v1.415-555-2671", []),
    ],
)
def test_phone_numbers(text: str, numbers: list[str]) -> None:
    assert list(sec._phone_numbers(text)) == numbers


def test_detect_secrets_is_imported_only_when_needed() -> None:
    script = (
        "import sys\n"
        "from nb2prod.rules import security as s\n"
        "assert not s._line_hits('password = getpass()', '', 'code')\n"
        "assert not s._line_hits('api_key = \"x\" * 3', '', 'code')\n"
        "assert 'detect_secrets' not in sys.modules\n"
        f"assert s._line_hits('k = \"{AWS_ID}\"', '', 'code')\n"
        "assert 'detect_secrets' in sys.modules\n"
    )
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_detect_secrets_global_settings_are_left_alone() -> None:
    from detect_secrets.settings import get_settings

    before = (dict(get_settings().plugins), dict(get_settings().filters))
    sec._detect_secrets()
    assert sec._line_hits(f'k = "{AWS_ID}"', "", "code")
    assert (dict(get_settings().plugins), dict(get_settings().filters)) == before


@pytest.mark.parametrize(
    "output",
    [
        {"output_type": "stream", "name": 3, "text": 42},
        {"output_type": "stream", "name": "stdout", "text": ["a", None, f"token = '{GITHUB}'"]},
        {"output_type": "execute_result", "data": None},
        {"output_type": "execute_result", "data": {"text/plain": {"a": 1}, "application/json": {"k": [1, 2]}}},
        {"output_type": "display_data", "data": {"application/json": {"token": GITHUB}}},
        {"output_type": "error", "ename": None, "evalue": None, "traceback": [None, 3]},
        {"output_type": "error", "traceback": "not a list"},
        {"output_type": "mystery", "text": GITHUB},
    ],
)
def test_odd_outputs_do_not_crash(output: dict) -> None:
    data = json.loads(nbformat.writes(book(code("x"))))
    data["cells"][0]["outputs"] = [output]
    model = notebook_from_dict(data)
    result = lint_notebook(model, settings_from_table({"select": ["NB6"]}, None, Overrides()), raise_errors=True)
    for f in result.findings:
        assert GITHUB[4:] not in f.message


def test_unicode_line_breaks_keep_positions() -> None:
    # str.splitlines cuts at \x0c and \u2028 too: findings must point at Cell.lines.
    nb = book(code(f"a = 1\x0cb = 2\u2028token = '{GITHUB}'\r\nc = 3"))
    (f,) = lint(nb).findings
    assert f.line == 3 and f.source_line == "token = 'ghp_" + "*" * 36 + "'"


def test_huge_input_is_quick_and_still_found() -> None:
    filler = "0.123456789 " * 200_000  # 2.4 MB on one line
    nb = book(
        code(f'blob = "{filler}"; token = "{GITHUB}"'),
        code("df", outputs=[stream(("1  +12.5  2021-03-15  4155552671  x@y\n" * 60_000) + GITHUB)]),
    )
    start = time.perf_counter()
    findings = lint(nb).findings
    elapsed = time.perf_counter() - start
    assert [f.code for f in findings] == ["NB601"]  # the output is read up to 64 kB only
    assert "ghp_" in findings[0].message and GITHUB[4:] not in (findings[0].source_line or "")
    assert elapsed < 5, elapsed
