"""NB201-NB203: the dependency files: imports they do not declare, versions they do not
pin, and no file at all."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from nb2prod import _lazyre, deps
from nb2prod.analysis import Analysis
from nb2prod.diagnostics import Finding, Severity
from nb2prod.fixes.model import Applicability, Fix, Requirement
from nb2prod.rules._base import Rule, register
from nb2prod.rules.environment.facts import Environment, _Verdict, environment_of, named, or_list

# Where NB201 adds a dependency: the project's main files first; a file for development,
# tests or documentation is never where the notebook's dependencies belong.
_MAIN_ORDER = ("requirements.txt", "requirements.in", "pyproject.toml", "environment.yml", "environment.yaml",
               "Pipfile", "setup.cfg")
_NOT_RUNTIME = _lazyre.compile(
    r"(?:^|[-_./])(?:dev|develop|test|tests|testing|doc|docs|lint|ci|build|typing)(?:[-_.]|$)", re.I)


def _targets(found: deps.DependencySet) -> list[Path]:
    """The files NB201's fix may add to, the most likely first."""
    paths = [f.path for f in found.readable if f.kind != "setup.py" and not _NOT_RUNTIME.search(f.path.name)]
    return sorted(paths, key=lambda p: (
        _MAIN_ORDER.index(p.name) if p.name in _MAIN_ORDER and p.parent == found.folder else len(_MAIN_ORDER),
        len(p.parts), str(p)))


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
    Safe: declares the distribution, pinned to the version installed where nb2prod runs
    (`scikit-learn==1.5.1`), in the nearest dependency file, in its own syntax
    (`requirements.txt`, then `requirements.in`, `pyproject.toml`'s `[project]`
    dependencies or `[tool.poetry.dependencies]`, the `- pip:` list of
    `environment.yml`, `Pipfile`, `setup.cfg`; never a development, test or docs
    file). Nothing else in the file changes. Not offered when the distribution is not
    installed here (or was installed from a local path or URL), when several installed
    distributions could provide the import (`opencv-python` and
    `opencv-contrib-python`), or when the file cannot be edited safely (dependencies
    read dynamically, a file compiled by pip-compile). By hand: add the distribution
    with the version you use (`pip show scikit-learn`).
    """

    code = "NB201"
    name = "undeclared-dependency"
    severity = Severity.WARNING
    summary = "An imported package is missing from the nearest dependency file"
    fix: ClassVar[Applicability | None] = Applicability.SAFE

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
            yield self.at(imp.cell, msg + note, fix=self._fix(env, found, v), **imp.where())

    def _fix(self, env: Environment, found: deps.DependencySet, v: _Verdict) -> Fix | None:
        pick = env.distribution_to_pin(v.imp.target)
        if pick is None:
            return None
        name, version = pick
        for path in _targets(found):
            if env.requirement_fix(path, name, version):
                return Fix(
                    f"declare `{name}=={version}` (the version installed here) in {env.relative(path)}",
                    (Requirement(str(path), name, version),),
                )
        return None


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
    Safe: pins the declaration to the version installed where nb2prod runs, in the file
    and place that declares it (`pandas>=1.5` becomes `pandas==2.2.2`, its extras,
    markers and comments kept; `pandas = "^2.1"` becomes `pandas = "2.2.2"` in Poetry;
    `- pandas` becomes `- pandas=2.2.2` in a conda file). Not offered when the package
    is not installed here, when the installed version is outside the declared range
    (`pandas<2` with pandas 2.2 installed), or when the declaration cannot be pinned in
    place (a URL, hashes, several lines, a file compiled by pip-compile). By hand: pin
    the version you use (`pip freeze | grep -i pandas`), compile the file with
    `pip-compile`/`uv pip compile`, or commit the lock file of your tool.
    """

    code = "NB202"
    name = "unpinned-dependency"
    severity = Severity.WARNING
    summary = "An imported package is declared without an exact version"
    fix: ClassVar[Applicability | None] = Applicability.SAFE

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
                fix=self._fix(env, first),
                **imp.where(),
            )

    def _fix(self, env: Environment, declared: deps.Requirement) -> Fix | None:
        release = env.installed(declared.name)
        if release is None:
            return None
        name, version = release
        if not env.requirement_fix(declared.source, name, version):
            return None
        return Fix(
            f"pin `{declared.name}` to {version} (the version installed here) in {env.relative(declared.source)}",
            (Requirement(str(declared.source), name, version),),
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
    Safe: creates `requirements.txt` next to the notebook declaring each distribution
    the notebook imports, pinned to the version installed where nb2prod runs. When a
    distribution is not installed here (or could be one of several), the file would be
    incomplete: the fix is then unsafe (`--unsafe-fixes`), leaves it out, and its
    message names it: add it yourself. Not offered when none is installed,
    or when a dependency file exists but cannot be read (repair that file instead). By
    hand: create the file (next to the notebook or at the project root) listing the
    distributions named in the message with their versions, e.g. from `pip freeze`,
    keeping only what the notebook imports.
    """

    code = "NB203"
    name = "missing-dependency-file"
    severity = Severity.WARNING
    summary = "No dependency file declares what the notebook imports"
    fix: ClassVar[Applicability | None] = Applicability.SAFE

    def check(self, nb: Analysis) -> Iterator[Finding]:
        env = environment_of(nb)
        if env.folder is None or not env.required:
            return
        found = env.dependencies
        if found is not None and found.readable:
            return
        # Static names only: asking the installed metadata costs a fraction of a second
        # and would make the message depend on the environment the linter runs in.
        dists = sorted(dict.fromkeys(i.target.distributions[0] for i in env.required), key=str.lower)
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
        yield self.at(first.cell, msg, fix=self._fix(env) if found is None else None, **first.where())

    def _fix(self, env: Environment) -> Fix | None:
        assert env.folder is not None
        path = env.folder / "requirements.txt"
        pins: dict[str, tuple[str, str]] = {}
        missing: list[str] = []
        for imp in env.required:
            pick = env.distribution_to_pin(imp.target)
            if pick is None:
                missing.append(imp.target.distributions[0])
            else:
                pins.setdefault(deps.canonical(pick[0]), pick)
        if not pins:
            return None
        missing = [m for m in dict.fromkeys(missing) if m not in pins]
        requirements = tuple(Requirement(str(path), name, version) for name, version in pins.values())
        try:
            from nb2prod.fixes.depfiles import DepFileError, edit_requirements

            edit_requirements(path, None, [(r.package, r.version) for r in requirements])
        except DepFileError:
            return None
        message = "create requirements.txt next to the notebook with " + ", ".join(
            f"{r.package}=={r.version}" for r in requirements
        )
        if missing:
            # The file would be incomplete: the rest needs the user, so the fix is unsafe.
            message += f"; left out, as no single installed version was found (add them yourself): {', '.join(missing)}"
            return Fix(message, requirements, Applicability.UNSAFE)
        return Fix(message, requirements)
