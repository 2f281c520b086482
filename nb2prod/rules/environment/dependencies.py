"""NB201-NB203: the dependency files: imports they do not declare, versions they do not
pin, and no file at all."""

from __future__ import annotations

from collections.abc import Iterator

from nb2prod import deps
from nb2prod.analysis import Analysis
from nb2prod.diagnostics import Finding, Severity
from nb2prod.rules._base import Rule, register
from nb2prod.rules.environment.facts import environment_of, named, or_list


@register
class UndeclaredDependency(Rule):
    """## What it does
    Finds third-party packages that the notebook imports but that the nearest
    dependency file does not declare. The nearest dependency files are those of the
    first folder, from the notebook's folder up to the repository root, that holds a
    `requirements*.txt`, a `pyproject.toml` with dependencies, an `environment.yml`, a
    `Pipfile`, a `setup.cfg` or a `setup.py`; all of them are read, with their `-r`
    includes. Import names are mapped to distributions (`sklearn` is `scikit-learn`,
    `cv2` is `opencv-python`). Standard-library modules, modules next to the notebook
    or in the project, relative imports, `IPython`, and imports inside
    `try: ... except ImportError:` are not reported.

    ## Why is this bad?
    Whoever installs the project from its dependency file (a colleague, CI, the
    service's Docker image) gets `ModuleNotFoundError` at this import. The notebook
    only works in the environment where it was written.

    ## Example
    ```python
    # requirements.txt: pandas==2.2.2
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    ```

    ## Use instead
    ```python
    # requirements.txt: pandas==2.2.2, scikit-learn==1.5.1
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    ```

    ## Fix
    Add the distribution named in the message, with the version you use
    (`pip show scikit-learn`), to the dependency file.
    """

    code = "NB201"
    name = "undeclared-dependency"
    severity = Severity.WARNING
    summary = "An imported package is missing from the nearest dependency file"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        env = environment_of(nb)
        found = env.dependencies
        if found is None or not found.readable or not found.complete:
            return
        files = or_list([env.relative(f.path) for f in found.readable])
        note = "".join(
            f" ({env.relative(f.path)} {f.error})" for f in found.unreadable
        )
        installed_in = {s.spec.name: s for s in env.installs if s.spec.name}
        for v in env.verdicts:
            if v.declarations:
                continue
            imp = v.imp
            msg = f"{named(imp, v.distribution)} is {imp.verb} but not declared in {files}"
            same_name = found.declarations([deps.canonical(imp.target.top)])
            if same_name:  # `sklearn` on PyPI is not scikit-learn
                msg += f" (`{same_name[0].spec}` is a different distribution)"
            install = installed_in.get(v.distribution)
            if install is not None:
                msg += f" (only {install.command} in cell {install.cell.index} installs it)"
            yield self.at(imp.cell, msg + note, **imp.where())


@register
class UnpinnedDependency(Rule):
    """## What it does
    Finds imported packages that the nearest dependency file declares without an exact
    version, when no lock file sits next to it.

    A version is pinned by `==` or `===` in requirements files and PEP 621 tables
    (`==1.26.*` is not), by a bare version in Poetry and Pipfile tables, by a direct URL
    to a file (`name @ https://.../name-1.0-py3-none-any.whl`) or to a VCS commit or tag
    (`name @ git+https://github.com/org/name@v1.0`; no ref or a branch is not a pin).
    In a conda `environment.yml`, `numpy==1.26.4`, `numpy=1.26.4` (a full version),
    `numpy 1.26.4` and `numpy=1.26=<build string>` are pins; `numpy=1.26`, which conda
    reads as any 1.26.x, is not. `~=`, `>=`, `^` and `*` are not pins. A version
    pinned in a `-c` constraints file, or by any other dependency file of the same
    folder (a `requirements.txt` compiled from `requirements.in`), counts.
    A lock file (`poetry.lock`, `uv.lock`, `Pipfile.lock`, `pdm.lock`, `pixi.lock`,
    `conda-lock.yml`, `pylock.toml`) pins everything.

    ## Why is this bad?
    An unpinned dependency installs whatever is newest on the day of the install. A
    new release can change results (a different default in scikit-learn) or break the
    code, and the model that goes to production is no longer the one that was
    evaluated.

    ## Example
    ```text
    # requirements.txt
    pandas>=1.5
    scikit-learn
    ```

    ## Use instead
    ```text
    # requirements.txt
    pandas==2.2.2
    scikit-learn==1.5.1
    ```

    ## Fix
    Pin the version you use (`pip freeze | grep -i pandas`), compile the file with
    `pip-compile`/`uv pip compile`, or commit the lock file of your tool.
    """

    code = "NB202"
    name = "unpinned-dependency"
    severity = Severity.WARNING
    summary = "An imported package is declared without an exact version"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        env = environment_of(nb)
        found = env.dependencies
        if found is None or found.locked:
            return
        for v in env.verdicts:
            if not v.declarations or found.is_pinned({r.name for r in v.declarations}):
                continue
            first = v.declarations[0]
            spec = first.spec if len(first.spec) <= 60 else first.spec[:57] + "..."
            imp = v.imp
            yield self.at(
                imp.cell,
                f"{named(imp, v.distribution)} is declared without a pinned version in "
                f"{env.relative(first.source)} (`{spec}`): pin it with `==` or commit a lock file",
                **imp.where(),
            )


@register
class MissingDependencyFile(Rule):
    """## What it does
    Reports a notebook that imports third-party packages when no dependency file
    (`requirements*.txt`, a `pyproject.toml` with dependencies, `environment.yml`,
    `Pipfile`, `setup.cfg`, `setup.py`) can be found in its folder or in any folder
    above it, up to the repository root. A dependency file that cannot be parsed
    (invalid TOML or YAML) does not count, and the message says why.

    ## Why is this bad?
    Nothing records what the notebook needs. Whoever runs it next must guess the
    packages from the imports, and their versions from nowhere.

    ## Example
    ```text
    project/
        train.ipynb        # import pandas, sklearn
    ```

    ## Use instead
    ```text
    project/
        train.ipynb
        requirements.txt   # pandas==2.2.2, scikit-learn==1.5.1
    ```

    ## Fix
    Create a `requirements.txt` next to the notebook (or at the project root) listing
    the distributions named in the message with their versions, e.g. from
    `pip freeze`, keeping only what the notebook imports.
    """

    code = "NB203"
    name = "missing-dependency-file"
    severity = Severity.WARNING
    summary = "No dependency file declares what the notebook imports"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        env = environment_of(nb)
        if env.folder is None or not env.required:
            return
        found = env.dependencies
        if found is not None and found.readable:
            return
        # Static names only: asking the installed metadata costs a fraction of a second
        # and would make the message depend on the environment the linter runs in.
        dists = list(dict.fromkeys(i.target.distributions[0] for i in env.required))
        shown = ", ".join(dists[:5]) + (f" and {len(dists) - 5} more" if len(dists) > 5 else "")
        if found is not None:
            why = "; ".join(f"{env.relative(f.path)} {f.error}" for f in found.unreadable)
            msg = f"no readable dependency file ({why}); the notebook needs {shown}"
        else:
            limit = "the repository root" if deps.repository_root(env.folder) else "the filesystem root"
            msg = (
                f"no dependency file (requirements.txt, pyproject.toml, environment.yml, Pipfile) "
                f"in the notebook's folder or above it up to {limit}; the notebook needs {shown}"
            )
        first = env.required[0]
        yield self.at(first.cell, msg, **first.where())
