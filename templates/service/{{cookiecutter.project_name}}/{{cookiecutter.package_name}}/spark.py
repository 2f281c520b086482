"""Scoring on Apache Spark: `score_dataframe(df)` answers every row of a Spark DataFrame as `/predict` would.

It needs the `spark` extra (`pip install '{{ cookiecutter.project_name }}[spark]'`: pyspark and pyarrow), which the
service does not. The code is the runtime's (runtime/spark.py: mapInPandas, the artifacts verified and loaded
once per executor, the notebook's predict_batch once per Arrow batch when it has one), run for this notebook's
SERVICE. The command line does the same for files: `{{ cookiecutter.project_name }} predict --engine spark`.
"""

from typing import TYPE_CHECKING

from {{ cookiecutter.package_name }}.runtime.lockfile import PathLike
from {{ cookiecutter.package_name }}.runtime.spark import score_dataframe as _score_dataframe
from {{ cookiecutter.package_name }}.service import SERVICE

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def score_dataframe(
    df: "DataFrame", *, model_dir: PathLike | None = None, skip_invalid: bool = False, strict: bool = False
) -> "DataFrame":
    """`df` with a `prediction` column (and, with `skip_invalid`, an `error` column), lazily: see runtime/spark.py.

    `model_dir`: a folder of artifacts and lock (e.g. from `train`) that every executor can read (default: the
    package's own). Without `skip_invalid` a row that cannot be scored fails the job, naming the row. `strict`
    also refuses what `serve --strict` refuses.
    """
    return _score_dataframe(SERVICE, df, model_dir=model_dir, skip_invalid=skip_invalid, strict=strict)
