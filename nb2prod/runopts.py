"""The options of a notebook run, declared once for every front end that has them.

``nb2prod lint --execute``, ``nb2prod build`` and the pytest plugin take the same run
options (time limits, the kernel); each is declared here once, with its flag, its help and
each command's default. This module is light on purpose (no asyncio, no Jupyter client):
the command line builds its parser from it at every start, including a plain ``lint``.
:mod:`nb2prod.kernel_runner` runs notebooks with these options.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = ["COMMANDS", "Option", "option", "declared", "RunOptions", "ExecutionOptions"]


# -- options: declared once -------------------------------------------------------------

#: The commands whose flags come from the declaration (``pytest``: the plugin's options).
COMMANDS = ("lint", "build", "pytest")
_KEY = "nb2prod.option"


@dataclass(frozen=True)
class Option:
    """The declaration of one run option: what the command line, pytest and the help say.

    ``kind`` is ``seconds`` (a whole number, at least ``minimum``; ``zero`` is what 0
    means, when it means something), ``name`` (a string) or ``switch`` (a flag without a
    value). ``defaults`` holds the commands whose default is not ``default``."""

    name: str  # the field's name (also the argparse dest)
    flag: str  # "--cell-timeout"; pytest's is "--nb2prod-cell-timeout"
    help: str
    default: Any
    kind: str = "seconds"
    unit: str | None = None  # the metavar: SECONDS, NAME
    ini: str | None = None  # the pytest ini option
    minimum: int = 0
    zero: str = ""  # what 0 means ("no limit")
    unset: str = ""  # what the default None means ("the notebook's own")
    defaults: tuple[tuple[str, Any], ...] = ()

    def default_for(self, command: str) -> Any:
        if command not in COMMANDS:
            raise ValueError(f"unknown command {command!r}")
        return dict(self.defaults).get(command, self.default)

    def shown(self, value: Any) -> str:
        """A value as the help shows it."""
        if value is None:
            return self.unset or "none"
        if self.kind == "seconds" and value == 0 and self.zero:
            return f"0, {self.zero}"
        return str(value)

    def help_for(self, command: str) -> str:
        """The help text with this command's default: ``time limit of each cell (default: 120)``."""
        if self.kind == "switch":
            return self.help
        return f"{self.help} (default: {self.shown(self.default_for(command))})"

    @property
    def pytest_flag(self) -> str:
        return "--nb2prod-" + self.flag.removeprefix("--")

    def convert(self, raw: str) -> Any:
        """The value of ``raw`` (a flag's or an ini option's text); ValueError says why not."""
        if self.kind != "seconds":
            return raw.strip() or None
        try:
            seconds = int(raw)
        except ValueError:
            raise ValueError(f"not a whole number of seconds: {raw!r}") from None
        self.check(seconds)
        return seconds

    def check(self, value: Any) -> None:
        if self.kind != "seconds":
            return
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"not a whole number of seconds: {value!r}")
        if value < 0:
            raise ValueError(f"must not be negative: {value!r}")
        if value < self.minimum:
            raise ValueError(f"must be at least {self.minimum} second{'s' if self.minimum != 1 else ''}")


def option(*, flag: str, help: str, default: Any, kind: str = "seconds", unit: str | None = None,
           ini: str | None = None, minimum: int = 0, zero: str = "", unset: str = "", **per_command: Any) -> Any:
    """A dataclass field that declares a run option (``build=600``: the build's own default)."""
    unknown = set(per_command) - set(COMMANDS)
    if unknown:
        raise TypeError(f"unknown command(s) {sorted(unknown)}")
    declaration = Option("", flag, help, default, kind, unit, ini, minimum, zero, unset, tuple(per_command.items()))
    return field(default=default, metadata={_KEY: declaration})


def declared(cls: type) -> tuple[Option, ...]:
    """The options a dataclass declares with :func:`option`, in field order."""
    return tuple(dataclasses.replace(f.metadata[_KEY], name=f.name)
                 for f in dataclasses.fields(cls) if _KEY in f.metadata)


_O = TypeVar("_O", bound="RunOptions")


@dataclass(frozen=True)
class RunOptions:
    """How a notebook runs. ``RunOptions()`` has the defaults of ``lint --execute`` and the
    pytest plugin; ``RunOptions.for_command("build")`` those of ``nb2prod build``."""

    cell_timeout: int = option(
        flag="--cell-timeout", unit="SECONDS", ini="nb2prod_cell_timeout", minimum=1,
        default=120, build=600, help="time limit of each cell")
    timeout: int = option(
        flag="--timeout", unit="SECONDS", ini="nb2prod_timeout", zero="no limit",
        default=600, build=0, help="time limit of a whole run of the notebook, kernel start included; 0 for none")
    kernel_name: str | None = option(
        flag="--kernel", kind="name", unit="NAME", ini="nb2prod_kernel", unset="the notebook's own",
        default=None, help="run with this Jupyter kernel instead of the one the notebook names")

    def __post_init__(self) -> None:
        for declaration in declared(type(self)):
            try:
                declaration.check(getattr(self, declaration.name))
            except ValueError as exc:
                raise ValueError(f"{declaration.flag}: {exc}") from None

    @classmethod
    def for_command(cls: type[_O], command: str, **given: Any) -> _O:
        """The options of ``command``: its declared defaults, then ``given`` (None: not given)."""
        values = {o.name: o.default_for(command) for o in declared(cls)}
        values.update({name: value for name, value in given.items() if value is not None})
        return cls(**values)

    @property
    def run_limit(self) -> int | None:
        """The whole run's limit in seconds, None for none."""
        return self.timeout or None


@dataclass(frozen=True)
class ExecutionOptions(RunOptions):
    """What ``lint --execute`` asks of the engine (picklable, for ``--jobs``): the runner's
    options and lint's own, each declared with its flag and help."""

    reproduce: bool = option(
        flag="--reproduce", kind="switch", default=False,
        help="run it twice and compare outputs between the runs (NB308) and with the saved ones (NB309); "
             "implies --execute")
    images: bool = option(
        flag="--compare-images", kind="switch", default=False,
        help="compare image bytes too (default: only that an image is there)")
