"""The ``nb2prod`` command line.

    nb2prod lint PATH... [--format text|json|sarif|github|junit] [--select ..] [--ignore ..]
                         [--fail-on error|warning|info] [--output FILE] [--jobs N]
                         [--execute [--reproduce] [--cell-timeout S] [--timeout S]
                          [--compare-images] [--kernel NAME]]
    nb2prod rule CODE      the rule's documentation
    nb2prod rules          the rule table
    nb2prod tags           the tag vocabulary
    nb2prod build NB       a tagged notebook -> an installable prediction service
    nb2prod clean PATH...  clear outputs and execution counts (--check: only report)

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or input error.
Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nb2prod import __version__

if TYPE_CHECKING:
    from nb2prod.runopts import ExecutionOptions

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"nb2prod: error: {message}\n")


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _add_declared(group: argparse._ActionsContainer, options: type, command: str) -> None:
    """The flags of the run options ``options`` declares (see nb2prod.kernel_runner), with
    ``command``'s defaults in their help. Each parses to None when not given."""
    from nb2prod.runopts import declared

    for o in declared(options):
        if o.kind == "switch":
            group.add_argument(o.flag, dest=o.name, action="store_true", default=None, help=o.help_for(command))
        else:
            group.add_argument(o.flag, dest=o.name, type=_declared_type(o), default=None, metavar=o.unit,
                               help=o.help_for(command))


def _declared_type(declaration: Any) -> Any:
    def convert(raw: str) -> Any:
        try:
            return declaration.convert(raw)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


def _declared_values(args: argparse.Namespace, options: type) -> dict[str, Any]:
    from nb2prod.runopts import declared

    return {o.name: getattr(args, o.name) for o in declared(options)}


def _flatten(values: list[list[str]] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    return tuple(v for group in values for v in group)


def build_parser() -> argparse.ArgumentParser:
    from nb2prod.formats import FORMATS

    parser = _Parser(
        prog="nb2prod",
        description="Get a model out of a Jupyter notebook and into production.",
    )
    parser.add_argument("--version", action="version", version=f"nb2prod {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    lint = sub.add_parser("lint", help="check notebooks for what keeps them from production")
    lint.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="notebooks or folders (default: .)")
    lint.add_argument("--format", choices=sorted(FORMATS), default="text", help="output format (default: text)")
    lint.add_argument("--select", type=_csv, action="append", metavar="CODES",
                      help="rules to run, replacing the configured selection (codes, prefixes, names, families)")
    lint.add_argument("--extend-select", type=_csv, action="append", metavar="CODES", help="rules to add")
    lint.add_argument("--ignore", type=_csv, action="append", metavar="CODES", help="rules not to run")
    lint.add_argument("--fail-on", choices=["error", "warning", "info"],
                      help="exit 1 when a finding is at or above this severity (default: error)")
    lint.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    lint.add_argument("--jobs", "-j", type=int, default=0, metavar="N",
                      help="processes to use (default 0: one per CPU, when there are enough notebooks)")
    lint.add_argument("--config", metavar="PYPROJECT", help="use this pyproject.toml instead of the nearest one")
    lint.add_argument("--no-cache", dest="cache", action="store_false",
                      help="lint every notebook, even unchanged ones (default: results are kept in .nb2prod_cache "
                           "at the project root, or $NB2PROD_CACHE_DIR; NB2PROD_NO_CACHE=1 is the same as this flag)")
    color = lint.add_mutually_exclusive_group()
    color.add_argument("--color", dest="color", action="store_true", default=None, help="force colour")
    color.add_argument("--no-color", dest="color", action="store_false", help="no colour")
    lint.add_argument("--no-source", dest="show_source", action="store_false", help="no code frames in text output")
    lint.add_argument("--quiet", "-q", action="store_true", help="print nothing; only the exit code")
    fx = lint.add_argument_group("fixes (see docs/fixes.md)")
    fx.add_argument("--fix", action="store_true", help="apply the safe fixes, then report what remains")
    fx.add_argument("--unsafe-fixes", action="store_true",
                    help="with --fix, --fix-only or --diff: apply the unsafe fixes too")
    fx.add_argument("--diff", action="store_true",
                    help="print what --fix would change, cell by cell, and write nothing (exit 1 if anything would)")
    fx.add_argument("--fix-only", action="store_true",
                    help="apply the fixes and report only what was fixed (exit 0 unless a file cannot be read)")
    ex = lint.add_argument_group("re-execution (see docs/ci.md)")
    ex.add_argument("--execute", action="store_true",
                    help="also run each notebook top to bottom in a fresh kernel (NB307, NB310); never writes it")
    from nb2prod.runopts import ExecutionOptions

    _add_declared(ex, ExecutionOptions, "lint")

    rule = sub.add_parser("rule", help="explain a rule")
    rule.add_argument("code", help="a code (NB101) or a name (unseeded-python-random)")
    rule.add_argument("--format", choices=["text", "markdown", "json"], default="text")

    rules = sub.add_parser("rules", help="list every rule")
    rules.add_argument("--format", choices=["table", "markdown", "json"], default="table")

    build = sub.add_parser("build", help="turn a tagged notebook into an installable prediction service")
    build.add_argument("notebook", help="the training notebook (cells tagged predict, serve, example...)")
    build.add_argument("--output", "-o", metavar="DIR", help="project folder to create (default: NOTEBOOK-service)")
    build.add_argument("--parameter", "-p", action="append", default=[], metavar="NAME=VALUE",
                       help="override a value of the `parameters` cell (a Python literal); repeatable; "
                       "`-p owner=NAME` names the owner in MODEL_CARD.md")
    build.add_argument("--template", metavar="PATH|URL", help="a cookiecutter template (see docs/templates.md)")
    build.add_argument("--verify", action="store_true",
                       help="install the service into a fresh venv and run its tests")
    build.add_argument("--force", action="store_true", help="replace a non-empty output folder")
    build.add_argument("--no-gate", dest="gate", action="store_false", help="build even if lint finds errors")
    from nb2prod.runopts import RunOptions

    _add_declared(build.add_argument_group("execution in a fresh kernel"), RunOptions, "build")

    from nb2prod import clean

    clean.register(sub)

    tags = sub.add_parser("tags", help="list the cell tag vocabulary")
    tags.add_argument("--format", choices=["table", "json"], default="table")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from nb2prod.extras import MissingExtra

    try:
        if args.command == "lint":
            return cmd_lint(args)
        if args.command == "rule":
            return cmd_rule(args)
        if args.command == "rules":
            return cmd_rules(args)
        if args.command == "tags":
            return cmd_tags(args)
        if args.command == "clean":
            return int(args.handler(args))
        if args.command == "build":
            return cmd_build(args)
    except MissingExtra as exc:
        return _error(str(exc))
    except KeyboardInterrupt:
        print("nb2prod: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`nb2prod lint | head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # a bug of nb2prod's: one line, the traceback only on request
        if os.environ.get("NB2PROD_DEBUG"):
            raise
        from nb2prod.masking import redact

        return _error(f"internal error: {type(exc).__name__}: {redact(str(exc))} "
                      "(this is a bug in nb2prod; NB2PROD_DEBUG=1 shows the traceback)")
    parser.error(f"unknown command {args.command!r}")
    return EXIT_ERROR  # pragma: no cover


def _error(message: str) -> int:
    """Print ``message`` as one line on stderr (controls escaped: a file name may hold a
    newline, which must not start a second line that CI reads as a command)."""
    from nb2prod.textsafe import one_line

    print(f"nb2prod: error: {one_line(message)}", file=sys.stderr)
    return EXIT_ERROR


def _write_atomic(path: Path, text: str) -> None:
    """Write the report next to its destination, then rename: never a half-written file.

    Only regular files (or new ones) are replaced that way; a symlink is followed to its
    target, and a device or pipe (``/dev/stdout``) is written to directly.
    """
    if path.exists() and not path.is_file():  # follows symlinks: /dev/stdout, a FIFO
        with path.open("w", encoding="utf-8") as fh:
            fh.write(text)
        return
    if path.is_symlink():
        path = path.resolve()
    directory = path.parent if str(path.parent) else Path(".")
    import tempfile  # only here: not imported by every lint
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cmd_lint(args: argparse.Namespace) -> int:
    from nb2prod.config import ConfigError, Overrides, settings_for
    from nb2prod.diagnostics import Severity
    from nb2prod.engine import NotebookResult, RunResult, lint_paths
    from nb2prod.formats import FormatContext, render
    from nb2prod.walk import discover

    overrides = Overrides(
        select=_flatten(args.select),
        extend_select=_flatten(args.extend_select) or (),
        ignore=_flatten(args.ignore) or (),
        fail_on=args.fail_on,
    )
    config = Path(args.config) if args.config else None
    if config is not None and not config.is_file():
        return _error(f"{config}: no such configuration file")
    # Validate the configuration (and the selectors given on the command line) up front,
    # so that a typo is one clear error instead of one per notebook.
    try:
        base = settings_for(Path.cwd() / "_", overrides, config)
    except ConfigError as exc:
        return _error(str(exc))
    if args.output:
        out_dir = Path(args.output).parent
        if str(out_dir) and not out_dir.is_dir():
            return _error(f"{args.output}: folder {out_dir} does not exist")

    execution, problem = _execution_options(args)
    if problem:
        return _error(problem)

    fixing = args.fix or args.fix_only or args.diff
    if fixing and execution is not None:
        return _error("--fix, --fix-only and --diff cannot be combined with --execute or --reproduce")
    if not base.enabled(None):
        print("nb2prod: warning: no rules are selected (check select/ignore)", file=sys.stderr)
    targets = list(discover(args.paths, config))
    paths = [t.path for t in targets if not t.error]
    if args.output and not args.quiet:
        report = Path(os.path.realpath(args.output))
        if any(Path(os.path.realpath(p)) == report for p in paths):  # symlinks resolved: an alias is the same file
            return _error(f"{args.output}: is one of the notebooks being linted; the report would replace it")
    fixed: int | None = None
    linted: Iterator[NotebookResult]
    if fixing:
        outcomes = _fix_paths(paths, overrides, config, args)
        if args.diff:
            return _print_diff(outcomes, targets, args)
        fixed = sum(o.fixed_total for o in outcomes)
        linted = iter(o.result for o in outcomes)
    else:
        cache = None
        if args.cache and execution is None and not os.environ.get("NB2PROD_NO_CACHE"):
            from nb2prod.cache import Cache, cache_dir_for

            cache = Cache(cache_dir_for())
        linted = iter(lint_paths(paths, overrides, config, jobs=args.jobs, execution=execution, cache=cache).notebooks)
    # Keep the order of the command line: unusable arguments stay where they were given.
    run = RunResult([NotebookResult(path=str(t.path), error=t.error) if t.error else next(linted) for t in targets])
    fail_on = Severity.parse(args.fail_on) if args.fail_on else base.fail_on

    for nb in run.notebooks:
        if nb.error and (args.format != "text" or args.output or args.quiet):
            # Machine formats keep stdout parseable; the one-line error goes to stderr
            # (one line: a newline in a file name is shown as \n).
            _error(f"{nb.path}: {nb.error}")
    if args.fix_only:
        if not args.quiet:
            _fix_summary(run, fixed or 0, args)
        return 2 if any(nb.error or nb.internal_errors for nb in run.notebooks) else 0
    if not args.quiet:
        color = args.color
        if color is None:
            color = (
                not args.output
                and sys.stdout.isatty()
                and "NO_COLOR" not in os.environ
                and os.environ.get("TERM") != "dumb"
            ) or "FORCE_COLOR" in os.environ
        ctx = FormatContext(fail_on=fail_on, color=bool(color and not args.output), show_source=args.show_source,
                            fixed=fixed, unsafe_fixes=args.unsafe_fixes)
        text = render(args.format, run, ctx)
        if args.output:
            try:
                _write_atomic(Path(args.output), text)
            except OSError as exc:
                return _error(f"{args.output}: cannot write: {exc.strerror or exc}")
        else:
            _write_report(text, args.format)
        if fixed is not None and (args.format != "text" or args.output):
            _fix_summary(run, fixed, args)  # machine formats: the summary goes to stderr
    return run.exit_code(fail_on)


def _fix_paths(paths: list[Path], overrides: Any, config: Path | None, args: argparse.Namespace) -> list[Any]:
    """Fix the notebooks (nb2prod.fixes.run.fix_paths)."""
    from nb2prod.fixes.run import fix_paths

    return fix_paths(paths, overrides, config, unsafe=args.unsafe_fixes, write=not args.diff)


def _fix_summary(run: Any, fixed: int, args: argparse.Namespace) -> None:
    remaining = len(run.findings)
    word = "finding" if fixed == 1 else "findings"
    print(f"Fixed {fixed} {word} ({remaining} remaining).", file=sys.stderr if not args.fix_only else sys.stdout)


def _print_diff(outcomes: list[Any], targets: list[Any], args: argparse.Namespace) -> int:
    """``--diff``: the change each fix would make, cell by cell; nothing is written."""
    from nb2prod.fixes.diff import file_diff, notebook_diff

    parts: list[str] = []
    would = 0
    errors = False
    for t in targets:
        if t.error:
            _error(f"{t.path}: {t.error}")
            errors = True
    shown_files: set[Path] = set()
    for o in outcomes:
        if o.result.error:
            _error(f"{o.path}: {o.result.error}")
            errors = True
            continue
        if o.result.internal_errors:
            errors = True
        if not o.changed:
            continue
        would += o.fixed_total
        if o.text is not None and o.data_before is not None and o.data is not None:
            parts.append(notebook_diff(o.path, o.data_before, o.data))
        for file, (before, after) in o.files.items():
            if file not in shown_files:
                shown_files.add(file)
                parts.append(file_diff(file, before, after))
        for notice in o.result.notices:
            if notice.startswith("not fixed:"):
                print(f"{o.path}: note: {notice}", file=sys.stderr)
    if not args.quiet:
        _write_report("".join(parts), "text")
        word = "finding" if would == 1 else "findings"
        print(f"Would fix {would} {word}." if would else "No fixes available.", file=sys.stderr)
    if errors:
        return EXIT_ERROR
    return 1 if would else 0


def _write_report(text: str, fmt: str) -> None:
    """Write a report to stdout, whatever its encoding: json, sarif and junit are UTF-8
    by definition (written as UTF-8 bytes when stdout is, say, ASCII under LC_ALL=C with
    PYTHONIOENCODING); text and github use stdout's encoding, with escapes for what it
    cannot encode."""
    out = sys.stdout
    encoding = (getattr(out, "encoding", None) or "utf-8").lower().replace("_", "-")
    buffer = getattr(out, "buffer", None)
    if encoding in ("utf-8", "utf8") or buffer is None:
        out.write(text)
        out.flush()
        return
    data = text.encode("utf-8") if fmt in ("json", "sarif", "junit") else text.encode(encoding, "backslashreplace")
    out.flush()
    buffer.write(data)
    buffer.flush()


def _execution_options(args: argparse.Namespace) -> tuple[ExecutionOptions | None, str | None]:
    """The ExecutionOptions the lint flags ask for, or a usage problem."""
    from nb2prod.runopts import ExecutionOptions, declared

    if not (args.execute or args.reproduce):  # --reproduce implies --execute
        given = [o.flag for o in declared(ExecutionOptions) if o.name != "reproduce" and getattr(args, o.name)
                 is not None]
        return None, f"{', '.join(given)} need{'s' if len(given) == 1 else ''} --execute" if given else None
    from nb2prod.extras import require

    require("build", "nb2prod lint --execute", ("nbformat", "nbclient", "jupyter_client", "ipykernel"))
    try:
        return ExecutionOptions.for_command("lint", **_declared_values(args, ExecutionOptions)), None
    except ValueError as exc:
        return None, str(exc)


def cmd_rule(args: argparse.Namespace) -> int:
    from nb2prod.rules import get_rule

    rule = get_rule(args.code)
    if rule is None:
        return _error(f"unknown rule {args.code!r} (see `nb2prod rules`)")
    if args.format == "json":
        print(json.dumps(rule.to_dict(), indent=2))
        return EXIT_OK
    header = f"{rule.code} {rule.name}"
    meta = f"Family: {rule.family.title} · Default severity: {rule.severity.label} · Fix: {rule.fix_label}"
    if args.format == "markdown":
        print(f"# {header}\n\n{meta}\n\n{rule.summary}.\n\n{rule.doc()}")
    else:
        print(f"{header}\n{meta}\n\n{rule.summary}.\n\n{rule.doc()}")
    return EXIT_OK


def rules_markdown() -> str:
    """The rule reference (docs/rules.md is this text)."""
    from nb2prod.diagnostics import FAMILIES
    from nb2prod.rules import REGISTRY

    lines = ["# nb2prod rules", "", "Generated by `nb2prod rules --format markdown`; do not edit by hand.", ""]
    for fam in FAMILIES:
        fam_rules = [r for c, r in REGISTRY.items() if c.startswith(fam.prefix)]
        lines += [f"## {fam.title} ({fam.prefix}xx)", "", fam.summary, "",
                  "| code | name | severity | fix | summary |", "|---|---|---|---|---|"]
        lines += [f"| [{r.code}](#{r.code.lower()}-{r.name}) | `{r.name}` | {r.severity.label} | "
                  f"{r.fix.label if r.fix else ''} | {r.summary} |" for r in fam_rules]
        lines.append("")
        for r in fam_rules:
            body = r.doc().replace("\n## ", "\n#### ")
            if body.startswith("## "):
                body = "#### " + body[3:]
            lines += [f"### {r.code} {r.name}", "", f"*{r.severity.label}* · fix: {r.fix_label} · {r.summary}.", "",
                      body, ""]
    return "\n".join(lines).rstrip() + "\n"


def cmd_rules(args: argparse.Namespace) -> int:
    from nb2prod.rules import REGISTRY

    if args.format == "json":
        print(json.dumps([r.to_dict() for r in REGISTRY.values()], indent=2))
    elif args.format == "markdown":
        sys.stdout.write(rules_markdown())
    else:
        width = max(len(r.name) for r in REGISTRY.values())
        for r in REGISTRY.values():
            fix = r.fix.label if r.fix else "-"
            print(f"{r.code}  {r.name:<{width}}  {r.severity.label:<7}  {fix:<6}  {r.summary}")
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    from nb2prod.extras import require

    require("build", "nb2prod build")
    from rich.console import Console
    from rich.markup import escape

    from nb2prod.converter import BuildError, BuildOptions, Event, build
    from nb2prod.converter.errors import safe_message
    from nb2prod.converter.plan import parse_parameter
    from nb2prod.runopts import RunOptions

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        parameters = dict(parse_parameter(p) for p in args.parameter)
        notebook = Path(args.notebook)
        run = RunOptions.for_command("build", **_declared_values(args, RunOptions))
        options = BuildOptions(
            notebook=notebook,
            output=Path(args.output) if args.output else None,
            parameters=parameters,
            template=args.template,
            verify=args.verify,
            force=args.force,
            gate=args.gate,
            cell_timeout=run.cell_timeout,
            timeout=run.timeout,
            kernel_name=run.kernel_name,
        )
        marks = {"done": "[green]✓[/]", "failed": "[red]✗[/]", "skipped": "[dim]-[/]"}

        def show(event: Event) -> None:
            if event.status in marks:
                took = f" [dim]{event.seconds:.1f}s[/]" if event.seconds is not None else ""
                err.print(f"{marks[event.status]} {event.stage:<8} {escape(event.message)}{took}")
            elif event.status == "progress" and err.is_terminal:
                err.print(f"  [dim]{event.stage}: {escape(event.message)}[/]")

        result = build(options, show)
    except BuildError as exc:
        return _error(f"{args.notebook}: {exc}")
    if result.verified is False:
        return _error(f"{result.output}: the generated service failed its checks: {result.verify_summary}; "
                      f"see {result.output / 'verify.log'}")
    if not err.is_terminal:  # in a terminal they were shown as progress lines during the build
        for line in result.data_changes:
            err.print(escape(safe_message(line)))
    for index, names in result.plan.notebook_only_tests.items():
        err.print(f"[dim]note: test cell {index} is not exported to the service's tests: it reads "
                  f"{escape(safe_message(', '.join(names)))}, which only training defines[/]")
    output = safe_message(result.output)
    print(f"Built {output} (package {result.package_name}). Next:")
    print(f"  pip install {output} && {result.project_name} serve")
    return EXIT_OK


def cmd_tags(args: argparse.Namespace) -> int:
    from nb2prod.tags import TAGS

    if args.format == "json":
        print(json.dumps([t.to_dict() for t in TAGS.values()], indent=2))
    else:
        width = max(len(t) for t in TAGS)
        for t in TAGS.values():
            print(f"{t.name:<{width}}  {t.summary}")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
