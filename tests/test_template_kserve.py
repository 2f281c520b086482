"""The default template's KServe InferenceService, checked against KServe's own CRD schema, without a cluster.

The iris project is baked as in `test_template.py`. `deploy/kserve/inferenceservice.yaml` is validated
against the OpenAPI schema of KServe's InferenceService CRD (v1beta1), vendored in
`tests/data/kserve/` by `tools/vendor_kserve_crd.py` (see PROVENANCE there). `kubernetes-validate` does
not know custom resources, so the schema is turned into JSON Schema here and checked with `jsonschema`,
as the API server would check a structural schema:

- `x-kubernetes-int-or-string`: an integer or a string (and a `pattern` applies to the string);
- `x-kubernetes-preserve-unknown-fields`: unknown fields are kept, so allowed;
- any other object with `properties` has no other fields: the API server prunes unknown fields without
  a word, so a misspelt field would silently do nothing; here it is an error (`additionalProperties:
  false`), as `kubectl apply --validate=strict` makes it;
- `format: int32` and `int64` bound integers; `x-kubernetes-list-type: map` lists have unique keys
  (`x-kubernetes-list-map-keys`, a key's `default` applied), `set` lists unique items;
- `metadata` (only `type: object` in the CRD; the API server checks it as ObjectMeta) has a name that
  KServe's admission webhook accepts (`[a-z]([-a-z0-9]*[a-z0-9])?`, kserve pkg/apis/serving/v1beta1/
  inference_service_validation.go) and that is a DNS-1123 label (at most 63 characters), string labels
  and annotations, label keys and values as Kubernetes allows them.

Beyond the schema, `admission_errors` applies the rules of KServe's webhook at the same commit that this
manifest could break (replicas, the custom predictor's `PROTOCOL`, the autoscaler's metric and target per
deployment mode), the names KServe derives (the Service `<name>-predictor` must be a DNS label too), the
canary's percentage (KServe hands `canaryTrafficPercent` to Knative as a traffic split, which Knative
refuses outside 0..100: the CRD itself does not bound it), and what Knative Serving accepts of a pod in
Knative mode (one port, named `http1`, `h2c` or not at all; probes on that port; no pod securityContext
unless a feature flag is on: knative/serving pkg/apis/serving/k8s_validation.go and fieldmask.go).

Negative tests show that each of these checks refuses what it should. The probes are the Open Inference
Protocol's health paths on the port of the Dockerfile, and the baked service answers them, and the V2
request of deploy/README.md, as KServe's probes and clients would.
"""

from __future__ import annotations

import copy
import gzip
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _services import RunningService, running_service
from test_template import PACKAGE, TEMPLATE, Baked, bake_example

pytestmark = pytest.mark.slow  # bakes the iris project and serves it

jsonschema = pytest.importorskip("jsonschema")
yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "kserve"
SCHEMA_FILE = DATA / "inferenceservice-v1beta1.schema.json.gz"
MANIFEST = Path("deploy") / "kserve" / "inferenceservice.yaml"
NAME = "iris-service"
"""The project's name: the InferenceService's and the V2 model's."""

ISVC_NAME = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"
"""KServe's IsvcNameFmt (inference_service_validation.go), anchored as its IsvcRegexp is."""
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS_LABEL_MAX = 63
LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
DNS_SUBDOMAIN = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
LABEL_KEY = rf"^({DNS_SUBDOMAIN}/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
"""A qualified name: an optional DNS subdomain and `/`, then a name (the lengths are not checked apart)."""
OBJECT_META = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "pattern": ISVC_NAME, "maxLength": DNS_LABEL_MAX},
        "namespace": {"type": "string", "pattern": DNS_LABEL, "maxLength": DNS_LABEL_MAX},
        "labels": {
            "type": "object",
            "propertyNames": {"pattern": LABEL_KEY, "maxLength": 253 + 1 + 63},
            "additionalProperties": {"type": "string", "pattern": LABEL_VALUE, "maxLength": 63},
        },
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "additionalProperties": False,
}
"""The fields of ObjectMeta a manifest sets (KServe needs a name: no generateName)."""
INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}

DEPLOYMENT_MODES = {"Knative": "Knative", "Serverless": "Knative", "Standard": "Standard",
                    "RawDeployment": "Standard"}
"""KServe's deployment modes (constants.go ParseDeploymentMode: the legacy names are the new ones)."""
KNATIVE_METRICS = {"concurrency", "rps"}
HPA_METRICS = {"cpu", "memory"}
KNATIVE_PORT_NAMES = {"", "http1", "h2c"}
PROTOCOLS = {"v1", "v2"}
V2_LIVE = "/v2/health/live"
V2_READY = "/v2/health/ready"


# -- the schema ------------------------------------------------------------------------------------------


def structural_to_json_schema(node: Any) -> Any:
    """A Kubernetes structural schema as a strict JSON Schema (see the module's docstring)."""
    if isinstance(node, list):
        return [structural_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "patternProperties"):
            result[key] = {name: structural_to_json_schema(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not", "anyOf", "allOf", "oneOf"):
            result[key] = structural_to_json_schema(value)
        else:
            result[key] = value
    if node.get("x-kubernetes-int-or-string"):
        result["type"] = ["integer", "string"]
    preserve = bool(node.get("x-kubernetes-preserve-unknown-fields"))
    if "properties" in node and "additionalProperties" not in node and not preserve:
        result["additionalProperties"] = False
    return result


def _list_type(validator: Any, list_type: str, instance: Any, schema: dict[str, Any]) -> Iterator[Any]:
    """`x-kubernetes-list-type`: `map` lists have unique keys, `set` lists unique items."""
    if not isinstance(instance, list):
        return
    if list_type == "set":
        seen: list[Any] = []
        for item in instance:
            if item in seen:
                yield jsonschema.ValidationError(f"duplicate item {item!r} in a list of type set")
            seen.append(item)
    elif list_type == "map":
        keys = schema.get("x-kubernetes-list-map-keys", [])
        fields = schema.get("items", {}).get("properties", {})
        seen_keys: set[tuple[str, ...]] = set()
        for item in instance:
            if not isinstance(item, dict):
                continue
            key = tuple(json.dumps(item.get(name, fields.get(name, {}).get("default"))) for name in keys)
            if key in seen_keys:
                yield jsonschema.ValidationError(f"duplicate entry with {dict(zip(keys, key, strict=True))} "
                                                 f"in a list of type map (keys {keys})")
            seen_keys.add(key)


def _format_checker() -> Any:
    checker = jsonschema.FormatChecker(formats=())
    for name, (low, high) in INT_RANGES.items():
        def check(value: Any, low: int = low, high: int = high) -> bool:
            return not isinstance(value, int) or isinstance(value, bool) or low <= value <= high
        checker.checks(name)(check)
    return checker


def load_validator() -> Any:
    """A validator of InferenceServices: the vendored CRD schema, made strict, with ObjectMeta's rules."""
    document = json.loads(gzip.decompress(SCHEMA_FILE.read_bytes()))
    schema = structural_to_json_schema(document["openAPIV3Schema"])
    schema["properties"]["apiVersion"] = {"const": "serving.kserve.io/v1beta1"}
    schema["properties"]["kind"] = {"const": "InferenceService"}
    schema["properties"]["metadata"] = OBJECT_META
    schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind", "metadata", "spec"})
    cls = jsonschema.validators.extend(jsonschema.Draft7Validator, {"x-kubernetes-list-type": _list_type})
    cls.check_schema(schema)
    return cls(schema, format_checker=_format_checker())


def schema_errors(validator: Any, manifest: dict[str, Any]) -> list[str]:
    return sorted(f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
                  for error in validator.iter_errors(manifest))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def admission_errors(manifest: dict[str, Any]) -> list[str]:
    """What KServe's webhook, the names it derives, and Knative (in Knative mode) refuse in this manifest."""
    errors: list[str] = []
    name = manifest["metadata"]["name"]
    service = f"{name}-predictor"
    if not re.fullmatch(DNS_LABEL, service) or len(service) > DNS_LABEL_MAX:
        errors.append(f"the predictor's Service {service!r} is not a DNS label of at most {DNS_LABEL_MAX} characters")
    annotations = manifest["metadata"].get("annotations", {})
    mode_name = annotations.get("serving.kserve.io/deploymentMode", "Standard")  # KServe's DefaultDeployment
    mode = DEPLOYMENT_MODES.get(mode_name)
    if mode is None:
        errors.append(f"unknown deployment mode {mode_name!r}")
    predictor = manifest["spec"]["predictor"]
    low, high = _int(predictor.get("minReplicas", 1)), _int(predictor.get("maxReplicas", 0))
    if low is not None and low < 0:
        errors.append("minReplicas is negative")
    if high is not None and high < 0:
        errors.append("maxReplicas is negative")
    if low is not None and high is not None and high != 0 and low > high:
        errors.append("minReplicas is greater than maxReplicas")
    concurrency = _int(predictor.get("containerConcurrency", 0))
    if concurrency is not None and concurrency < 0:
        errors.append("containerConcurrency is negative")
    metric = predictor.get("scaleMetric", "concurrency" if mode == "Knative" else "cpu")
    target = _int(predictor.get("scaleTarget"))
    if mode == "Knative":
        if metric not in KNATIVE_METRICS:
            errors.append(f"scaleMetric {metric!r} is not one of Knative's {sorted(KNATIVE_METRICS)}")
        if metric == "rps" and target is not None and target < 1:
            errors.append("the target for rps should be at least 1")
    elif mode == "Standard":
        if metric not in HPA_METRICS:
            errors.append(f"scaleMetric {metric!r} is not one of the HPA's {sorted(HPA_METRICS)}")
        if target is not None and metric == "cpu" and not 1 <= target <= 100:
            errors.append("the target CPU utilisation should be an integer from 1 to 100")
    canary = _int(predictor.get("canaryTrafficPercent"))
    if canary is not None and not 0 <= canary <= 100:
        errors.append(f"canaryTrafficPercent {canary} is not a percentage from 0 to 100 (Knative's traffic split)")
    containers = predictor.get("containers", [])
    if not containers:
        errors.append("a custom predictor needs a container")
        return errors
    for variable in containers[0].get("env", []):
        if variable.get("name") == "PROTOCOL" and variable.get("value") not in PROTOCOLS:
            errors.append(f"PROTOCOL {variable.get('value')!r} is not one of {sorted(PROTOCOLS)}")
    if mode == "Knative":
        errors.extend(knative_errors(predictor, containers[0]))
    return errors


def knative_errors(predictor: dict[str, Any], container: dict[str, Any]) -> list[str]:
    """What Knative Serving's validation refuses of the serving container and its pod (default feature flags)."""
    errors: list[str] = []
    ports = container.get("ports", [])
    if len(ports) != 1:
        errors.append(f"Knative takes one container port, not {len(ports)}")
        return errors
    (port,) = ports
    if port.get("name", "") not in KNATIVE_PORT_NAMES:
        errors.append(f"port name {port.get('name')!r}: Knative allows only {sorted(KNATIVE_PORT_NAMES)}")
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        target = container.get(probe, {}).get("httpGet", {}).get("port")
        if isinstance(target, str) and target != port.get("name"):
            errors.append(f"{probe} port {target!r} is not the container port's name")
    if "securityContext" in predictor:
        errors.append("a pod securityContext needs Knative's kubernetes.podspec-securitycontext flag")
    if predictor.get("automountServiceAccountToken") is True:
        errors.append("Knative only allows automountServiceAccountToken: false")
    return errors


# -- fixtures --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def validator() -> Any:
    return load_validator()


@pytest.fixture(scope="module")
def baked(tmp_path_factory: pytest.TempPathFactory) -> Baked:
    return bake_example(tmp_path_factory.mktemp("bake-kserve"))


@pytest.fixture(scope="module")
def manifest_text(baked: Baked) -> str:
    return (baked.project / MANIFEST).read_text("utf-8")


@pytest.fixture(scope="module")
def manifest(manifest_text: str) -> dict[str, Any]:
    documents = list(yaml.safe_load_all(manifest_text))
    assert len(documents) == 1
    return documents[0]


@pytest.fixture(scope="module")
def deployment(baked: Baked) -> dict[str, Any]:
    return yaml.safe_load((baked.project / "deploy" / "kubernetes" / "deployment.yaml").read_text("utf-8"))


@pytest.fixture(scope="module")
def service(baked: Baked, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    folder = tmp_path_factory.mktemp("kserve-serve")
    env = {f"{PACKAGE.upper()}_STORE_URL": f"sqlite:///{folder / 'predictions.sqlite3'}"}
    with running_service(baked.project, PACKAGE, log_path=folder / "serve.log", env=env) as running:
        yield running


def predictor_container(manifest: dict[str, Any]) -> dict[str, Any]:
    (only,) = manifest["spec"]["predictor"]["containers"]
    return only


def changed(manifest: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of the manifest with the value at `path` set: keys and list indexes, `/`-separated, a `/` in a
    key written `~1` (as in a JSON Pointer)."""
    result = copy.deepcopy(manifest)
    *parents, last = [int(part) if part.isdigit() else part.replace("~1", "/") for part in path.split("/")]
    node: Any = result
    for part in parents:
        node = node[part]
    node[last] = value
    return result


# -- the manifest is valid -------------------------------------------------------------------------------


def test_the_vendored_schema_is_the_crds_v1beta1_schema() -> None:
    document = json.loads(gzip.decompress(SCHEMA_FILE.read_bytes()))
    source = document["source"]
    assert source["repository"] == "https://github.com/kserve/kserve"
    assert source["path"] == "config/crd/full/serving.kserve.io_inferenceservices.yaml"
    assert re.fullmatch(r"[0-9a-f]{40}", source["commit"])
    assert source["commit"] in (DATA / "PROVENANCE").read_text("utf-8")
    schema = document["openAPIV3Schema"]
    predictor = schema["properties"]["spec"]["properties"]["predictor"]["properties"]
    for field in ("containers", "minReplicas", "maxReplicas", "canaryTrafficPercent", "scaleMetric", "timeout"):
        assert field in predictor, field
    assert "description" not in json.dumps(schema).replace('"description":{', "")  # a field may be so named


def test_the_vendoring_tool_reproduces_the_schema_from_the_crd(tmp_path: Path) -> None:
    """Rebuilt from the CRD file of the recorded commit, when a clone of kserve/kserve is at hand ($KSERVE_REPO,
    or ../kserve or ../.mirror/kserve+kserve/repo beside this repository)."""
    commit = json.loads(gzip.decompress(SCHEMA_FILE.read_bytes()))["source"]["commit"]
    candidates = [Path(os.environ["KSERVE_REPO"])] if os.environ.get("KSERVE_REPO") else []
    candidates += [ROOT.parent / "kserve", ROOT.parent / ".mirror" / "kserve+kserve" / "repo"]
    repository = next((path for path in candidates if path.exists()), None)
    if repository is None:
        pytest.skip("no clone of kserve/kserve (set KSERVE_REPO)")
    shown = subprocess.run(["git", "-C", str(repository), "show",
                            f"{commit}:config/crd/full/serving.kserve.io_inferenceservices.yaml"],
                           capture_output=True, timeout=120)
    if shown.returncode != 0:
        pytest.skip(f"the clone has no commit {commit}")
    crd = tmp_path / "crd.yaml"
    crd.write_bytes(shown.stdout)
    check = subprocess.run([sys.executable, str(ROOT / "tools" / "vendor_kserve_crd.py"), str(crd), "--commit",
                            commit, "--check"], capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stderr


def test_manifest_is_valid_against_the_crd_schema(validator: Any, manifest: dict[str, Any]) -> None:
    assert schema_errors(validator, manifest) == []


def test_manifest_passes_kserves_and_knatives_admission_rules(manifest: dict[str, Any]) -> None:
    assert admission_errors(manifest) == []


def test_manifest_is_a_custom_v2_predictor_in_knative_mode(manifest: dict[str, Any]) -> None:
    assert (manifest["apiVersion"], manifest["kind"]) == ("serving.kserve.io/v1beta1", "InferenceService")
    assert manifest["metadata"]["name"] == NAME
    assert manifest["metadata"]["labels"]["app.kubernetes.io/version"] == "0.1.0"
    assert manifest["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "Knative"
    predictor = manifest["spec"]["predictor"]
    assert set(manifest["spec"]) == {"predictor"} and "status" not in manifest
    assert not {"model", "sklearn", "xgboost", "triton"} & set(predictor), "a custom predictor, not a runtime"
    main = predictor_container(manifest)
    assert main["name"] == "kserve-container"  # KServe's name for the predictor's container
    env = {item["name"]: item.get("value") for item in main["env"]}
    assert env["PROTOCOL"] == "v2"
    assert 1 <= predictor["minReplicas"] <= predictor["maxReplicas"]
    assert "canaryTrafficPercent" not in predictor, "documented in the comments, not set: a first rollout has no canary"


def test_manifest_runs_the_deployments_image_port_env_and_resources(
    manifest: dict[str, Any], deployment: dict[str, Any], baked: Baked
) -> None:
    main = predictor_container(manifest)
    (deployed,) = deployment["spec"]["template"]["spec"]["containers"]
    assert main["image"] == deployed["image"] == "iris-service:0.1.0"
    dockerfile = (baked.project / "Dockerfile").read_text("utf-8")
    (exposed,) = re.findall(r"^EXPOSE (\d+)$", dockerfile, flags=re.MULTILINE)
    (command,) = re.findall(r"^CMD (\[.*\])$", dockerfile, flags=re.MULTILINE)
    arguments = json.loads(command)
    served = int(arguments[arguments.index("--port") + 1])
    assert [port["containerPort"] for port in main["ports"]] == [int(exposed)] == [served]
    env = {item["name"]: item.get("value") for item in main["env"]}
    assert env == {"PROTOCOL": "v2", **{item["name"]: item["value"] for item in deployed["env"]}}
    assert main["resources"] == deployed["resources"]
    pod_security = deployment["spec"]["template"]["spec"]["securityContext"]
    assert main["securityContext"] == {**pod_security, **deployed["securityContext"]}
    assert main["volumeMounts"] == deployed["volumeMounts"]
    assert manifest["spec"]["predictor"]["volumes"] == deployment["spec"]["template"]["spec"]["volumes"]


def test_probes_are_the_v2_health_paths_on_the_service_port(manifest: dict[str, Any]) -> None:
    main = predictor_container(manifest)
    (port,) = main["ports"]
    assert main["livenessProbe"]["httpGet"] == {"path": V2_LIVE, "port": port["containerPort"]}
    assert main["readinessProbe"]["httpGet"] == {"path": V2_READY, "port": port["containerPort"]}


def test_the_documented_canary_step_is_valid(validator: Any, manifest: dict[str, Any], manifest_text: str) -> None:
    """The comment's `canaryTrafficPercent: 10`, put under `predictor:` as it says, validates."""
    (documented,) = re.findall(r"^#\s+canaryTrafficPercent: (\d+)$", manifest_text, flags=re.MULTILINE)
    canary = changed(manifest, "spec/predictor/canaryTrafficPercent", int(documented))
    canary = changed(canary, "spec/predictor/containers/0/image", "iris-service:0.2.0")
    assert schema_errors(validator, canary) == [] and admission_errors(canary) == []
    for value in (0, 100):  # roll back, promote
        assert admission_errors(changed(manifest, "spec/predictor/canaryTrafficPercent", value)) == []


def test_the_standard_mode_of_the_comment_is_valid(manifest: dict[str, Any], manifest_text: str) -> None:
    """Standard mode, with the autoscaler the comment says to write, passes; Standard with Knative's metric not."""
    assert "scaleMetric: cpu" in manifest_text
    standard = changed(manifest, "metadata/annotations/serving.kserve.io~1deploymentMode", "Standard")
    assert any("scaleMetric 'concurrency'" in error for error in admission_errors(standard))
    standard["spec"]["predictor"].update(scaleMetric="cpu", scaleTarget=70)
    assert admission_errors(standard) == []


def render(relative: str, **overrides: Any) -> str:
    """One file of the template rendered with cookiecutter.json's defaults and `overrides` (no bake)."""
    from cookiecutter.environment import StrictEnvironment
    from jinja2 import FileSystemLoader

    context = {"cookiecutter": {**json.loads((TEMPLATE / "cookiecutter.json").read_text("utf-8")), **overrides}}
    env = StrictEnvironment(context=context, keep_trailing_newline=True)
    env.loader = FileSystemLoader([str(TEMPLATE / "{{cookiecutter.project_name}}")])
    return env.get_template(relative).render(**context)


@pytest.mark.parametrize(
    ("project_name", "expected"),
    [("odd.name_2", "odd-name-2"), ("a-" + "long-" * 20 + "name", ("a-" + "long-" * 20)[:53].strip("-"))],
)
def test_manifest_is_valid_for_any_project_name(validator: Any, project_name: str, expected: str) -> None:
    """Dots and underscores become dashes; a name too long for `<name>-predictor` is cut to 53 characters."""
    package = project_name.replace("-", "_").replace(".", "_")
    text = render(MANIFEST.as_posix(), project_name=project_name, package_name=package)
    manifest = yaml.safe_load(text)
    assert manifest["metadata"]["name"] == expected and len(f"{expected}-predictor") <= DNS_LABEL_MAX
    assert schema_errors(validator, manifest) == [] and admission_errors(manifest) == []
    assert f"/v2/models/{project_name}/infer" in text  # the V2 model keeps the project's own name
    readme = render("deploy/README.md", project_name=project_name, package_name=package)
    assert f"kubectl get inferenceservice {expected} " in readme


def test_readme_without_examples_points_to_the_metadata() -> None:
    """With no example to show (cookiecutter.json's defaults), the infer request is a sketch and the README
    says where the input tensors are listed."""
    readme = render("deploy/README.md", project_name="plain", package_name="plain")
    section = readme[readme.index("## KServe"):readme.index("## Runbook")]
    assert '"name": "<argument>"' in section and "`GET /v2/models/plain` lists the input tensors" in section


# -- the validator refuses what it should ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("spec/predictor/replicas", 2, "Additional properties are not allowed ('replicas'"),
        ("spec/predictor/containers/0/livenessprobe", {}, "Additional properties are not allowed ('livenessprobe'"),
        ("spec/predictor/containers/0/readinessProbe/httpGet/paht", "/", "Additional properties are not allowed"),
        ("spec/predictor/minReplicas", "two", "'two' is not of type 'integer'"),
        ("spec/predictor/maxReplicas", 2.5, "2.5 is not of type 'integer'"),
        ("spec/predictor/minReplicas", 2**31, "is not a 'int32'"),
        ("spec/predictor/canaryTrafficPercent", "10%", "'10%' is not of type 'integer'"),
        ("spec/predictor/canaryTrafficPercent", True, "True is not of type 'integer'"),
        ("spec/predictor/scaleMetric", "gpu", "'gpu' is not one of"),
        ("spec/predictor/containers/0/ports/0/containerPort", "8000", "'8000' is not of type 'integer'"),
        ("spec/predictor/containers/0/livenessProbe/httpGet/port", 8000.5, "is not of type 'integer', 'string'"),
        ("spec/predictor/containers/0/resources/limits/cpu", 0.5, "0.5 is not of type 'integer', 'string'"),
        ("spec/predictor/containers/0/resources/limits/memory", "lots", "'lots' does not match"),
        ("spec/predictor/containers/0/env/1/value", 100, "100 is not of type 'string'"),
        ("spec/predictor/containers/0/env/1/name", "PROTOCOL", "duplicate entry with {'name': '\"PROTOCOL\"'}"),
        ("spec/predictor/containers/0/name", None, "None is not of type 'string'"),
        ("spec/canary", [{"predictor": {"name": "next"}, "trafficPercent": 101}], "101 is greater than the maximum"),
        ("spec/unknown", {}, "Additional properties are not allowed ('unknown'"),
        ("apiVersion", "serving.kserve.io/v1alpha1", "'serving.kserve.io/v1beta1' was expected"),
        ("kind", "Deployment", "'InferenceService' was expected"),
        ("metadata/name", "Iris_Service", "does not match"),
        ("metadata/name", "9iris", "does not match"),
        ("metadata/name", "a" * 64, "is too long"),
        ("metadata/labels/app.kubernetes.io~1version", "0.1.0+local", "does not match"),
        ("metadata/annotations/serving.kserve.io~1deploymentMode", 1, "1 is not of type 'string'"),
        ("metadata/uid", "x", "Additional properties are not allowed ('uid'"),
    ],
)
def test_the_schema_refuses(validator: Any, manifest: dict[str, Any], path: str, value: Any, expected: str) -> None:
    errors = schema_errors(validator, changed(manifest, path, value))
    assert any(expected in error for error in errors), errors


def test_the_schema_keeps_what_preserve_unknown_fields_allows(validator: Any, manifest: dict[str, Any]) -> None:
    """`status` preserves unknown fields; int-or-string takes both kinds (a probe's port by name or number)."""
    assert schema_errors(validator, {**manifest, "status": {"anything": {"at": ["all"]}}}) == []
    assert schema_errors(validator, changed(manifest, "spec/predictor/containers/0/livenessProbe/httpGet/port",
                                            "http1")) == []
    assert schema_errors(validator, changed(manifest, "spec/predictor/containers/0/resources/limits/cpu", 2)) == []


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("spec/predictor/canaryTrafficPercent", 101, "canaryTrafficPercent 101"),
        ("spec/predictor/canaryTrafficPercent", -1, "canaryTrafficPercent -1"),
        ("spec/predictor/minReplicas", 6, "minReplicas is greater than maxReplicas"),
        ("spec/predictor/minReplicas", -1, "minReplicas is negative"),
        ("spec/predictor/scaleMetric", "cpu", "scaleMetric 'cpu' is not one of Knative's"),
        ("spec/predictor/containers/0/env/0/value", "v3", "PROTOCOL 'v3'"),
        ("spec/predictor/containers/0/ports/0/name", "http", "port name 'http'"),
        ("spec/predictor/containers/0/readinessProbe/httpGet/port", "http", "readinessProbe port 'http'"),
        ("spec/predictor/securityContext", {"runAsNonRoot": True}, "pod securityContext"),
        ("metadata/name", "a" * 60, "the predictor's Service"),
        ("metadata/annotations", {"serving.kserve.io/deploymentMode": "Serverfull"}, "unknown deployment mode"),
    ],
)
def test_the_admission_rules_refuse(manifest: dict[str, Any], path: str, value: Any, expected: str) -> None:
    assert any(expected in error for error in admission_errors(changed(manifest, path, value)))


def test_the_crd_itself_does_not_bound_canary_traffic_percent(validator: Any, manifest: dict[str, Any]) -> None:
    """Why the 0..100 check is an admission rule here: the CRD schema takes 101 (Knative refuses it later)."""
    assert schema_errors(validator, changed(manifest, "spec/predictor/canaryTrafficPercent", 101)) == []


# -- the service answers KServe's probes and the documented V2 request ------------------------------------


def test_the_running_service_answers_the_probes(service: RunningService, manifest: dict[str, Any]) -> None:
    main = predictor_container(manifest)
    with service.client() as client:
        for probe, body in (("livenessProbe", {"live": True}), ("readinessProbe", {"ready": True})):
            response = client.get(main[probe]["httpGet"]["path"])
            assert (response.status_code, response.json()) == (200, body), probe


def test_the_readmes_v2_request_gets_the_predict_answer(baked: Baked, service: RunningService) -> None:
    """The infer request of deploy/README.md's KServe section, sent to the service, answers as /predict."""
    readme = (baked.project / "deploy" / "README.md").read_text("utf-8")
    section = readme[readme.index("## KServe"):]
    (url,) = re.findall(r'"http://\$\{INGRESS_HOST\}:\$\{INGRESS_PORT\}(/v2/models/[^"]+/infer)"', section)
    assert url == f"/v2/models/{NAME}/infer"
    (body,) = re.findall(r"-d '(\{.*\})'", section)
    request = json.loads(body)
    example = baked.context["_examples"][0]["input"]
    assert {item["name"]: item["data"] for item in request["inputs"]} == {k: [v] for k, v in example.items()}
    with service.client() as client:
        answer = client.post(url, json=request)
        assert answer.status_code == 200, answer.text
        expected = client.post("/predict", json=example).json()
    (output,) = answer.json()["outputs"]
    assert output["name"] == "prediction" and output["shape"] == [1]
    (prediction,) = output["data"]
    prediction = json.loads(prediction) if output["datatype"] == "BYTES" else prediction
    assert prediction == expected["prediction"]


def test_readme_documents_apply_canary_and_the_ingress(baked: Baked) -> None:
    readme = (baked.project / "deploy" / "README.md").read_text("utf-8")
    section = readme[readme.index("## KServe"):]
    commands = [shlex.split(line.strip()) for line in section.splitlines() if line.strip().startswith("kubectl ")]
    assert ["kubectl", "apply", "-f", "deploy/kserve/inferenceservice.yaml"] in commands
    for words in ("canaryTrafficPercent: 10", "canaryTrafficPercent: 0", "Host: ${SERVICE_HOSTNAME}",
                  V2_LIVE, V2_READY, f"/v2/models/{NAME}/ready"):
        assert words in section, words
    assert "| `kserve/inferenceservice.yaml` |" in readme


def test_the_v2_model_named_in_the_manifest_is_the_services(service: RunningService, manifest_text: str) -> None:
    """The model paths the manifest's comments give are the running service's (its model is the project)."""
    paths = set(re.findall(r"/v2/models/[a-z0-9-]+(?:/ready|/infer)?", manifest_text))
    assert paths == {f"/v2/models/{NAME}", f"/v2/models/{NAME}/ready", f"/v2/models/{NAME}/infer"}
    with service.client() as client:
        metadata = client.get(f"/v2/models/{NAME}")
        ready = client.get(f"/v2/models/{NAME}/ready")
        other = client.get("/v2/models/another-model/ready")
    assert metadata.status_code == 200 and metadata.json()["name"] == NAME
    assert (ready.status_code, ready.json()) == (200, {"name": NAME, "ready": True})
    assert other.status_code == 404
