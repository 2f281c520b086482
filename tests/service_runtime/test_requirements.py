"""nb2prod/converter/requirements.py: every requirement pinned, and the hashed lock from a pip report.

`pip_report.json` is a recorded `pip install --dry-run --ignore-installed --report` (descriptions cut)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nb2prod.converter.errors import BuildError
from nb2prod.converter.requirements import (
    SERVICE_DISTRIBUTIONS,
    hashed_lock,
    locked_versions,
    pinned_requirements,
    report_entries,
)

REPORT = json.loads((Path(__file__).parent / "pip_report.json").read_text(encoding="utf-8"))
INSTALLED = {"fastapi": "0.110.0", "h11": "0.16.0", "prometheus-client": "0.20.0", "psycopg": "3.2.1",
             "psycopg-binary": "3.2.1", "pydantic": "2.7.0", "starlette": "0.37.0", "uvicorn": "0.29.0"}


def test_every_requirement_is_exact() -> None:
    kernel = {"scikit_learn": "1.5.0", "numpy": "2.0.0", "Pydantic": "2.8.2", "pandas": "2.2.2"}
    pins = pinned_requirements(kernel, ["scikit-learn", "numpy"], installed=INSTALLED.get, resolve=None)
    assert pins == ["fastapi==0.110.0", "h11==0.16.0", "numpy==2.0.0", "prometheus-client==0.20.0",
                    "psycopg-binary==3.2.1", "psycopg==3.2.1",
                    "pydantic==2.8.2", "scikit-learn==1.5.0", "starlette==0.37.0", "uvicorn==0.29.0"]
    assert {pin.split("==")[0] for pin in pins} >= set(SERVICE_DISTRIBUTIONS)  # the kernel's pydantic wins


def test_what_is_installed_nowhere_is_resolved_at_once() -> None:
    asked: list[list[str]] = []

    def resolve(requirements: list[str]) -> dict[str, str]:
        asked.append(list(requirements))
        return {"uvicorn": "0.30.1", "h11": "0.14.0", "click": "8.1.7"}

    installed = {k: v for k, v in INSTALLED.items() if k not in ("uvicorn", "h11")}
    pins = pinned_requirements({"numpy": "2.0.0"}, ["numpy"], installed=installed.get, resolve=resolve)
    assert asked == [["fastapi==0.110.0", "numpy==2.0.0", "prometheus-client==0.20.0", "psycopg==3.2.1",
                      "pydantic==2.7.0", "starlette==0.37.0", "h11", "uvicorn"]]
    assert "uvicorn==0.30.1" in pins and "h11==0.14.0" in pins and not any(p.startswith("click") for p in pins)


def test_psycopg_binary_is_pinned_at_psycopgs_version() -> None:
    # psycopg[binary]==X requires psycopg-binary==X: the C build follows psycopg wherever psycopg's pin comes from
    installed = {**INSTALLED, "psycopg-binary": "3.3.0"}
    pins = pinned_requirements({"psycopg": "3.1.18"}, [], installed=installed.get, resolve=None)
    assert "psycopg==3.1.18" in pins and "psycopg-binary==3.1.18" in pins
    asked: list[list[str]] = []

    def resolve(requirements: list[str]) -> dict[str, str]:
        asked.append(list(requirements))
        return {"psycopg": "3.3.9", "psycopg-binary": "3.3.10"}

    missing = {k: v for k, v in INSTALLED.items() if not k.startswith("psycopg")}
    pins = pinned_requirements({}, [], installed=missing.get, resolve=resolve)
    assert asked[0][-1] == "psycopg" and "psycopg-binary" not in asked[0]  # never resolved on its own
    assert "psycopg==3.3.9" in pins and "psycopg-binary==3.3.9" in pins


def test_nothing_resolvable_is_a_one_line_build_error() -> None:
    def offline(requirements: list[str]) -> dict[str, str]:
        raise BuildError("pip could not resolve them from the package index (No matching distribution)")

    with pytest.raises(BuildError) as info:
        pinned_requirements({}, [], installed=lambda name: None, resolve=offline)
    message = str(info.value)
    assert message.startswith("cannot pin fastapi, h11, prometheus-client, psycopg, pydantic, starlette, uvicorn: ")
    assert "No matching distribution" in message and "pip install fastapi" in message and "\n" not in message
    with pytest.raises(BuildError, match="^cannot pin uvicorn: the package index resolved no version"):
        pinned_requirements({}, [], installed=lambda name: None if name == "uvicorn" else "1.0",
                            resolve=lambda requirements: {})


def test_the_hashed_lock_from_a_recorded_report() -> None:
    lock = hashed_lock(REPORT)
    assert [(name, version) for name, version, _ in report_entries(REPORT)] == [
        ("click", "8.5.1"), ("h11", "0.16.0"), ("uvicorn", "0.54.0")]  # click: transitive, from uvicorn
    body = [line for line in lock.splitlines() if not line.startswith("#")]
    assert body[2:4] == ["h11==0.16.0 \\",
                         "    --hash=sha256:63cf8bbe7522de3bf65932fda1d9c2772064ffb3dae62d55932da54b31cb6c86"]
    assert len(body) == 6 and all(line.startswith("    --hash=sha256:") for line in body[1::2])
    assert "3.11.7, linux, x86_64" in lock and "pip install --require-hashes" in lock
    assert locked_versions(lock) == {"click": "8.5.1", "h11": "0.16.0", "uvicorn": "0.54.0"}


def test_a_distribution_without_a_hash_cannot_be_locked() -> None:
    report = json.loads(json.dumps(REPORT))
    report["install"][0]["download_info"] = {"url": "file:///src/h11", "dir_info": {}}
    with pytest.raises(BuildError, match="^cannot lock h11: pip reports no sha256"):
        hashed_lock(report)
    del report["install"][0]["download_info"]
    report["install"][1]["download_info"]["archive_info"] = {"hash": "sha256=" + "0" * 64}  # the older field only
    assert report_entries(report)[2] == ("uvicorn", "0.54.0", "0" * 64)


def test_locked_versions_reads_requirement_lines() -> None:
    text = "# comment\nFastAPI==0.110.0\nskops[rich]==0.10 ; python_version >= '3.10'\nrich>=13\n"
    assert locked_versions(text) == {"fastapi": "0.110.0", "skops": "0.10"}
