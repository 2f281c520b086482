"""The batch scorer: score a JSON-lines or CSV file of `predict`'s arguments, in chunks, in bounded memory.

`score_file` reads the input one chunk of rows at a time (`batch_size`), scores the chunk,
writes and flushes its predictions, and forgets it, so its memory depends on the chunk
size and the longest line, never on the size of the file. Each row is validated as the
service validates a body (JSON lines strictly, from their text; CSV cells, which are text,
converted to the fields' types), and answered as `/predict` answers: with the notebook's `predict_batch`, one call
per chunk (see vectorised.py).
"""

from __future__ import annotations

import codecs
import csv
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import replace
from itertools import count, islice
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ValidationError

from . import lockfile
from .drift import DriftMonitor, load_profile
from .schema import jsonable
from .service import Service
from .settings import DriftSettings
from .vectorised import predict_rows

FORMATS = ("jsonl", "csv")
MAX_REPORTED = 10
"""How many skipped rows `skip_invalid` names on stderr; the rest are only counted."""


class InputError(ValueError):
    """The input cannot be read, or (without skip_invalid) one of its rows cannot be scored."""


class RowError(ValueError):
    """One row cannot be scored; its message starts with the row's line number."""


Row = tuple[int, "str | dict[str, Any] | RowError"]
"""One row of the input: its line number, and the keyword arguments of `predict` (the JSON text of a JSON
line, validated strictly as the service validates a body; the cells of a CSV row, text converted to the
fields' types) or why it has none."""
Check = Callable[[dict[str, Any]], list[dict[str, Any]]]


def score_file(
    service: Service,
    input_name: str,
    output_name: str | None = None,
    *,
    input_format: str | None = None,
    output_format: str | None = None,
    batch_size: int = 1000,
    skip_invalid: bool = False,
    strict: bool = False,
    model_dir: lockfile.PathLike | None = None,
    max_line_bytes: int | None = None,
) -> tuple[int, int]:
    """Score `input_name` (a path, or `-` for stdin) into `output_name` (a path; None or `-` for stdout).

    One prediction per input row, in order. An invalid row raises InputError naming its line unless
    `skip_invalid`, when it gets an error in its place and is counted. `strict` also refuses what
    `serve --strict` refuses. The longest line read is `max_line_bytes` (default: the service's request
    body limit). Returns (rows scored, rows skipped).
    """
    input_format = input_format or format_of(input_name)
    output_format = output_format or format_of(output_name)
    limit = max_line_bytes if max_line_bytes is not None else service.settings().max_body_bytes
    check = strict_check(service, model_dir) if strict else None
    scored = skipped = 0
    with ExitStack() as stack:
        source = _open_input(input_name, stack)  # a missing input is reported before the artifacts load
        out, commit = _open_output(output_name, stack)
        service.load_artifacts(model_dir)
        lines = _lines(source, limit)
        rows = _csv_rows(lines, service.request_model) if input_format == "csv" else _jsonl_rows(lines)
        write = _csv_writer(out, skip_invalid) if output_format == "csv" else _jsonl_writer(out)
        while chunk := list(islice(rows, batch_size)):
            results = score_chunk(service, chunk, check)
            for result in results:
                if isinstance(result, RowError):
                    if not skip_invalid:
                        raise InputError(str(result))
                    skipped += 1
                    if skipped <= MAX_REPORTED:
                        print(f"skipped {result}", file=sys.stderr)
                else:
                    scored += 1
            write(results)
            out.flush()
        commit()
    return scored, skipped


def format_of(name: str | None) -> str:
    """`csv` for a name ending with .csv, else `jsonl`."""
    return "csv" if name is not None and name.lower().endswith(".csv") else "jsonl"


# ---- reading: bytes, then lines, then rows ----


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


def _csv_rows(lines: Iterable[tuple[int, str | RowError]], request_model: type[BaseModel]) -> Iterator[Row]:
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
    structured = structured_fields(request_model)
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
    for name, value in zip(header, values, strict=True):  # the lengths were checked
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


def structured_fields(request_model: type[BaseModel]) -> set[str]:
    """The arguments whose CSV cells are JSON: lists, tuples, sets and dicts (and never strings)."""
    fields = set()
    for name, schema in request_model.model_json_schema().get("properties", {}).items():
        types = {option.get("type") for option in [schema, *schema.get("anyOf", [])]}
        if types & {"array", "object"} and "string" not in types:
            fields.add(name)
    return fields


# ---- scoring ----


def strict_check(service: Service, directory: lockfile.PathLike | None) -> Check:
    """What `serve --strict` refuses, as a check of one validated row: the `reference` profile's
    ranges and categories (nothing is monitored here: the check keeps no window)."""
    try:
        profile = load_profile(service.folder(directory), service.package_dir)
    except lockfile.ArtifactError as exc:
        raise InputError(f"--strict: {exc}") from None
    if not (profile and profile.get("features")):
        raise InputError("--strict needs the profile of the notebook's `reference` data, and this model has none")
    settings = replace(DriftSettings(), enabled=False, strict=True)
    monitor = DriftMonitor(profile, settings, logging.getLogger(f"{service.package}.drift"))
    return lambda row: monitor.observe([row])


def score_chunk(service: Service, chunk: list[Row], check: Check | None = None) -> list[str | RowError]:
    """The answers to a chunk of rows, in order: the JSON text of each ({"prediction": ...}), or why there is none.

    With the notebook's `predict_batch`, the valid rows are predicted in one call; if it fails, or one of its
    answers is not of predict's return type, the chunk is scored row by row with `predict` (whose answers, or
    errors naming their lines, are then the output).
    """
    request_model, response_model = service.request_model, service.response_model
    if service.predict_batch is None:
        return [score_row(service.predict, request_model, response_model, line, row, check) for line, row in chunk]
    validated = [validate_row(request_model, line, row, check) for line, row in chunk]
    inputs = [value for value in validated if not isinstance(value, RowError)]
    try:
        predictions = iter(predict_rows(service, inputs))
        results = [value if isinstance(value, RowError) else response_model(prediction=next(predictions))
                   .model_dump_json() for value in validated]
    except Exception:  # predict_batch failed on the chunk, or answered what predict's type is not
        logging.getLogger(f"{service.package}.predict").warning(
            "predict_batch failed on a chunk of %d rows: scoring them one by one", len(inputs), exc_info=True)
        return [score_row(service.predict, request_model, response_model, line, row, check) for line, row in chunk]
    return results


def validate_row(
    request_model: type[BaseModel], line: int, row: str | dict[str, Any] | RowError, check: Check | None = None
) -> dict[str, Any] | RowError:
    """The keyword arguments of `predict` for `row`, validated as the service validates a body; or why not."""
    if isinstance(row, RowError):
        return row
    try:
        if isinstance(row, str):  # a JSON line: as strictly as the service validates a body
            request = request_model.model_validate_json(row)
        else:  # the cells of a CSV row are text: converted to the fields' types
            request = request_model.model_validate(row, strict=False)
    except ValidationError as exc:
        return RowError(f"line {line}: {_problems(exc)}")
    inputs = request.model_dump()
    if check is not None and (refused := check(inputs)):
        return RowError(f"line {line}: " + "; ".join(f"{p['field']}: {p['msg']}" for p in refused))
    return inputs


def score_row(
    predict: Callable[..., Any],
    request_model: type[BaseModel],
    response_model: type[BaseModel],
    line: int,
    row: str | dict[str, Any] | RowError,
    check: Check | None = None,
) -> str | RowError:
    """The JSON text of the service's answer to `row` ({"prediction": ...}) from `predict`, or why there is none."""
    inputs = validate_row(request_model, line, row, check)
    if isinstance(inputs, RowError):
        return inputs
    try:
        prediction = jsonable(predict(**inputs))
    except Exception as exc:  # the notebook's code failed on this input: report its line
        return RowError(f"line {line}: predict raised {type(exc).__name__}: {exc}")
    try:
        return response_model(prediction=prediction).model_dump_json()
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
