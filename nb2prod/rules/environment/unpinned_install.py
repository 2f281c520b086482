"""NB204: `%pip install` and friends without a version."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from nb2prod import _lazyre, deps
from nb2prod.analysis import Analysis
from nb2prod.diagnostics import Finding, Severity
from nb2prod.fixes.model import Applicability, Fix, SourceEdit
from nb2prod.fixes.text import line_starts
from nb2prod.rules._base import Rule, register
from nb2prod.rules.environment.facts import Environment, _Install, environment_of

_TOOLING = frozenset({"pip", "setuptools", "wheel"})


_INDEX_OPTION = _lazyre.compile(r"(?:^|\s)(?:-i|--index-url|--extra-index-url|-f|--find-links)(?:[\s=]+(\S*)|$)")
_PYPI = _lazyre.compile(r"""^['"]?https?://pypi\.org/simple/?['"]?$""")


def _other_index(line: str) -> bool:
    """Whether an install line names an index or wheel folder other than PyPI itself."""
    return any(not _PYPI.match(m.group(1) or "") for m in _INDEX_OPTION.finditer(line))


@register
class UnpinnedInstall(Rule):
    """## What it does
    Finds packages installed from the notebook (`%pip install`, `!pip install`,
    `%conda install`, `pip install` in a `%%bash` cell) without an exact version.
    A package is pinned by `==` or `===` (conda: `==`, or `=` with a full version such
    as `=1.26.4`, or a build string; `=1.26` means any 1.26.x), a VCS URL by
    `@<commit or tag>` (`git+https://github.com/org/repo@v1.2`, not `@main` nor no ref
    at all). Options (`-q`, `-U`, `--index-url URL`), local paths (`.`, `-e .`), file
    URLs, and the tooling (`pip`, `setuptools`, `wheel`, as in `pip install --upgrade
    pip`) are not reported. `-r FILE` installs what FILE declares: its unpinned
    packages are reported in one finding, unless FILE is the dependency file NB202
    already judges (the nearest one).

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
    Safe: pins a pip package to the version installed where nb2prod runs: only the
    package's word changes (`%pip install -q xgboost` becomes `%pip install -q
    xgboost==2.1.1`; `rich[jupyter]` becomes `rich[jupyter]==13.7.1`), options and the
    other packages stay. Not offered for a package that is not installed here (the
    message says so), one installed from a local path or URL, a version range that
    excludes the installed version, URLs, `-r FILE`, a command that installs from
    another index (`--index-url`, `--extra-index-url`, `--find-links`: CUDA wheels or a
    mirror may not have the version installed here), and conda installs (a conda
    package's name and versions are not always PyPI's). By hand: pin each package with
    `==` (conda: `=`), or better, move the packages to the project's dependency file and
    install from it (`%pip install -r requirements.txt`).
    """

    code = "NB204"
    name = "unpinned-install"
    severity = Severity.WARNING
    summary = "A package is installed from the notebook without an exact version"
    fix: ClassVar[Applicability | None] = Applicability.SAFE

    def check(self, nb: Analysis) -> Iterator[Finding]:
        env = environment_of(nb)
        for inst in env.installs:
            spec = inst.spec
            if spec.requirements_file is not None:
                finding = self._requirements_file(nb, inst)
                if finding is not None:
                    yield finding
                continue
            if spec.pinned or spec.name is None:
                continue
            if "://" in spec.spec:
                ref = spec.spec.split("://", 1)[1].split("#", 1)[0].rpartition("@")[2]
                where = f"the branch `{ref}`" if "@" in spec.spec.split("://", 1)[1] else "the default branch"
                yield self.at(
                    inst.cell,
                    f"{inst.command} installs `{spec.spec}` from {where} of the repository, which "
                    "moves: add `@<commit or tag>` to the URL",
                    line=inst.line,
                    column=inst.column,
                    end_line=inst.line if inst.end_column else None,
                    end_column=inst.end_column,
                )
                continue
            pin = "==" if spec.tool == "pip" else "=<full version> or =="
            message = f"{inst.command} installs `{spec.spec}` without a pinned version: use `{spec.name}{pin}<version>`"
            fix = None
            if spec.tool == "pip":
                if env.installed(spec.name) is None:
                    message += f" (`{spec.name}` is not installed where nb2prod runs, so no fix can pin it)"
                else:
                    fix = self._fix(env, inst)
            yield self.at(
                inst.cell,
                message,
                line=inst.line,
                column=inst.column,
                end_line=inst.line if inst.end_column else None,
                end_column=inst.end_column,
                fix=fix,
            )

    def _fix(self, env: Environment, inst: _Install) -> Fix | None:
        """The package's word in the cell replaced by ``name==<installed version>``."""
        from nb2prod.fixes.depfiles import DepFileError, pin_requirement

        spec = inst.spec
        release = env.installed(spec.name) if spec.name else None
        if release is None or inst.end_column is None or spec.name is None:
            return None
        source = inst.cell.source
        starts = line_starts(source)
        if not 1 <= inst.line <= len(starts):
            return None
        start = starts[inst.line - 1] + inst.column - 1
        end = start + len(spec.spec)
        # The word must be what the parser read (IPython transforms, odd line breaks), and
        # not cut short by a shell redirection (`pip install pandas>=2` writes to `=2`).
        if source[start:end] != spec.spec or source[end:end + 1] in ("<", ">"):
            return None
        # Another index (CUDA wheels, a private mirror) may not have the version installed here.
        line_text = source[starts[inst.line - 1]: starts[inst.line] if inst.line < len(starts) else len(source)]
        if _other_index(line_text):
            return None
        try:
            new = pin_requirement(spec.spec, spec.name, release[1])
        except DepFileError:
            return None
        if new is None or new == spec.spec:
            return None
        return Fix(
            f"pin `{spec.spec}` to the version installed here: `{new}`",
            (SourceEdit(inst.cell.index, inst.cell.id, start, end, new),),
        )

    def _requirements_file(self, nb: Analysis, inst: _Install) -> Finding | None:
        """`-r FILE`: one finding naming FILE's unpinned packages (FILE read as NB202 reads
        dependency files); none when FILE is missing, or is one NB202 judges."""
        env = environment_of(nb)
        target = inst.spec.requirements_file
        if env.folder is None or not target:
            return None
        path = Path(os.path.normpath(env.folder / os.path.expanduser(target)))
        found = env.dependencies
        if found is not None and any(Path(os.path.abspath(f.path)) == path for f in found.files):
            return None  # the nearest dependency file: NB202 reports its unpinned imports
        if not deps.is_file(path):
            return None
        read = deps.read_dependency_file(path)
        if read.error is not None:
            return None
        pinned = {r.name for r in read.requirements if r.pinned}
        loose = [r for r in read.requirements
                 if not r.pinned and not r.constraint and r.name not in pinned and r.name not in _TOOLING]
        if not loose:
            return None
        names = ", ".join(f"`{r.spec}`" for r in loose[:3]) + (f" and {len(loose) - 3} more" if len(loose) > 3 else "")
        return self.at(
            inst.cell,
            f"{inst.command} installs from `{target}` packages without a pinned version: {names}; "
            "pin them with `==`",
            line=inst.line,
            column=inst.column,
            end_line=inst.line if inst.end_column else None,
            end_column=inst.end_column,
        )
