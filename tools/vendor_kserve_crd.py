"""Vendor the OpenAPI schema of KServe's InferenceService (v1beta1) for tests/test_template_kserve.py.

The CRD file (config/crd/full/serving.kserve.io_inferenceservices.yaml in github.com/kserve/kserve, about
2 MB of YAML) is cut down to what the test validates against: the `openAPIV3Schema` of the served version
v1beta1, with every `description` (the documentation of a field, not a constraint) removed. Everything else
is kept as the CRD declares it, including the Kubernetes extensions (`x-kubernetes-int-or-string`,
`x-kubernetes-preserve-unknown-fields`, `x-kubernetes-list-type`, ...): the test turns those into JSON Schema
itself. The result is written as gzip-compressed JSON with sorted keys and no timestamp, so that the same CRD
gives the same bytes.

    git -C kserve show <commit>:config/crd/full/serving.kserve.io_inferenceservices.yaml > isvc.yaml
    python tools/vendor_kserve_crd.py isvc.yaml --commit <commit>            # rewrite tests/data/kserve/
    python tools/vendor_kserve_crd.py isvc.yaml --commit <commit> --check    # exit 1 if it differs

The commit is written to the output beside the schema (`source`), and tests/data/kserve/PROVENANCE says
where it came from.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "kserve" / "inferenceservice-v1beta1.schema.json.gz"
CRD_PATH = "config/crd/full/serving.kserve.io_inferenceservices.yaml"
REPOSITORY = "https://github.com/kserve/kserve"
VERSION = "v1beta1"
MAPS_OF_SCHEMAS = ("properties", "patternProperties", "definitions")
"""Keywords whose value maps names (of fields) to schemas: a field called `description` there is kept."""


def strip_descriptions(schema: Any) -> Any:
    """The schema without its `description` keywords (field names that happen to be `description` stay)."""
    if isinstance(schema, list):
        return [strip_descriptions(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "description" and isinstance(value, str):
            continue
        if key in MAPS_OF_SCHEMAS and isinstance(value, dict):
            result[key] = {name: strip_descriptions(sub) for name, sub in value.items()}
        else:
            result[key] = strip_descriptions(value)
    return result


def extract(crd: dict[str, Any]) -> dict[str, Any]:
    """The v1beta1 `openAPIV3Schema` of the InferenceService CRD, without descriptions."""
    if crd.get("kind") != "CustomResourceDefinition" or crd["spec"]["names"]["kind"] != "InferenceService":
        raise SystemExit("not the InferenceService CustomResourceDefinition")
    (version,) = [item for item in crd["spec"]["versions"] if item["name"] == VERSION]
    if not version.get("served"):
        raise SystemExit(f"{VERSION} is not served by this CRD")
    return strip_descriptions(version["schema"]["openAPIV3Schema"])


def render(crd: dict[str, Any], commit: str) -> bytes:
    document = {
        "source": {"repository": REPOSITORY, "commit": commit, "path": CRD_PATH,
                   "group": crd["spec"]["group"], "version": VERSION},
        "openAPIV3Schema": extract(crd),
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("crd", type=Path, help=f"the CRD file ({CRD_PATH} of kserve/kserve)")
    parser.add_argument("--commit", required=True, help="the kserve/kserve commit the file was taken from")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="exit 1 if --out is not what this would write")
    args = parser.parse_args(argv)
    documents = [doc for doc in yaml.safe_load_all(args.crd.read_text(encoding="utf-8")) if doc]
    (crd,) = documents
    data = render(crd, args.commit)
    if args.check:
        current = args.out.read_bytes() if args.out.is_file() else b""
        if current != data:
            print(f"{args.out} is not up to date with {args.crd}", file=sys.stderr)
            return 1
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
