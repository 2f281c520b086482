"""Command line of the service: `serve` it, score a file with `predict`, retrain with `train`.

`main(service, argv)` runs it for one notebook's `Service`; the package's `cli.py` calls it.
`predict` streams (see batch.py): its memory depends on `--batch-size` and the longest line,
never on the size of the file. `predict --engine spark` scores the file on Apache Spark instead (see spark.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
from pathlib import Path

from . import lockfile
from .batch import FORMATS, MAX_REPORTED, InputError, score_file
from .service import Service

ENGINES = ("local", "spark")
SPARK_FORMATS = (*FORMATS, "parquet")
LOCAL_BATCH, SPARK_BATCH = 1000, 10_000
"""The default `--batch-size` of each engine (for Spark, the rows of each Arrow batch sent to predict)."""


def main(service: Service, argv: list[str] | None = None) -> int:
    """Run the command line of `service`; returns the exit status."""
    args = _parser(service).parse_args(argv)
    try:
        status: int = args.command(service, args)
    except (lockfile.ArtifactError, InputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader of stdout went away (`... | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return status


def serve(service: Service, args: argparse.Namespace) -> int:
    """Serve the HTTP API with uvicorn; refuses to start if an artifact differs from the lock."""
    import uvicorn

    from .app import create_app
    from .observability import protocol_for

    lockfile.verify_artifacts(service.folder(args.model_dir))
    try:
        settings = service.settings()
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if args.strict:
        settings = dataclasses.replace(settings, drift=dataclasses.replace(settings.drift, strict=True))
    uvicorn.run(
        create_app(service, args.model_dir, settings),
        host=args.host,
        port=args.port,
        http=protocol_for(settings.header_timeout),  # h11, with a deadline for the headers
        access_log=False,  # the app logs each request itself, as JSON
        timeout_graceful_shutdown=args.graceful_timeout,
    )
    return 0


def predict(service: Service, args: argparse.Namespace) -> int:
    """Score a JSON-lines or CSV file in chunks, in bounded memory; one prediction per input row, in order."""
    try:
        settings = service.settings()
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if args.engine == "spark":
        return predict_on_spark(service, args)
    if "parquet" in (args.input_format, args.output_format):
        raise InputError("Parquet needs --engine spark")
    scored, skipped = score_file(
        service,
        args.input,
        args.output,
        input_format=args.input_format,
        output_format=args.output_format,
        batch_size=args.batch_size or LOCAL_BATCH,
        skip_invalid=args.skip_invalid,
        strict=args.strict,
        model_dir=args.model_dir,
        max_line_bytes=settings.max_body_bytes,
    )
    unlisted = f" ({skipped - MAX_REPORTED} not listed)" if skipped > MAX_REPORTED else ""
    print(f"scored {_rows(scored)}; skipped {_rows(skipped)}{unlisted}", file=sys.stderr)
    return 0


def predict_on_spark(service: Service, args: argparse.Namespace) -> int:
    """`predict --engine spark`: read INPUT (Parquet, CSV or JSON lines) into Spark, score it with spark.py's
    `score_dataframe` on `--master`, and write the input's columns and `prediction` (and `error`) to OUT, a
    folder of part files that appears only once the job has succeeded."""
    try:
        import pyarrow  # noqa: F401  (mapInPandas sends its batches through Arrow)
        from pyspark.sql import Observation, SparkSession
        from pyspark.sql import functions as F
    except ImportError:
        raise InputError(f"--engine spark needs pyspark: pip install '{service.project}[spark]'") from None
    from .spark import ERROR, failure, score_dataframe

    if args.input == "-" or args.output in (None, "-"):
        raise InputError("--engine spark reads and writes files: give INPUT and -o OUT as paths")
    if not Path(args.input).exists():
        raise InputError(f"cannot read {args.input}: No such file or directory")
    input_format = args.input_format or _spark_format(args.input)
    output_format = args.output_format or _spark_format(args.output)
    target = Path(args.output)
    if target.exists() and not (target / "_SUCCESS").exists():
        raise InputError(f"cannot write {args.output}: it exists, and is not the output of an earlier run "
                         "(a folder with _SUCCESS); remove it or choose another name")
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")  # not hidden: Spark reads it back
    builder = (SparkSession.builder.master(args.master).appName(f"{service.project} predict")
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(args.batch_size or SPARK_BATCH))
               .config("spark.ui.showConsoleProgress", str(sys.stderr.isatty()).lower()))
    if args.master.startswith("local"):  # one machine: listen on the loopback only, and no web UI to start
        builder = (builder.config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
                   .config("spark.ui.enabled", "false"))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("FATAL")  # a failed row is reported in one line below
    try:
        reader = spark.read
        if input_format == "csv":  # every column as text, converted to predict's types as the batch scorer does
            frame = reader.option("header", True).option("inferSchema", False).csv(args.input)
        else:
            frame = reader.json(args.input) if input_format == "jsonl" else reader.parquet(args.input)
        scored = score_dataframe(service, frame, model_dir=args.model_dir, skip_invalid=args.skip_invalid,
                                 strict=args.strict)
        counted = Observation("nb2prod")  # the rows written and skipped, counted as the job writes them
        skipped_rows = F.sum(F.col(ERROR).isNotNull().cast("long")) if args.skip_invalid else F.lit(0)
        scored = scored.observe(counted, F.count(F.lit(1)).alias("rows"), skipped_rows.alias("skipped"))
        writer = scored.write.mode("error")
        try:
            if output_format == "csv":
                writer.option("header", True).csv(str(partial))
            else:
                writer.json(str(partial)) if output_format == "jsonl" else writer.parquet(str(partial))
        except Exception as exc:
            row = failure(exc)
            if row is None and not os.environ.get("NB2PROD_DEBUG"):
                raise InputError(f"spark: {_first_line(exc)}") from None
            if row is None:
                raise
            raise InputError(row) from None
        total, skipped = int(counted.get["rows"]), int(counted.get["skipped"] or 0)
        if skipped:  # the first ones, read back from the output
            written = (spark.read.option("header", True).csv(str(partial)) if output_format == "csv"
                       else spark.read.json(str(partial)) if output_format == "jsonl"
                       else spark.read.parquet(str(partial)))
            for shown in written.where(written[ERROR].isNotNull()).limit(MAX_REPORTED).collect():
                print(f"skipped {shown[ERROR]}", file=sys.stderr)
        _replace(partial, target)
    finally:
        spark.stop()
        if partial.exists():
            shutil.rmtree(partial, ignore_errors=True)
    unlisted = f" ({skipped - MAX_REPORTED} not listed)" if skipped > MAX_REPORTED else ""
    print(f"scored {_rows(total - skipped)}; skipped {_rows(skipped)}{unlisted}", file=sys.stderr)
    return 0


def _spark_format(name: str) -> str:
    """`csv` for .csv, `jsonl` for .jsonl, .json and .ndjson, else `parquet` (a file or a folder of them)."""
    suffix = Path(name).suffix.lower()
    return "csv" if suffix == ".csv" else "jsonl" if suffix in (".jsonl", ".json", ".ndjson") else "parquet"


def _replace(partial: Path, target: Path) -> None:
    """Put the finished output folder `partial` in the place of `target` (an earlier run's output, if any)."""
    if not target.exists():
        os.replace(partial, target)
        return
    old = target.with_name(f".{target.name}.{os.getpid()}.old")
    os.replace(target, old)
    os.replace(partial, target)
    shutil.rmtree(old) if old.is_dir() else old.unlink()


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0][:300] if lines else type(exc).__name__


def train(service: Service, args: argparse.Namespace) -> int:
    """Rerun the notebook's training code; write new artifacts and an updated lock."""
    if service.train is None:
        raise InputError("this service has no training code")
    try:
        lock_path = service.train(args.output_dir)
    except (lockfile.ArtifactError, InputError):
        raise
    except Exception as exc:  # the notebook's own code failed: one line, naming its cell
        if os.environ.get("NB2PROD_DEBUG"):
            raise
        where = _training_cell(exc)
        text = " ".join(str(exc).split())
        raise InputError(
            f"the training code{where} raised {type(exc).__name__}: {text[:300]} (it runs in the current folder, "
            f"{Path.cwd()}: run `train` where the notebook's data is; NB2PROD_DEBUG=1 shows the traceback)"
        ) from None
    print(f"wrote the artifacts and {lock_path}")
    return 0


def _training_cell(exc: BaseException) -> str:
    """`` (notebook cell N)`` for the deepest frame of `exc` in the generated train.py, found by
    the `# --- notebook cell N ---` comment above its line; else ``""``."""
    import linecache
    import re
    import traceback

    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if Path(frame.filename).name != "train.py" or frame.lineno is None:
            continue
        for number in range(frame.lineno, 0, -1):
            found = re.match(r"\s*# --- notebook cell (\d+) ---", linecache.getline(frame.filename, number))
            if found:
                return f" (notebook cell {found.group(1)})"
        return ""
    return ""


def _rows(number: int) -> str:
    return f"{number} row" if number == 1 else f"{number} rows"


# ---- arguments ----


def _parser(service: Service) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=service.project, description=(__doc__ or "").split("\n\n")[0])
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
        f"the same as {service.env_prefix}_STRICT=1",
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
        "--input-format",
        choices=SPARK_FORMATS,
        help="default: csv if INPUT ends with .csv, else jsonl (with --engine spark: jsonl for .jsonl and .json, "
        "else parquet)",
    )
    predict_cmd.add_argument(
        "--output-format",
        choices=SPARK_FORMATS,
        help="default: csv if OUT ends with .csv, else jsonl: one {\"prediction\": ...} a line, as /predict answers "
        "(with --engine spark: as for INPUT)",
    )
    predict_cmd.add_argument(
        "--batch-size",
        type=_positive,
        metavar="ROWS",
        help=f"rows read, scored and written at a time; memory grows with it, not with the file (default: "
        f"{LOCAL_BATCH}; with --engine spark, the rows of each Arrow batch, default: {SPARK_BATCH})",
    )
    predict_cmd.add_argument(
        "--engine",
        choices=ENGINES,
        default="local",
        help=f"local: this process, streaming; spark: Apache Spark (pip install '{service.project}[spark]'), reading "
        "Parquet, "
        "CSV or JSON lines and writing a folder of part files with the input's columns and `prediction` "
        "(default: %(default)s)",
    )
    predict_cmd.add_argument(
        "--master",
        default="local[*]",
        help="with --engine spark, the Spark master: local[N], spark://host:port, yarn... (default: %(default)s)",
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
