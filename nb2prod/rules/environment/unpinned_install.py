"""NB204: `%pip install` and friends without a version."""

from __future__ import annotations

from collections.abc import Iterator

from nb2prod.analysis import Analysis
from nb2prod.diagnostics import Finding, Severity
from nb2prod.rules._base import Rule, register
from nb2prod.rules.environment.facts import environment_of


@register
class UnpinnedInstall(Rule):
    """## What it does
    Finds packages installed from the notebook (`%pip install`, `!pip install`,
    `%conda install`, `pip install` in a `%%bash` cell) without an exact version.
    Options (`-q`, `-U`, `--index-url URL`), requirement files (`-r requirements.txt`),
    local paths and URLs are not reported, nor are `pip`, `setuptools` and `wheel`.

    ## Why is this bad?
    Every run installs whatever version is newest that day, so two runs of the same
    notebook can use different code. An install inside the notebook is also invisible
    to the tools that build an environment from dependency files.

    ## Example
    ```python
    %pip install -q xgboost pandas>=2
    ```

    ## Use instead
    ```python
    %pip install -q xgboost==2.1.1 pandas==2.2.2
    ```

    ## Fix
    Pin each package with `==` (conda: `=`), or better, move the packages to the
    project's dependency file and install from it (`%pip install -r requirements.txt`).
    """

    code = "NB204"
    name = "unpinned-install"
    severity = Severity.WARNING
    summary = "A package is installed from the notebook without an exact version"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        for inst in environment_of(nb).installs:
            spec = inst.spec
            if spec.pinned or spec.name is None:
                continue
            pin = "==" if spec.tool == "pip" else "="
            yield self.at(
                inst.cell,
                f"{inst.command} installs `{spec.spec}` without a pinned version: use `{spec.name}{pin}<version>`",
                line=inst.line,
                column=inst.column,
                end_line=inst.line if inst.end_column else None,
                end_column=inst.end_column,
            )
