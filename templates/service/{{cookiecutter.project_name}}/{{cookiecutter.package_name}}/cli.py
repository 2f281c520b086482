"""Command line of the service: `serve` it, score a file with `predict`, retrain with `train`.

`predict` streams: it reads the input one chunk of rows at a time (`--batch-size`), scores
the chunk, writes and flushes its predictions, and forgets it, so its memory depends on
the chunk size and the longest line, never on the size of the file.
"""

import argparse
import codecs
import csv
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from itertools import count, islice
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from {{ cookiecutter.package_name }} import lockfile
from {{ cookiecutter.package_name }}.schema import MAX_BODY_BYTES, PredictRequest, PredictResponse, jsonable

FORMATS = ("jsonl", "csv")
MAX_LINE_BYTES = MAX_BODY_BYTES
"""The longest line of an input file: the request body limit of the service."""
MAX_REPORTED = 10
"""How many skipped rows `predict --skip-invalid` names on stderr; the rest are only counted."""


class InputError(ValueError):
    """The input cannot be read, or (without --skip-invalid) one of its rows cannot be scored."""


class RowError(ValueError):
    """One row cannot be scored; its message starts with the row's line number."""


Row = tuple[int, str | dict[str, Any] | RowError]
"""One row of the input: its line number, and the keyword arguments of `predict` (the JSON text of a JSON
line, validated strictly as the service validates a body; the cells of a CSV row, text converted to the
fields' types) or why it has none."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return args.command(args)
    except (lockfile.ArtifactError, InputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader of stdout went away (`... | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def serve(args: argparse.Namespace) -> int:
    """Serve the HTTP API with uvicorn; refuses to start if an artifact differs from the lock."""
    import dataclasses

    import uvicorn

    from {{ cookiecutter.package_name }}.app import create_app
    from {{ cookiecutter.package_name }}.drift import DriftSettings
    from {{ cookiecutter.package_name }}.observability import TimeoutH11Protocol

    lockfile.verify_artifacts(args.model_dir)
    try:
        settings = DriftSettings.from_env()
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if args.strict:
        settings = dataclasses.replace(settings, strict=True)
    uvicorn.run(
        create_app(args.model_dir, settings),
        host=args.host,
        port=args.port,
        http=TimeoutH11Protocol,  # h11, with a deadline for the headers: {{ cookiecutter.package_name | upper }}_HEADER_TIMEOUT
        access_log=False,  # the app logs each request itself, as JSON
        timeout_graceful_shutdown=args.graceful_timeout,
    )
    return 0


def predict(args: argparse.Namespace) -> int:
    """Score a JSON-lines or CSV file in chunks, in bounded memory; one prediction per input row, in order."""
    from {{ cookiecutter.package_name }} import model

    input_format = args.input_format or _format_of(args.input)
    output_format = args.output_format or _format_of(args.output)
    check = _strict_check(args.model_dir) if args.strict else None
    scored = skipped = 0
    with ExitStack() as stack:
        source = _open_input(args.input, stack)  # a missing input is reported before the artifacts load
        out, commit = _open_output(args.output, stack)
        model.load_artifacts(args.model_dir)
        lines = _lines(source, MAX_LINE_BYTES)
        rows = _csv_rows(lines) if input_format == "csv" else _jsonl_rows(lines)
        write = _csv_writer(out, args.skip_invalid) if output_format == "csv" else _jsonl_writer(out)
        while chunk := list(islice(rows, args.batch_size)):
            results = []
            for line, row in chunk:
                result = _score(model.predict, line, row, check)
                if isinstance(result, RowError):
                    if not args.skip_invalid:
                        raise InputError(str(result))
                    skipped += 1
                    if skipped <= MAX_REPORTED:
                        print(f"skipped {result}", file=sys.stderr)
                else:
                    scored += 1
                results.append(result)
            write(results)
            out.flush()
        commit()
    unlisted = f" ({skipped - MAX_REPORTED} not listed)" if skipped > MAX_REPORTED else ""
    print(f"scored {_rows(scored)}; skipped {_rows(skipped)}{unlisted}", file=sys.stderr)
    return 0


def train(args: argparse.Namespace) -> int:
    """Rerun the notebook's training code; write new artifacts and an updated lock."""
    from {{ cookiecutter.package_name }}.train import train as retrain

    lock_path = retrain(args.output_dir)
    print(f"wrote the artifacts and {lock_path}")
    return 0


def _rows(number: int) -> str:
    return f"{number} row" if number == 1 else f"{number} rows"


# ---- reading: bytes, then lines, then rows ----


def _format_of(name: str | None) -> str:
    return "csv" if name is not None and name.lower().endswith(".csv") else "jsonl"


def _open_input(name: str, stack: ExitStack) -> IO[bytes]:
    if name == "-":
        return sys.stdin.buffer
    try:
        return stack.enter_context(open(name, "rb"))
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror}") from None


def _lines(source: IO[bytes], limit: int) -> Iterator[tuple[int, str | RowError]]:
    """Each line of `source` (UTF-8, a leading byte order mark dropped) with its number; or why it is unreadable.

    No line is held whole if it is longer than `limit` bytes: the rest of it is skipped.
    """
    for number in count(1):
        raw = source.readline(limit + 1)
        if not raw:
            return
        if len(raw) > limit and not raw.endswith(b"\n"):
            tail = raw
            while tail and not tail.endswith(b"\n"):
                tail = source.readline(limit)
            yield number, RowError(f"line {number}: longer than {limit} bytes")
            continue
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield number, RowError(f"line {number}: not UTF-8 text (byte {exc.start + 1} of the line)")


def _jsonl_rows(lines: Iterable[tuple[int, str | RowError]]) -> Iterator[Row]:
    """The rows of JSON lines: one JSON object of predict's arguments a line (its text, parsed when it is
    validated); blank lines are skipped."""
    for number, text in lines:
        if isinstance(text, RowError) or text.strip():
            yield number, text


def _csv_rows(lines: Iterable[tuple[int, str | RowError]]) -> Iterator[Row]:
    """The rows of a CSV file whose header names predict's arguments.

    An empty cell leaves its argument out (its default applies); the cells of list and
    dict arguments hold JSON. A line that cannot be decoded, or that the CSV parser
    rejects, stops the run: the parser cannot find where the next row starts.
    """

    def text() -> Iterator[str]:
        for _, line in lines:
            if isinstance(line, RowError):
                raise InputError(str(line))
            yield line

    reader = csv.reader(text())
    structured = _structured_fields()
    header: list[str] | None = None
    previous = 0
    try:
        for values in reader:
            number, previous = previous + 1, reader.line_num
            if not values:  # a blank line
                continue
            if header is None:
                header = _header(number, values)
            elif len(values) != len(header):
                yield number, RowError(f"line {number}: {len(values)} values, but the header has {len(header)} columns")
            else:
                yield number, _cells(number, header, values, structured)
    except csv.Error as exc:
        raise InputError(f"line {reader.line_num}: not CSV: {exc}") from None


def _header(number: int, values: list[str]) -> list[str]:
    header = [value.strip() for value in values]
    for position, name in enumerate(header):
        if not name:
            raise InputError(f"line {number}: column {position + 1} of the header has no name")
        if name in header[:position]:
            raise InputError(f"line {number}: the header names {name!r} twice")
    return header


def _cells(number: int, header: list[str], values: list[str], structured: set[str]) -> dict[str, Any] | RowError:
    row: dict[str, Any] = {}
    for name, value in zip(header, values):
        if value == "":
            continue
        if name in structured:
            try:
                row[name] = json.loads(value)
            except (ValueError, RecursionError) as exc:
                return RowError(f"line {number}: {name}: not JSON: {exc}")
        else:
            row[name] = value
    return row


def _structured_fields() -> set[str]:
    """The arguments whose CSV cells are JSON: lists, tuples, sets and dicts (and never strings)."""
    fields = set()
    for name, schema in PredictRequest.model_json_schema().get("properties", {}).items():
        types = {option.get("type") for option in [schema, *schema.get("anyOf", [])]}
        if types & {"array", "object"} and "string" not in types:
            fields.add(name)
    return fields


# ---- scoring ----


def _strict_check(directory: Path | None) -> Callable[[dict[str, Any]], list[dict[str, Any]]]:
    """What `serve --strict` refuses, as a check of one validated row: the `reference` profile's
    ranges and categories (nothing is monitored here: the check keeps no window)."""
    import dataclasses
    import logging

    from {{ cookiecutter.package_name }}.drift import DriftMonitor, DriftSettings, load_profile

    try:
        profile = load_profile(directory)
    except lockfile.ArtifactError as exc:
        raise InputError(f"--strict: {exc}") from None
    if not (profile and profile.get("features")):
        raise InputError("--strict needs the profile of the notebook's `reference` data, and this model has none")
    settings = dataclasses.replace(DriftSettings(), enabled=False, strict=True)
    monitor = DriftMonitor(profile, settings, logging.getLogger("{{ cookiecutter.package_name }}.drift"))
    return lambda row: monitor.observe([row])


def _score(
    predict: Callable[..., Any],
    line: int,
    row: dict[str, Any] | RowError,
    check: Callable[[dict[str, Any]], list[dict[str, Any]]] | None = None,
) -> str | RowError:
    """The JSON text of the service's answer to `row` ({"prediction": ...}), or why there is none."""
    if isinstance(row, RowError):
        return row
    try:
        if isinstance(row, str):  # a JSON line: as strictly as the service validates a body
            request = PredictRequest.model_validate_json(row)
        else:  # the cells of a CSV row are text: converted to the fields' types
            request = PredictRequest.model_validate(row, strict=False)
    except ValidationError as exc:
        return RowError(f"line {line}: {_problems(exc)}")
    if check is not None and (refused := check(request.model_dump())):
        return RowError(f"line {line}: " + "; ".join(f"{p['field']}: {p['msg']}" for p in refused))
    try:
        prediction = jsonable(predict(**request.model_dump()))
    except Exception as exc:  # noqa: BLE001 - the notebook's code failed on this input: report its line
        return RowError(f"line {line}: predict raised {type(exc).__name__}: {exc}")
    try:
        return PredictResponse(prediction=prediction).model_dump_json()
    except ValidationError as exc:
        return RowError(f"line {line}: predict returned {prediction!r}: {_problems(exc)}")


def _problems(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    if errors and errors[0]["type"] == "json_invalid":
        return f"not JSON: {errors[0]['msg'].removeprefix('Invalid JSON: ')}"
    if errors and errors[0]["type"] == "model_type" and not errors[0]["loc"]:
        return "expected a JSON object of predict's arguments"
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg']}" for e in errors)


# ---- writing ----


def _open_output(name: str | None, stack: ExitStack) -> tuple[IO[str], Callable[[], None]]:
    """Where to write, and what makes the output final: a file appears only once every row is scored."""
    if name is None or name == "-":
        return sys.stdout, lambda: None
    target = Path(name)
    if target.is_dir():
        raise InputError(f"cannot write {name}: it is a folder")
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    stack.callback(partial.unlink, missing_ok=True)  # runs after the file is closed: a failed run leaves nothing
    try:
        out: IO[str] = stack.enter_context(partial.open("x", encoding="utf-8", newline=""))
    except OSError as exc:
        raise InputError(f"cannot write {name}: {exc.strerror}") from None

    def commit() -> None:
        out.close()
        os.replace(partial, target)

    return out, commit


def _jsonl_writer(out: IO[str]) -> Callable[[list[str | RowError]], None]:
    """One JSON object a line, as /predict answers: {"prediction": ...}, or {"error": ...} for a skipped row."""

    def write(results: list[str | RowError]) -> None:
        out.write("".join(f"{_error_json(r) if isinstance(r, RowError) else r}\n" for r in results))

    return write


def _error_json(error: RowError) -> str:
    return json.dumps({"error": str(error)}, ensure_ascii=False)


def _csv_writer(out: IO[str], with_errors: bool) -> Callable[[list[str | RowError]], None]:
    """A `prediction` column (and an `error` column with --skip-invalid); lists and dicts as JSON."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["prediction", "error"] if with_errors else ["prediction"])

    def write(results: list[str | RowError]) -> None:
        for result in results:
            if isinstance(result, RowError):
                writer.writerow(["", str(result)])
            else:
                cell = _cell(json.loads(result)["prediction"])
                writer.writerow([cell, ""] if with_errors else [cell])

    return write


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


# ---- arguments ----


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="{{ cookiecutter.project_name }}", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    model_dir = argparse.ArgumentParser(add_help=False)
    model_dir.add_argument(
        "--model-dir",
        type=Path,
        help="a folder with nb2prod.lock.json and artifacts/, e.g. from `train` (default: the package's own)",
    )

    serve_cmd = commands.add_parser("serve", parents=[model_dir], help=serve.__doc__)
    serve_cmd.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)")
    serve_cmd.add_argument("--port", type=int, default=8000, help="port to listen on (default: %(default)s)")
    serve_cmd.add_argument(
        "--graceful-timeout",
        type=_positive,
        default=30,
        metavar="SECONDS",
        help="on SIGTERM, how long to let requests in flight finish (default: %(default)s)",
    )
    serve_cmd.add_argument(
        "--strict",
        action="store_true",
        help="refuse (422) numbers outside the `reference` data's range and categories it never had; "
        "the same as {{ cookiecutter.package_name | upper }}_STRICT=1",
    )
    serve_cmd.set_defaults(command=serve)

    predict_cmd = commands.add_parser(
        "predict",
        parents=[model_dir],
        help=predict.__doc__,
        description=f"{predict.__doc__} An invalid row stops the run (exit status 1, naming its line) unless "
        "--skip-invalid is given. The output file is written only if the run succeeds.",
    )
    predict_cmd.add_argument(
        "input", metavar="INPUT", help="JSON lines, or CSV with a header, of predict's arguments; - for stdin"
    )
    predict_cmd.add_argument(
        "--output", "-o", metavar="OUT", help="where to write the predictions (default: stdout)"
    )
    predict_cmd.add_argument(
        "--input-format", choices=FORMATS, help="default: csv if INPUT ends with .csv, else jsonl"
    )
    predict_cmd.add_argument(
        "--output-format",
        choices=FORMATS,
        help="default: csv if OUT ends with .csv, else jsonl: one {\"prediction\": ...} a line, as /predict answers",
    )
    predict_cmd.add_argument(
        "--batch-size",
        type=_positive,
        default=1000,
        metavar="ROWS",
        help="rows read, scored and written at a time; memory grows with it, not with the file (default: %(default)s)",
    )
    predict_cmd.add_argument(
        "--skip-invalid",
        action="store_true",
        help="score the other rows: an invalid row gets an error (naming its line) in its place in the output, "
        "the first ones are listed on stderr, and all are counted",
    )
    predict_cmd.add_argument(
        "--strict",
        action="store_true",
        help="treat as invalid the rows `serve --strict` refuses: numbers outside the `reference` data's range "
        "and categories it never had",
    )
    predict_cmd.set_defaults(command=predict)

    train_cmd = commands.add_parser("train", help=train.__doc__)
    train_cmd.add_argument(
        "--output-dir",
        type=Path,
        metavar="DIR",
        help="where to write artifacts/ and nb2prod.lock.json (default: replace the package's own)",
    )
    train_cmd.set_defaults(command=train)
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value
