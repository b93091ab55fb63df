"""The Kubernetes manifests are valid Kubernetes, and they agree with each other.

Every object in deploy/k8s is checked against the Kubernetes API's own
schemas (kubernetes-validate, offline) strictly, so a misspelt field fails
here instead of being dropped by the API server. Then the references between
objects: a key a container reads from the Secret or the ConfigMap exists in
the template or the map, a claim names a PersistentVolumeClaim, a Service
selects the pods of a Deployment, the Ingress sends traffic to a Service
port that exists.
"""
from __future__ import annotations

import copy
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import ValidationError

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
# The oldest Kubernetes release still supported upstream when this was written, and the newest known.
VERSIONS = ("1.33", kubernetes_validate.utils.latest_version())


def _objects() -> list[tuple[str, dict]]:
    found = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":  # kustomize's own configuration, not an API object
            continue
        found += [(path.name, document) for document in yaml.safe_load_all(path.read_text()) if document]
    return found


OBJECTS = _objects()


def _of_kind(kind: str) -> list[dict]:
    return [document for _, document in OBJECTS if document["kind"] == kind]


def _pod_specs() -> list[tuple[str, dict]]:
    specs = []
    for name, document in OBJECTS:
        template = document.get("spec", {}).get("template", {})
        if document["kind"] == "CronJob":
            template = document["spec"]["jobTemplate"]["spec"]["template"]
        if template:
            specs.append((name, template))
    return specs


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name,document", OBJECTS, ids=[f"{name}:{doc['kind']}" for name, doc in OBJECTS])
def test_every_object_is_valid_against_the_kubernetes_schema(name, document, version):
    kubernetes_validate.validate(document, version, strict=True)


def test_a_misspelt_field_is_caught():
    """The check has teeth: `replica` for `replicas` is an error, not a silently dropped field."""
    deployment = copy.deepcopy(next(doc for _, doc in OBJECTS if doc["kind"] == "Deployment"))
    deployment["spec"]["replica"] = deployment["spec"].pop("replicas", 1)
    with pytest.raises(ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[-1], strict=True)


def test_every_secret_and_config_key_a_container_reads_exists():
    secret_keys = set().union(*(doc.get("stringData", {}) | doc.get("data", {}) for doc in _of_kind("Secret")))
    config_keys = set().union(*(doc.get("data", {}) for doc in _of_kind("ConfigMap")))
    secret_names = {doc["metadata"]["name"] for doc in _of_kind("Secret")}
    config_names = {doc["metadata"]["name"] for doc in _of_kind("ConfigMap")}
    missing = []
    for name, template in _pod_specs():
        for container in template["spec"].get("containers", []) + template["spec"].get("initContainers", []):
            for source in container.get("envFrom", []):
                if "configMapRef" in source and source["configMapRef"]["name"] not in config_names:
                    missing.append(f"{name}: ConfigMap {source['configMapRef']['name']}")
                if "secretRef" in source and source["secretRef"]["name"] not in secret_names:
                    missing.append(f"{name}: Secret {source['secretRef']['name']}")
            for variable in container.get("env", []):
                reference = variable.get("valueFrom", {})
                if "secretKeyRef" in reference and reference["secretKeyRef"]["key"] not in secret_keys:
                    missing.append(f"{name}: secret key {reference['secretKeyRef']['key']}")
                if "configMapKeyRef" in reference and reference["configMapKeyRef"]["key"] not in config_keys:
                    missing.append(f"{name}: config key {reference['configMapKeyRef']['key']}")
    assert missing == []


def test_every_claimed_volume_exists():
    claims = {doc["metadata"]["name"] for doc in _of_kind("PersistentVolumeClaim")}
    claimed = {volume["persistentVolumeClaim"]["claimName"]
               for _, template in _pod_specs() for volume in template["spec"].get("volumes", [])
               if "persistentVolumeClaim" in volume}
    assert claimed <= claims


def test_every_service_selects_pods_on_a_port_they_open():
    pods = [template for _, template in _pod_specs()]
    for service in _of_kind("Service"):
        selector = service["spec"]["selector"]
        selected = [pod for pod in pods if selector.items() <= pod["metadata"].get("labels", {}).items()]
        assert selected, f"Service {service['metadata']['name']} selects no pods"
        opened = {port.get("name") for pod in selected for container in pod["spec"]["containers"]
                  for port in container.get("ports", [])} | {
                  port["containerPort"] for pod in selected for container in pod["spec"]["containers"]
                  for port in container.get("ports", [])}
        for port in service["spec"].get("ports", []):  # a headless Service of consumers opens none
            assert port.get("targetPort", port["port"]) in opened, (service["metadata"]["name"], port)


def test_the_ingress_sends_traffic_to_service_ports_that_exist():
    services = {doc["metadata"]["name"]: doc for doc in _of_kind("Service")}
    for ingress in _of_kind("Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                assert backend["name"] in services, backend
                ports = services[backend["name"]]["spec"]["ports"]
                wanted = backend["port"]
                assert any(port.get("name") == wanted.get("name") or port["port"] == wanted.get("number")
                           for port in ports), backend
