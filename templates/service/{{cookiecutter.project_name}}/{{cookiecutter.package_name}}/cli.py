"""Command line of the service: `serve` it, score a file with `predict`, retrain with `train`."""

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from {{ cookiecutter.package_name }} import lockfile
from {{ cookiecutter.package_name }}.schema import PredictRequest, jsonable

Row = tuple[int, dict[str, Any]]
"""One input to score: its line number in the file, and the keyword arguments of `predict`."""


class InputError(ValueError):
    """A line of the input file is not a valid input of `predict`."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return args.command(args)
    except (lockfile.ArtifactError, InputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def serve(args: argparse.Namespace) -> int:
    """Serve the HTTP API with uvicorn; refuses to start if an artifact differs from the lock."""
    import uvicorn

    from {{ cookiecutter.package_name }}.app import create_app

    lockfile.verify_artifacts(args.model_dir)
    uvicorn.run(
        create_app(args.model_dir),
        host=args.host,
        port=args.port,
        access_log=False,  # the app logs each request itself, as JSON
        timeout_graceful_shutdown=args.graceful_timeout,
    )
    return 0


def predict(args: argparse.Namespace) -> int:
    """Score a JSON-lines (or CSV) file, batch by batch; one JSON line per input."""
    from {{ cookiecutter.package_name }} import model

    model.load_artifacts(args.model_dir)
    with ExitStack() as stack:
        source = _open(args.input, "r", stack, default=sys.stdin)
        out = _open(args.output, "w", stack, default=sys.stdout)
        rows = _csv_rows(source) if args.input.endswith(".csv") else _jsonl_rows(source)
        while batch := list(islice(rows, args.batch_size)):
            requests = [_validate(line, row) for line, row in batch]
            for request in requests:
                out.write(json.dumps({"prediction": jsonable(model.predict(**request.model_dump()))}) + "\n")
            out.flush()
    return 0


def train(args: argparse.Namespace) -> int:
    """Rerun the notebook's training code; write new artifacts and an updated lock."""
    from {{ cookiecutter.package_name }}.train import train as retrain

    lock_path = retrain(args.output_dir)
    print(f"wrote the artifacts and {lock_path}")
    return 0


def _open(name: str | None, mode: str, stack: ExitStack, default: TextIO) -> TextIO:
    """The file `name` opened for text, closed with `stack`; `default` when it is None or -."""
    if name is None or name == "-":
        return default
    return stack.enter_context(open(name, mode, encoding="utf-8", newline="" if mode == "r" else None))


def _jsonl_rows(source: TextIO) -> Iterator[Row]:
    for line, text in enumerate(source, start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except ValueError as exc:
            raise InputError(f"line {line}: not JSON: {exc}") from None
        if not isinstance(row, dict):
            raise InputError(f"line {line}: expected a JSON object of predict's arguments")
        yield line, row


def _csv_rows(source: TextIO) -> Iterator[Row]:
    for line, row in enumerate(csv.DictReader(source), start=2):
        yield line, dict(row)


def _validate(line: int, row: dict[str, Any]) -> PredictRequest:
    try:
        return PredictRequest.model_validate(row)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InputError(f"line {line}: {problems}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="{{ cookiecutter.project_name }}", description=__doc__)
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
    serve_cmd.set_defaults(command=serve)

    predict_cmd = commands.add_parser("predict", parents=[model_dir], help=predict.__doc__)
    predict_cmd.add_argument("input", metavar="INPUT", help="JSON lines (or .csv) of predict's arguments; - for stdin")
    predict_cmd.add_argument("--output", "-o", metavar="OUT", help="where to write the JSON lines (default: stdout)")
    predict_cmd.add_argument("--batch-size", type=_positive, default=256, help="inputs a batch (default: %(default)s)")
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
