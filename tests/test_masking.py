"""``nb2prod.masking.redact`` on arbitrary text: what the build prints (exception texts,
tracebacks, logs, reprs) must not show a secret the linter would mask, and it must be quick."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from nb2prod.masking import mask, mask_spans, redact

# Fake secrets, assembled so that this file does not look like a leak.
GITHUB = "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789"
SLACK = "xoxb-" + "2401234567-2401234567890-" + "aB3dE5fG7hI9jK1lM3nO5pQ7"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
OPENAI = "sk-proj-" + "Ab3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zA7bC9dE1fG3"
OPENAI_NAMED = "sk-" + "Zx8Kq2Lm9Np4Rs7Tv1Wy3Ab5Cd7Ef9Gh1Ij3Kl5Mn7Op9Qr"
GOOGLE = "AIza" + "SyD3x9Kq2Lm9Np4Rs7Tv1Wy5Zb8Cd2Ef6Gh"
GCP_OAUTH = "ya29." + "a0AfH6SMBx3b9Kq2Lm9Np4Rs7Tv1Wy5Zb8Cd2Ef6Gh"
AWS_ID = "AKIA" + "2E0A8F3B244C9986"
AWS_SECRET = "q8vRt3kQ1wJalrXUtnFE" + "MI/K7MDENG/bPxRfiCYz"
TOKEN = "Zx8Kq2Lm9Np4" + "Rs7Tv1Wy3Ab5Cd"
PASSWORD = "hun" + "ter22x"
URL_PASSWORD = "p@ss!w" + "$rd&x"
KEY_LINES = [
    "MIIEowIBAAKCAQEAx3b9Kq2Lm9Np4Rs7Tv1Wy5Zb8Cd2Ef6GhJ3kL5mN7pQ9rS1tU3vW5xY7zA9bC1dE3",
    "fG5hI7jK9lM1nO3pQ5rS7tU9vW1xY3zA5bC7dE9fG1hI3jK5lM7nO9pQ1rS3tU5vW7xY9zA1bC3dE5",
]


def assert_masked(text: str, *secrets: str) -> str:
    out = redact(text)
    assert len(out) == len(text)  # masking keeps every position
    for secret in secrets:
        assert secret not in out, secret
        assert secret[4:] not in out, secret
    return out


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"predict(**example) failed: HTTPError: 401 for token {GITHUB}", GITHUB),
        (f"{{'api_key': '{OPENAI_NAMED}', 'model': 'gpt-4o'}}", OPENAI_NAMED),
        (f"environ({{'HOME': '/root', 'HF_TOKEN': '{TOKEN}'}})", TOKEN),
        (f"TOKEN={TOKEN}", TOKEN),
        (f"DB_PASSWORD={PASSWORD}", PASSWORD),
        (f"export API_KEY={TOKEN}", TOKEN),
        (f"request failed with token={TOKEN} status=401", TOKEN),
        (f"Authorization: Bearer {TOKEN}", TOKEN),
        (f"OperationalError: could not connect to postgresql://admin:{URL_PASSWORD}@db.internal:5432/db", URL_PASSWORD),
        (f"slack said no: {SLACK}", SLACK),
        (f"stripe.error.AuthenticationError: Invalid API Key provided: {STRIPE}", STRIPE),
        (f"openai.AuthenticationError: Incorrect API key provided: {OPENAI}", OPENAI),
        (f"google.api_core.exceptions.PermissionDenied: key {GOOGLE}", GOOGLE),
        (f"credentials.token = {GCP_OAUTH}", GCP_OAUTH),
        (f"botocore.exceptions.ClientError: bad signature for {AWS_SECRET}", AWS_SECRET),
        (f"Credentials({AWS_ID}, {AWS_SECRET})", AWS_SECRET),
        (f"ValueError: invalid url https://api.acme.io/v1?api_key={TOKEN}&q=1", TOKEN),
    ],
)
def test_secrets_in_free_text_are_masked(text: str, secret: str) -> None:
    out = assert_masked(text, secret)
    assert secret[: 4 if len(secret) > 8 else 1] in out  # the rule: a prefix, then stars


def test_a_whole_traceback() -> None:
    tb = (
        "Traceback (most recent call last):\n"
        '  File "/app/serve.py", line 10, in predict\n'
        '    r = client.post(url, headers={"Authorization": f"Bearer {os.environ[\'API_TOKEN\']}"})\n'
        f"requests.exceptions.HTTPError: 401 Client Error for url: https://api.acme.io/v1?api_key={TOKEN}\n"
        f"During handling: KeyError('Authorization: Bearer {TOKEN}x')\n"
        f"  locals: {{'token': '{GITHUB}', 'password': '{PASSWORD}'}}\n"
    )
    out = assert_masked(tb, TOKEN, GITHUB, PASSWORD)
    # the code lines of the traceback are left alone
    assert out.splitlines()[:3] == tb.splitlines()[:3]


def test_private_key_blocks_are_masked_to_their_end() -> None:
    pem = "loaded:\n-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(KEY_LINES)
    pem += "\n-----END RSA PRIVATE KEY-----\ndone\n"
    out = assert_masked(pem, *KEY_LINES)
    assert out.startswith("loaded:\n-----BEGIN RSA PRIVATE KEY-----\n")
    assert out.endswith("\n-----END RSA PRIVATE KEY-----\ndone\n")
    # no end marker (a truncated log): the lines of key material
    cut = "-----BEGIN PRIVATE KEY-----\n" + "\n".join(KEY_LINES) + "\n[truncated]"
    assert assert_masked(cut, *KEY_LINES).endswith("\n[truncated]")
    # a service-account JSON: escaped newlines in one line
    sa = '{"private_key": "-----BEGIN PRIVATE KEY-----\\n' + KEY_LINES[0] + '\\n-----END PRIVATE KEY-----\\n"}'
    assert_masked(sa, KEY_LINES[0])


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Epoch 1/10 - loss: 0.4213 - accuracy: 0.8812 - val_loss: 0.3980",
        "Successfully installed numpy-1.26.4 pandas-2.2.1 scikit-learn-1.4.1",
        "ssh://git@github.com:org/repo.git and http://example.com/a:b@c and user@host",
        "url = f'postgresql://{user}:{password}@{host}/db'  password = getpass()",
        "PASSWORD=getpass()\nAPI_KEY=os.environ['API_KEY']\nTOKEN=<your-token>\npassword: ${DB_PASSWORD}",
        "commit 3f786850e387550fdab836ed7e6dc881de23001b\n"
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "tokenizer = AutoTokenizer.from_pretrained('bert-base-uncased'); max_tokens=4096",
        "Looking in indexes: https://user:****@pypi.acme.io/simple",
    ],
)
def test_text_without_secrets_is_unchanged(text: str) -> None:
    assert redact(text) == text


def test_redact_is_idempotent_and_keeps_spaces() -> None:
    text = f"a {GITHUB} b\nDB_PASSWORD={PASSWORD}\n"
    once = redact(text)
    assert redact(once) == once
    assert mask_spans("ab cd", [(0, 5)]) == "a* **"
    assert mask("abc") == "a***" and mask(GITHUB) == "ghp_" + "*" * 12


def _log(n_bytes: int, secret_every: int) -> str:
    lines, size, i = [], 0, 0
    while size < n_bytes:
        i += 1
        if secret_every and i % secret_every == 0:
            line = f"2024-05-01 12:00:{i % 60:02d} WARN retry {i} with token={TOKEN[:-4]}{i:04d} auth failed"
        elif i % 7 == 0:
            line = f"  File \"/app/model_{i}.py\", line {i % 300}, in predict: key={i} token_count={i * 3}"
        else:
            line = f"2024-05-01 12:00:{i % 60:02d} INFO epoch {i} batch {i * 7} loss={i % 97 / 100:.4f} lr=3e-4"
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)


@pytest.mark.parametrize("secret_every", [0, 50])
def test_a_megabyte_is_quick(secret_every: int) -> None:
    text = _log(1_000_000, secret_every)
    redact("warm up: " + GITHUB)  # detect-secrets is imported once per process
    start = time.process_time()
    out = redact(text)
    elapsed = time.process_time() - start
    assert (out != text) is bool(secret_every)
    assert elapsed < 2.0, elapsed  # about 0.1-0.3 s on a CI machine


def test_masking_loads_no_rule() -> None:
    """Secret detection lives in nb2prod.secret_scan, which imports no rule: masking a
    string (the build does it for every message) must not load the rule families."""
    code = ("import sys, nb2prod.masking as m; m.redact('x = ghp_' + 'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5'); "
            "print(sorted(k for k in sys.modules if k.startswith('nb2prod.rules')))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
