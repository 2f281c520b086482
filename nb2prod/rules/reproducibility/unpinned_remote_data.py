"""NB107: data read from a URL whose content can change."""

from __future__ import annotations

from collections.abc import Iterator

from nb2prod.analysis import Analysis
from nb2prod.diagnostics import Finding, Severity
from nb2prod.rules._base import Rule, register
from nb2prod.rules.reproducibility.scan import scan_of


@register
class UnpinnedRemoteData(Rule):
    """## What it does
    Finds data read from an http(s) URL whose content can change: a file on a branch
    (`raw.githubusercontent.com/<owner>/<repo>/main/...`, `github.com/.../blob/master/...`)
    instead of a commit or tag, a URL with no version, commit or checksum in it (for
    `pd.read_csv`, `np.loadtxt`, `urlretrieve`, `requests.get`, `keras.utils.get_file`,
    `!wget`, `!curl`...), `fetch_openml(name=...)` without `version=`, Hugging Face
    `load_dataset(...)` without `revision=`, and `seaborn.load_dataset`.

    ## Why is this bad?
    When the file behind the URL changes, the notebook silently trains on different
    data and its results no longer match what was saved, reviewed or deployed. If it
    disappears, the notebook no longer runs at all.

    ## Example
    ```python
    url = "https://raw.githubusercontent.com/acme/data/main/iris.csv"
    df = pd.read_csv(url)
    ```

    ## Use instead
    ```python
    url = "https://raw.githubusercontent.com/acme/data/3f2c9d1e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e/iris.csv"
    df = pd.read_csv(url)
    ```

    ## Fix
    Put a commit SHA or a release tag in the URL, pass `version=` / `revision=`, verify a
    checksum (`pooch.retrieve(url, known_hash=...)`, `get_file(..., file_hash=...)`), or
    keep a copy of the data with the project.
    """

    code = "NB107"
    name = "unpinned-remote-data"
    severity = Severity.WARNING
    summary = "Data is read from a URL whose content can change"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        for r in scan_of(nb).remote:
            if r.call is not None:
                yield self.at(r.cell, r.message, node=r.call.node, offset=r.call.offset)
            else:
                yield self.at(r.cell, r.message, line=r.line, column=r.column)
