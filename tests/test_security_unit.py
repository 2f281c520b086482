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

from nb2prod import secret_scan as scan
from nb2prod.config import Overrides, settings_from_table
from nb2prod.engine import RunResult, lint_notebook
from nb2prod.formats import FORMATS, FormatContext, render
from nb2prod.notebook import notebook_from_dict
from nb2prod.rules.security.personal_data import emails as find_emails
from nb2prod.rules.security.personal_data import phone_numbers as find_phone_numbers

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
    assert scan.has_anchor(line), "the prefilter must let every secret through"
    assert scan.line_hits(line, "", "code"), line


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
    assert scan.line_hits(line, "", "code") == [], line


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
    cls = scan.classify_name(name)
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
    assert bool(scan.line_hits(line, "", context)) is found


def test_private_key_needs_key_material() -> None:
    header = "-----BEGIN RSA PRIVATE KEY-----"
    assert scan.line_hits(header, f"{KEY_LINE}\n", "raw")
    assert scan.line_hits(header, "...\n-----END RSA PRIVATE KEY-----", "raw") == []


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
    assert list(find_emails(text)) == emails


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
    assert list(find_phone_numbers(text)) == numbers


def test_detect_secrets_is_imported_only_when_needed() -> None:
    script = (
        "import sys\n"
        "from nb2prod import secret_scan as s\n"
        "assert not s.line_hits('password = getpass()', '', 'code')\n"
        "assert not s.line_hits('api_key = \"x\" * 3', '', 'code')\n"
        "assert 'detect_secrets' not in sys.modules\n"
        f"assert s.line_hits('k = \"{AWS_ID}\"', '', 'code')\n"
        "assert 'detect_secrets' in sys.modules\n"
    )
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_detect_secrets_global_settings_are_left_alone() -> None:
    from detect_secrets.settings import get_settings

    before = (dict(get_settings().plugins), dict(get_settings().filters))
    scan.detect_secrets_plugins()
    assert scan.line_hits(f'k = "{AWS_ID}"', "", "code")
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


# -- passwords in URLs with raw reserved characters (issue 10, defect 6) ----------------------


@pytest.mark.parametrize(
    ("line", "password"),
    [
        ('engine = create_engine("postgresql://admin:p@ss!w$rd&x@db.internal:5432/db")', "p@ss!w$rd&x"),
        ('url = "mysql://u:a(b)c*d+e,f;g=h@host/db"', "a(b)c*d+e,f;g=h"),
        ("r = redis.from_url('redis://:pa#ss?w[o]rd{1}@host:6379')", "pa#ss?w[o]rd{1}"),
        ("uri = \"mongodb://etl:it's=Tr0ub4+dor@h1.acme.io:27017,h2.acme.io:27017/?replicaSet=rs\"", "it's=Tr0ub4+dor"),
        ('url = "jdbc:postgresql://etl:Tr0ub4!dor@db.acme.io:5432/sales"', "Tr0ub4!dor"),
        ('engine = create_engine(f"postgresql://etl:Tr0ub4!dor@{host}/sales")', "Tr0ub4!dor"),
        ("[db](postgresql://etl:Tr0ub4;dor@db.acme.io)", "Tr0ub4;dor"),
        ("u = 'postgresql://etl:2$SF=i2DmZ;VrLvH@10.0.0.5'", "2$SF=i2DmZ;VrLvH"),  # digits first: not a port
        ("u = 'postgresql://:45?)hD2ndZ@10.0.0.5:5432/db'", "45?)hD2ndZ"),  # no user: no host:port either
    ],
)
def test_url_passwords_with_reserved_characters(line: str, password: str) -> None:
    assert scan.has_anchor(line)
    for context in ("code", "output", "markdown"):
        hits = scan.line_hits(line, "", context)
        assert [(h.kind, line[h.start:h.end]) for h in hits] == [("password in connection URL", password)], context


def test_url_password_finding_points_at_the_password() -> None:
    line = 'engine = create_engine("postgresql://admin:p@ss!w$rd&x@db.internal:5432/db")'
    (f,) = lint(book(code(line))).findings
    start = line.index("p@ss")
    assert (f.code, f.line, f.column, f.end_column) == ("NB601", 1, start + 1, start + len("p@ss!w$rd&x") + 1)
    assert f.source_line == line.replace("p@ss!w$rd&x", "p@ss*******")
    assert "p@ss!w" not in f.message


def test_url_passwords_in_outputs_are_found_and_masked_in_other_findings() -> None:
    out = "Engine(mysql://u:a(b)c*d+e,f;g=h@host/db)\nredis://:pa#ss?w[o]rd{1}@host:6379\n"
    nb = book(code("print(engines)", outputs=[stream(out)]))
    findings = lint(nb).findings
    assert [f.code for f in findings] == ["NB602", "NB602"]
    from nb2prod.masking import redact  # what the engine applies to every message and code frame

    masked = redact(out)
    assert "c*d+e,f;g=h" not in masked and "ss?w[o]rd{1}" not in masked
    assert masked.startswith("Engine(mysql://u:a(b)") and "@host/db)" in masked


@pytest.mark.parametrize(
    "line",
    [
        "ssh ana@host, then scp file ana@host:/tmp",
        'repo = "ssh://git@github.com:org/repo.git"',
        "!git clone git@github.com:org/repo.git",
        'url = "http://example.com/a:b@c"',
        'url = "https://api.acme.io/v1/items/a:b@c"',
        'url = "https://admin:${PASSWORD}@db.acme.io/x"',
        'url = "https://admin:{password}@db.acme.io/x"',
        'url = "https://admin:{0}@db.acme.io/x".format(pw)',
        'url = "https://admin:<password>@db.acme.io/x"',
        'url = "https://admin:***@db.acme.io/x"',
        'url = "postgresql://%s:%s@%s/db" % (user, pw, host)',
        'url = f"postgresql://{user}:{password}@{host}/db"',
        'url = "https://" + user + ":" + pw + "@" + host',
        'url = "http://localhost:8888?next=ana@acme.io"',
        "log: url=http://db.acme.io:8080,status=ok@2024",
        'url = "http://[::1]:8888/lab"',
        'url = "https://oauthuser:x-oauth-basic@github.com/o/r"',
        "{'url': 'redis://r.acme.io:6379', 'owner': 'ana:Tr0ub4dor@acme.io'}",
        'url = "mysql://scott:tiger@host/db"',  # documentation: words and a placeholder host
        'url = "https://user:Tr0ub4!dor@example.com/"',
        "http://ana@acme.io:8080/ and mailto:ana@acme.io",
    ],
)
def test_url_look_alikes_are_not_passwords(line: str) -> None:
    for context in ("code", "output", "markdown"):
        assert scan.line_hits(line, "", context) == [], context


# -- AWS secret access keys without a name (issue 10, defect 6) -------------------------------

AWS_EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"  # AWS's documented example


@pytest.mark.parametrize(
    "line",
    [
        f"botocore.exceptions.ClientError: An error occurred (InvalidClientTokenId) with {AWS_SECRET}: denied",
        f"creds: {AWS_ID} {AWS_SECRET}",
        f'{{"AccessKeyId": "{AWS_ID}", "SecretAccessKey": "{AWS_SECRET}", "Expiration": "2024-01-01"}}',
        f"aws_secret_access_key = {AWS_SECRET}",
        f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}",
        f"export AWS_SECRET_ACCESS_KEY='{AWS_SECRET}'",
        f"!aws configure set aws_secret_access_key {AWS_SECRET}",
        f"--aws-secret-access-key {AWS_SECRET}",
        f"  SecretAccessKey: {AWS_SECRET}",
        f"secretAccessKey={AWS_SECRET}",
        f"AWS Secret Access Key [None]: {AWS_SECRET}",
        f"s3 = s3fs.S3FileSystem(key=k, secret_key={AWS_SECRET})",
        f"İstanbul: aws_secret_access_key {AWS_SECRET}",  # lower-casing changes the line's length
    ],
)
def test_aws_secret_without_a_name_in_context(line: str) -> None:
    assert scan.has_anchor(line)
    for context in ("code", "output"):
        hits = scan.line_hits(line, "", context)
        secret = [h for h in hits if line[h.start:h.end] == AWS_SECRET]
        assert secret, (context, [(h.kind, line[h.start:h.end]) for h in hits])
    from nb2prod.masking import redact

    assert AWS_SECRET[4:] not in redact(line)


@pytest.mark.parametrize(
    "line",
    [
        f"signature {AWS_SECRET}",  # 40 characters of base64 and nothing says AWS
        f"commit 3f786850e387550fdab836ed7e6dc881de23001b by {AWS_ID}",  # a git SHA is hex
        f"key id {AWS_ID}, value {AWS_EXAMPLE_SECRET}",  # the documented example
        f"boto3: s3://bucket/Data2020/Images/Train/catsAndDogs0001x.jpg {AWS_ID}",  # a path
        "aws s3 ls: abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN",  # no digit: not a key
        f"aws s3 sync . s3://b --exclude {AWS_SECRET.replace('/', 'Q')}x",  # 41 characters
        f"boto3 etag {AWS_SECRET.replace('/', 'a')}",  # no / or +: the library alone is not enough
    ],
)
def test_aws_secret_look_alikes(line: str) -> None:
    for context in ("code", "output"):
        hits = scan.line_hits(line, "", context)
        assert not [h for h in hits if h.kind == "AWS secret access key"], (context, hits)


def test_a_plain_secret_key_is_not_called_an_aws_key() -> None:
    line = f'SECRET_KEY = "{AWS_SECRET}"'  # Django: a secret, not an AWS one
    (hit,) = scan.line_hits(line, "", "code")
    assert hit.kind == "hard-coded secret key assigned to `SECRET_KEY`"


def test_aws_secret_on_its_own_line_next_to_the_key_id() -> None:
    credentials = f"[default]\n{AWS_ID}\n{AWS_SECRET}\nregion = eu-west-1\n"  # a table, a credentials dump
    nb = book(
        code("!cat creds", outputs=[stream(credentials)]),
        code("s3.get_object()", outputs=[{
            "output_type": "error", "ename": "ClientError", "evalue": f"denied for {AWS_ID}",
            "traceback": ["ClientError: the request signature does not match", f"  secret was: {AWS_SECRET}"],
        }]),
        code("print(far)", outputs=[stream(f"{AWS_ID}\n" + "x" * 400 + f"\n{AWS_SECRET}\n")]),
    )
    findings = lint(nb).findings
    secret = [(f.cell, f.output) for f in findings if "AWS secret access key" in f.message]
    assert secret == [(1, 1), (2, 1)]  # in the third output the value is too far from the id
    from nb2prod.masking import redact

    assert AWS_SECRET[4:] not in redact(credentials)


# -- other formats in free text ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Authorization: Bearer Zx8Kq2Lm9Np4Rs7Tv1Wy3Ab5Cd7Ef9", "bearer token"),
        ("token ya29.a0AfH6SMBx3b9Kq2Lm9Np4Rs7Tv1Wy5Zb8Cd2Ef6Gh", "Google OAuth access token"),
        ("client_secret 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", "Google OAuth client secret"),
    ],
)
def test_more_formats_in_outputs(line: str, kind: str) -> None:
    hits = scan.line_hits(line, "", "output")
    assert [h.kind for h in hits] == [kind]


@pytest.mark.parametrize(
    "line",
    [
        "Authorization: Bearer <token>",
        "Authorization: Bearer YOUR_ACCESS_TOKEN_HERE_1234",
        'headers = {"Authorization": f"Bearer {token}"}',
        "the bearer of this message is a documentation-person",
    ],
)
def test_bearer_look_alikes(line: str) -> None:
    assert scan.line_hits(line, "", "output") == []


# -- code in outputs is not a secret (issue 13) ------------------------------------------


@pytest.mark.parametrize("value", ["d3_map_unescape(key),", "getpass()", 'os.environ["PWD"]', "_0x3f2a[0x1c4b9e]",
                                   "this._keyForUser123(idx)", "f(x).y;"])
def test_an_expression_is_code(value: str) -> None:
    assert scan.looks_like_code(value)


@pytest.mark.parametrize("value", [HEX, AWS_SECRET, JWT, "Tr0ub4dor3x", "p@ss(w)rd"])
def test_a_literal_is_not_code(value: str) -> None:
    assert not scan.looks_like_code(value)


def test_a_base64_alphabet_is_judged_quickly_and_is_not_a_secret() -> None:
    # JavaScript base64 helpers carry the alphabet; a path check once backtracked on it for minutes
    line = 'var _keyStr="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";'
    scan.line_hits("x", "", "output")  # imports and plugin set-up out of the timing
    start = time.perf_counter()
    assert scan.line_hits(line, "", "output") == []
    assert scan.line_hits(line.replace("_keyStr", "api_key"), "", "code") == []
    assert time.perf_counter() - start < 0.5


def test_a_known_format_in_javascript_is_still_a_secret() -> None:
    line = f'var m = init({{apiKey:"{HF}", token: n.token, key: f(key)}});'
    assert [h.value for h in scan.line_hits(line, "", "output")] == [HF]
