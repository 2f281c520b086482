"""The default template's container and Kubernetes files, checked without Docker or a cluster.

The project is baked as in `test_template.py`; the manifests are validated against the
Kubernetes OpenAPI schemas that `kubernetes-validate` ships, and the Dockerfile is parsed
with `dockerfile-parse`.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_template import PACKAGE, Baked, bake_example, free_port

from nb2prod.converter.requirements import SERVICE_DISTRIBUTIONS

pytestmark = pytest.mark.slow  # bakes the iris project and runs it

kubernetes_validate = pytest.importorskip("kubernetes_validate")
yaml = pytest.importorskip("yaml")
dockerfile_parse = pytest.importorskip("dockerfile_parse")

MANIFESTS = ("deployment.yaml", "service.yaml", "hpa.yaml")
BUILD_TOOLS = re.compile(r"\b(gcc|g\+\+|clang|make|build-essential|apt-get|apt|apk|python3?-dev|libc6?-dev)\b")


@pytest.fixture(scope="module")
def baked(tmp_path_factory: pytest.TempPathFactory) -> Baked:
    return bake_example(tmp_path_factory.mktemp("bake-deploy"))


@pytest.fixture(scope="module")
def manifests(baked: Baked) -> dict[str, dict[str, Any]]:
    loaded = {}
    for name in MANIFESTS:
        documents = list(yaml.safe_load_all((baked.project / "deploy" / "kubernetes" / name).read_text("utf-8")))
        assert len(documents) == 1, name
        loaded[name] = documents[0]
    return loaded


@pytest.fixture(scope="module")
def stages(baked: Baked) -> list[list[dict[str, Any]]]:
    """The Dockerfile's instructions, one list per build stage."""
    parser = dockerfile_parse.DockerfileParser(str(baked.project / "Dockerfile"))
    result: list[list[dict[str, Any]]] = []
    for instruction in parser.structure:
        if instruction["instruction"] == "FROM":
            result.append([])
        if instruction["instruction"] not in ("COMMENT",):
            assert result, "an instruction before the first FROM"
            result[-1].append(instruction)
    return result


def instructions(stage: list[dict[str, Any]], name: str) -> list[str]:
    return [item["value"] for item in stage if item["instruction"] == name]


def container(manifests: dict[str, dict[str, Any]]) -> dict[str, Any]:
    (only,) = manifests["deployment.yaml"]["spec"]["template"]["spec"]["containers"]
    return only


@pytest.mark.parametrize("name", MANIFESTS)
def test_manifest_is_valid_against_the_kubernetes_schema(manifests: dict[str, dict[str, Any]], name: str) -> None:
    version = kubernetes_validate.latest_version()
    try:
        kubernetes_validate.validate(manifests[name], version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        pytest.fail(f"{name} is not a valid Kubernetes {version} resource: {exc.message} at {list(exc.path)}")


def test_manifest_kinds_and_names(manifests: dict[str, dict[str, Any]]) -> None:
    kinds = {name: (doc["apiVersion"], doc["kind"]) for name, doc in manifests.items()}
    assert kinds == {
        "deployment.yaml": ("apps/v1", "Deployment"),
        "service.yaml": ("v1", "Service"),
        "hpa.yaml": ("autoscaling/v2", "HorizontalPodAutoscaler"),
    }
    assert {doc["metadata"]["name"] for doc in manifests.values()} == {"iris-service"}
    for doc in manifests.values():
        assert doc["metadata"]["labels"]["app.kubernetes.io/name"] == "iris-service"
        assert doc["metadata"]["labels"]["app.kubernetes.io/version"] == "0.1.0"


def test_deployment_probes_resources_and_security(manifests: dict[str, dict[str, Any]]) -> None:
    deployment = manifests["deployment.yaml"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    main = container(manifests)
    assert main["image"] == "iris-service:0.1.0"
    assert {port["name"]: port["containerPort"] for port in main["ports"]} == {"http": 8000}
    assert main["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert main["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    for kind in ("requests", "limits"):
        assert set(main["resources"][kind]) == {"cpu", "memory"}
    pod_security = deployment["spec"]["template"]["spec"]["securityContext"]
    assert pod_security["runAsNonRoot"] is True and pod_security["runAsUser"] != 0
    assert main["securityContext"]["readOnlyRootFilesystem"] is True
    assert main["securityContext"]["allowPrivilegeEscalation"] is False
    env = {item["name"]: item["value"] for item in main.get("env", [])}
    assert env == {"IRIS_SERVICE_MAX_BATCH_SIZE": "100", "IRIS_SERVICE_STORE_URL": "sqlite:////tmp/predictions.sqlite3"}


def test_service_routes_port_80_to_the_container(manifests: dict[str, dict[str, Any]]) -> None:
    service = manifests["service.yaml"]["spec"]
    assert service["type"] == "ClusterIP"
    assert service["selector"] == manifests["deployment.yaml"]["spec"]["selector"]["matchLabels"]
    (port,) = service["ports"]
    container_ports = {item["name"]: item["containerPort"] for item in container(manifests)["ports"]}
    assert port["port"] == 80
    assert container_ports.get(port["targetPort"], port["targetPort"]) == 8000


def test_hpa_scales_the_deployment_on_cpu(manifests: dict[str, dict[str, Any]]) -> None:
    spec = manifests["hpa.yaml"]["spec"]
    deployment = manifests["deployment.yaml"]
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "iris-service"}
    assert 1 <= spec["minReplicas"] <= spec["maxReplicas"]
    (metric,) = spec["metrics"]
    assert metric["type"] == "Resource" and metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"]["type"] == "Utilization"
    assert "cpu" in container(manifests)["resources"]["requests"], "utilisation is relative to the request"
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"


def test_dockerfile_is_multi_stage_with_a_slim_final_image(stages: list[list[dict[str, Any]]]) -> None:
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert len(stages) >= 2
    builder = instructions(stages[0], "FROM")[0].split()
    assert builder[0].startswith(f"python:{python}") and builder[-2:] == ["AS", "builder"]
    assert instructions(stages[-1], "FROM") == [f"python:{python}-slim"]


def test_dockerfile_final_stage_installs_the_pinned_wheels_only(stages: list[list[dict[str, Any]]]) -> None:
    final = stages[-1]
    runs = instructions(final, "RUN")
    for command in runs:
        assert not BUILD_TOOLS.search(command), f"build tools in the final image: {command}"
    (install,) = [command for command in runs if "pip install" in command]
    words = shlex.split(install)
    assert "--no-index" in words and "--no-cache-dir" in words
    assert words[words.index("-r") + 1].endswith("requirements.txt")
    assert "from=builder" in install and any(word.endswith(".whl") for word in words)
    assert not instructions(final, "ADD")
    assert all("--from=builder" in copy for copy in instructions(final, "COPY")), "only the builder's output"


def test_dockerfile_runs_the_service_as_non_root_with_a_healthcheck(stages: list[list[dict[str, Any]]]) -> None:
    final = stages[-1]
    users = instructions(final, "USER")
    assert users, "the final stage sets no USER"
    assert users[-1].split(":")[0] not in ("root", "0")
    assert instructions(final, "EXPOSE") == ["8000"]
    (healthcheck,) = instructions(final, "HEALTHCHECK")
    assert "urllib" in healthcheck and "/health" in healthcheck and "curl" not in healthcheck
    (cmd,) = instructions(final, "CMD")
    assert json.loads(cmd) == ["iris-service", "serve", "--host", "0.0.0.0", "--port", "8000"]


def test_requirements_are_pinned(baked: Baked) -> None:
    lines = (baked.project / "requirements.txt").read_text(encoding="utf-8").splitlines()
    requirements = [line for line in lines if line.strip() and not line.startswith("#")]
    assert requirements == baked.context["_requirements"]
    for requirement in requirements:
        assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][^\s,;<>=!~]*", requirement), requirement  # exact, nothing else
    names = {requirement.split("==")[0] for requirement in requirements}
    assert set(SERVICE_DISTRIBUTIONS) <= names  # the serving stack too


def test_dockerignore_keeps_the_build_inputs_and_drops_the_rest(baked: Baked) -> None:
    patterns = [
        line.strip().rstrip("/")
        for line in (baked.project / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert not any(line.startswith("!") for line in patterns), "the check below ignores exceptions"

    def ignored(path: str) -> bool:
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        for pattern in patterns:
            simple = pattern.removeprefix("**/")
            candidates = prefixes if pattern == simple else [p for prefix in prefixes for p in prefix.split("/")]
            if any(fnmatch.fnmatchcase(candidate, simple) for candidate in candidates):
                return True
        return False

    needed = ["pyproject.toml", "README.md", "requirements.txt", f"{PACKAGE}/model.py"]
    needed += [f"{PACKAGE}/artifacts/model.joblib", f"{PACKAGE}/nb2prod.lock.json", f"{PACKAGE}/metadata.json"]
    assert [path for path in needed if ignored(path)] == []
    dropped = ["tests/test_smoke.py", ".git/config", f"{PACKAGE}/__pycache__/app.cpython-311.pyc", ".venv/bin/python"]
    dropped += ["venv/bin/python", "service.log", "dist/x.whl", "deploy/kubernetes/hpa.yaml"]
    assert [path for path in dropped if not ignored(path)] == []


def test_healthcheck_command_passes_against_the_running_service(
    baked: Baked, stages: list[list[dict[str, Any]]], tmp_path: Path
) -> None:
    """Run the HEALTHCHECK's own command (port changed) against the service the image's CMD starts."""
    (healthcheck,) = instructions(stages[-1], "HEALTHCHECK")
    command = json.loads(healthcheck[healthcheck.index("CMD") + 3 :].strip())
    assert command[:2] == ["python", "-c"]
    port = free_port()
    code = command[2].replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    env = {"PYTHONPATH": str(baked.project), "PYTHONDONTWRITEBYTECODE": "1", "PATH": ""}
    check = [sys.executable, "-c", code]
    assert subprocess.run(check, env=env, capture_output=True, timeout=30).returncode != 0, "passes with no server"
    log = tmp_path / "serve.log"
    serve = [sys.executable, "-m", PACKAGE, "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("w") as log_file:
        server = subprocess.Popen(serve, cwd=baked.project, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=1, trust_env=False)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        result = subprocess.run(check, env=env, capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
    finally:
        server.terminate()
        server.wait(timeout=10)
