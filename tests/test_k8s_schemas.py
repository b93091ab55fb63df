"""The Kubernetes manifests render, are valid Kubernetes, and say what they promise.

Both layers, the base (deploy/k8s/base) and the HA overlay
(deploy/k8s/overlays/ha), are rendered with `kubectl kustomize` as an operator
applies them, and every rendered object is checked:

- a built-in kind against the Kubernetes API's own schemas of the oldest
  supported and the newest known release (kubernetes-validate, offline,
  strict: a misspelt field fails here instead of being dropped by the API
  server);
- a custom resource (the operators' RabbitmqCluster, Cluster and
  ScheduledBackup) against its CRD's schema, vendored in tests/data/crds,
  strictly in the same way; a kind with neither schema fails.

Then what the objects promise together: every key a container reads exists,
every container has requests and limits, every Deployment a disruption
budget, the gateway and the consumers an autoscaler, the HA overlay its
replicas, broker cluster, databases and backups, and the network policies
let a database be reached only by its own service (evaluated here with
Kubernetes' NetworkPolicy rules, decision 0028).
"""
from __future__ import annotations

import copy
import functools
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import ValidationError
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
LAYERS = {"base": K8S / "base", "ha": K8S / "overlays" / "ha"}
CRDS = ROOT / "tests" / "data" / "crds"
# The oldest Kubernetes release still supported upstream when this was written, and the newest known.
VERSIONS = ("1.33", kubernetes_validate.utils.latest_version())
SERVICES = sorted(p.parent.name for p in (ROOT / "services").glob("*/config.yml"))
# identity keeps ID documents on a ReadWriteOnce claim in the base: it scales in the HA overlay only.
BASE_SINGLETONS = {"identity"}
NAMESPACE = "certtrack"
# Who a database's port may hear from, beyond the service itself and its migration Job.
DATABASE_READERS = {"transcripts": {"transcripts-web"}}
BROKER_CLIENTS = set(SERVICES) | {"gateway", "broker-users"}


@functools.cache
def rendered(layer: str) -> tuple[dict, ...]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl is not on the PATH: the manifests are rendered with `kubectl kustomize` "
                    "(kubectl 1.27 or later bundles kustomize v5); install kubectl to run these tests")
    done = subprocess.run([kubectl, "kustomize", str(LAYERS[layer])], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, f"kubectl kustomize {LAYERS[layer].relative_to(ROOT)}:\n{done.stderr}"
    return tuple(document for document in yaml.safe_load_all(done.stdout) if document)


def of_kind(layer: str, kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in rendered(layer) if doc["kind"] == kind}


def label(doc: dict) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def pod_templates(layer: str) -> dict[str, dict]:
    """The pod template of every Deployment and Job, by workload name."""
    return {name: doc["spec"]["template"] for kind in ("Deployment", "Job")
            for name, doc in of_kind(layer, kind).items()}


def containers(template: dict) -> list[dict]:
    return template["spec"].get("containers", []) + template["spec"].get("initContainers", [])


def secret_templates(layer: str) -> list[dict]:
    """The Secrets an operator creates from the templates (never rendered: no secret is committed)."""
    folders = [LAYERS["base"]] + ([LAYERS["ha"]] if layer == "ha" else [])
    return [doc for folder in folders for path in sorted(folder.glob("*.template.yaml"))
            for doc in yaml.safe_load_all(path.read_text()) if doc]


# ----------------------------------------------------------------- schemas


def strict(schema):
    """What kubernetes-validate's strict mode does for built-in kinds: an object
    schema that lists its properties accepts no other."""
    if isinstance(schema, dict):
        schema = {key: strict(value) for key, value in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    return schema


@functools.cache
def crd_validator(api_version: str, kind: str):
    group, _, version = api_version.rpartition("/")
    path = CRDS / f"{group}_{version}_{kind}.yaml"
    if not group or not path.is_file():
        return None
    schema = strict(yaml.safe_load(path.read_text()))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def custom_resource_problems(doc: dict) -> list[str]:
    validator = crd_validator(doc["apiVersion"], doc["kind"])
    problems = [f"{label(doc)}: {'/'.join(map(str, error.absolute_path))}: {error.message}"
                for error in validator.iter_errors(doc)]
    # The CRDs leave metadata to the API server: the operators name pods and Services after it.
    if not DNS_LABEL.match(doc["metadata"]["name"]):
        problems.append(f"{label(doc)}: name is not a DNS label")
    if doc["metadata"].get("namespace") != NAMESPACE:
        problems.append(f"{label(doc)}: not in the {NAMESPACE} namespace")
    return problems


@functools.cache
def kubernetes_validator(api_version: str, kind: str, desired: str):
    """kubernetes-validate's strict schema of a kind for a release, loaded as its validate()
    loads it, but once per kind and release: validate() builds a new validator, and resolves
    every reference again, for each object (four times slower over the rendered layers)."""
    version = [v for v in kubernetes_validate.utils.all_versions()
               if kubernetes_validate.utils.major_minor(v) <= kubernetes_validate.utils.major_minor(desired)][-1]
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    folder = f"kubernetes-json-schema/v{version}-local-strict"
    try:
        schema = kubernetes_validate.utils.schema_contents(f"{folder}/{kind.lower()}-{group_version}.json", desired)
    except FileNotFoundError:
        return None
    definitions = kubernetes_validate.utils.schema_contents(f"{folder}/_definitions.json", desired)
    registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def kubernetes_problems(doc: dict, version: str) -> list[str]:
    validator = kubernetes_validator(doc["apiVersion"], doc["kind"], version)
    if validator is None:
        return [f"{label(doc)}: no Kubernetes {version} schema and no vendored CRD schema for {doc['apiVersion']}"]
    return [f"{label(doc)}: {'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in validator.iter_errors(doc)]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("layer", LAYERS)
def test_every_rendered_object_is_valid_kubernetes(layer, version):
    problems = []
    for doc in rendered(layer):
        if crd_validator(doc["apiVersion"], doc["kind"]) is not None:
            continue  # a custom resource: the next test
        problems += kubernetes_problems(doc, version)
    assert problems == []


@pytest.mark.parametrize("layer", LAYERS)
def test_every_custom_resource_is_valid_against_its_operators_schema(layer):
    custom = [doc for doc in rendered(layer) if crd_validator(doc["apiVersion"], doc["kind"]) is not None]
    assert [problem for doc in custom for problem in custom_resource_problems(doc)] == []
    if layer == "ha":
        assert {doc["kind"] for doc in custom} == {"RabbitmqCluster", "Cluster", "ScheduledBackup"}


def test_a_misspelt_field_is_caught():
    """The check has teeth: `replica` for `replicas` is an error, not a silently dropped field."""
    deployment = copy.deepcopy(of_kind("base", "Deployment")["gateway"])
    deployment["spec"]["replica"] = deployment["spec"].pop("replicas", 1)
    assert kubernetes_problems(deployment, VERSIONS[-1]) != []
    # The same verdict as kubernetes-validate's own validate().
    with pytest.raises(ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[-1], strict=True)


@pytest.mark.parametrize("kind,mistake", [
    ("Cluster", lambda spec: spec.__setitem__("instance", spec.pop("instances"))),
    ("Cluster", lambda spec: spec["backup"].__setitem__("retentionPolicy", "30 days")),
    ("ScheduledBackup", lambda spec: spec.__setitem__("method", "pg_dump")),
    ("RabbitmqCluster", lambda spec: spec.__setitem__("replica", spec.pop("replicas"))),
], ids=["misspelt-field", "bad-pattern", "unknown-enum", "missing-required"])
def test_a_mistake_in_a_custom_resource_is_caught(kind, mistake):
    resource = copy.deepcopy(next(iter(of_kind("ha", kind).values())))
    mistake(resource["spec"])
    assert custom_resource_problems(resource) != []


# -------------------------------------------------------------- references


@pytest.mark.parametrize("layer", LAYERS)
def test_every_secret_and_config_key_a_container_reads_exists(layer):
    secrets = {doc["metadata"]["name"]: set(doc.get("stringData", {})) | set(doc.get("data", {}))
               for doc in secret_templates(layer)}
    config_maps = {name: set(doc.get("data", {})) for name, doc in of_kind(layer, "ConfigMap").items()}
    missing = []
    for name, template in pod_templates(layer).items():
        for container in containers(template):
            for source in container.get("envFrom", []):
                if "configMapRef" in source and source["configMapRef"]["name"] not in config_maps:
                    missing.append(f"{name}: ConfigMap {source['configMapRef']['name']}")
                if "secretRef" in source and source["secretRef"]["name"] not in secrets:
                    missing.append(f"{name}: Secret {source['secretRef']['name']}")
            for variable in container.get("env", []):
                reference = variable.get("valueFrom", {})
                if "secretKeyRef" in reference:
                    ref = reference["secretKeyRef"]
                    if ref["key"] not in secrets.get(ref["name"], ()):
                        missing.append(f"{name}: secret {ref['name']} key {ref['key']}")
                if "configMapKeyRef" in reference:
                    ref = reference["configMapKeyRef"]
                    if ref["key"] not in config_maps.get(ref["name"], ()):
                        missing.append(f"{name}: config {ref['name']} key {ref['key']}")
    assert missing == []


def test_every_secret_an_operator_reads_is_in_the_ha_templates():
    secrets = {doc["metadata"]["name"]: doc for doc in secret_templates("ha")}
    wanted = []
    for name, cluster in of_kind("ha", "Cluster").items():
        owner = cluster["spec"]["bootstrap"]["initdb"]["secret"]["name"]
        wanted.append((owner, {"username", "password"}, "kubernetes.io/basic-auth"))
        credentials = cluster["spec"]["backup"]["barmanObjectStore"]["s3Credentials"]
        for ref in credentials.values():
            wanted.append((ref["name"], {ref["key"]}, None))
        # The owner the operator creates is the one the service's URL names (secrets.template.yaml).
        assert secrets[owner]["stringData"]["username"] == cluster["spec"]["bootstrap"]["initdb"]["owner"]
    for broker in of_kind("ha", "RabbitmqCluster").values():
        wanted.append((broker["spec"]["tls"]["secretName"], {"tls.crt", "tls.key"}, "kubernetes.io/tls"))
    for name, keys, kind in wanted:
        assert name in secrets, f"no Secret {name} in the templates"
        assert keys <= set(secrets[name]["stringData"]), name
        assert kind is None or secrets[name]["type"] == kind, name
        assert all("CHANGE-ME" in value for value in secrets[name]["stringData"].values()
                   if value not in ("",) and not value.startswith("certtrack_")), f"{name} holds a real secret"


@pytest.mark.parametrize("layer", LAYERS)
def test_every_claimed_volume_exists(layer):
    claims = set(of_kind(layer, "PersistentVolumeClaim"))
    claimed = {volume["persistentVolumeClaim"]["claimName"]
               for template in pod_templates(layer).values() for volume in template["spec"].get("volumes", [])
               if "persistentVolumeClaim" in volume}
    assert claimed <= claims


@pytest.mark.parametrize("layer", LAYERS)
def test_every_service_selects_pods_on_a_port_they_open(layer):
    pods = list(pod_templates(layer).values())
    for name, service in of_kind(layer, "Service").items():
        selector = service["spec"]["selector"]
        selected = [pod for pod in pods if selector.items() <= pod["metadata"].get("labels", {}).items()]
        assert selected, f"Service {name} selects no pods"
        opened = {key for pod in selected for container in pod["spec"]["containers"]
                  for port in container.get("ports", []) for key in (port.get("name"), port["containerPort"])}
        for port in service["spec"].get("ports", []):  # a headless Service of consumers opens none
            assert port.get("targetPort", port["port"]) in opened, (name, port)


@pytest.mark.parametrize("layer", LAYERS)
def test_the_ingress_sends_traffic_to_service_ports_that_exist(layer):
    services = of_kind(layer, "Service")
    for ingress in of_kind(layer, "Ingress").values():
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                assert backend["name"] in services, backend
                wanted = backend["port"]
                assert any(port.get("name") == wanted.get("name") or port["port"] == wanted.get("number")
                           for port in services[backend["name"]]["spec"]["ports"]), backend


@pytest.mark.parametrize("layer", LAYERS)
def test_every_file_of_a_layer_is_applied_or_is_a_template(layer):
    folder = LAYERS[layer]
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    used = set(kustomization.get("resources", [])) | {
        patch["path"] for patch in kustomization.get("patches", []) if "path" in patch}
    on_disk = {path.name for path in folder.glob("*.yaml")} - {"kustomization.yaml"}
    templates = {name for name in on_disk if name.endswith(".template.yaml")}
    assert on_disk - templates <= used
    assert not templates & used, "a template would deploy placeholder secrets"


# --------------------------------------------------------------- resources

QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi)?$")
SCALE = {None: 1, "m": 0.001, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


def quantity(value) -> float:
    number, unit = QUANTITY.match(str(value)).groups()
    return float(number) * SCALE[unit]


@pytest.mark.parametrize("layer", LAYERS)
def test_every_container_has_requests_and_limits(layer):
    """docs/benchmarks.md has the memory figures they come from."""
    problems = []
    for name, template in pod_templates(layer).items():
        for container in containers(template):
            resources = container.get("resources", {})
            for kind in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in resources.get(kind, {}):
                        problems.append(f"{name}/{container['name']}: no {resource} {kind}")
            if not problems and any(quantity(resources["requests"][r]) > quantity(resources["limits"][r])
                                    for r in ("cpu", "memory")):
                problems.append(f"{name}/{container['name']}: a request above its limit")
    for broker in of_kind(layer, "RabbitmqCluster").values():
        assert {"cpu", "memory"} <= set(broker["spec"]["resources"]["limits"])
    for database in of_kind(layer, "Cluster").values():
        assert {"cpu", "memory"} <= set(database["spec"]["resources"]["limits"])
    assert problems == []


@pytest.mark.parametrize("layer", LAYERS)
def test_every_deployment_has_a_disruption_budget_that_lets_a_node_drain(layer):
    budgets = of_kind(layer, "PodDisruptionBudget").values()
    for name, deployment in of_kind(layer, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        (budget,) = [b for b in budgets if b["spec"]["selector"]["matchLabels"].items() <= labels.items()]
        # One pod at a time may go, even when the Deployment runs a single replica.
        assert budget["spec"].get("maxUnavailable") == 1, name


@pytest.mark.parametrize("layer", LAYERS)
def test_the_gateway_and_every_consumer_scale_with_their_load(layer):
    autoscalers = {doc["spec"]["scaleTargetRef"]["name"]: doc
                   for doc in of_kind(layer, "HorizontalPodAutoscaler").values()}
    deployments = of_kind(layer, "Deployment")
    expected = {"gateway", *SERVICES} - (BASE_SINGLETONS if layer == "base" else set())
    assert expected <= set(autoscalers)
    if layer == "base":
        assert not BASE_SINGLETONS & set(autoscalers), "identity's ReadWriteOnce claim cannot follow a second pod"
    for name, autoscaler in autoscalers.items():
        assert autoscaler["spec"]["scaleTargetRef"]["kind"] == "Deployment" and name in deployments
        replicas = deployments[name]["spec"].get("replicas", 1)
        assert autoscaler["spec"]["minReplicas"] <= replicas <= autoscaler["spec"]["maxReplicas"], name
        # Utilization is measured against the request: every container must have one.
        for container in deployments[name]["spec"]["template"]["spec"]["containers"]:
            assert "cpu" in container["resources"]["requests"], name


def test_ha_runs_every_component_replicated():
    deployments = of_kind("ha", "Deployment")
    for name, deployment in deployments.items():
        assert deployment["spec"]["replicas"] >= (3 if name == "gateway" else 2), name
    for autoscaler in of_kind("ha", "HorizontalPodAutoscaler").values():
        target = autoscaler["spec"]["scaleTargetRef"]["name"]
        assert autoscaler["spec"]["minReplicas"] == deployments[target]["spec"]["replicas"], target
    # Two identity pods share the ID documents, on any node.
    assert of_kind("ha", "PersistentVolumeClaim")["identity-documents"]["spec"]["accessModes"] == ["ReadWriteMany"]
    assert deployments["identity"]["spec"]["strategy"] == {"type": "RollingUpdate"}
    assert of_kind("base", "Deployment")["identity"]["spec"]["strategy"] == {"type": "Recreate"}


def test_ha_runs_a_broker_cluster_and_a_replicated_backed_up_database_per_service():
    (broker,) = of_kind("ha", "RabbitmqCluster").values()
    assert broker["spec"]["replicas"] == 3
    assert broker["spec"]["tls"]["secretName"], "production connects with amqps:// (decision 0015)"
    clusters = of_kind("ha", "Cluster")
    assert set(clusters) == {f"{service}-db" for service in SERVICES}
    for service in SERVICES:
        spec = clusters[f"{service}-db"]["spec"]
        assert spec["instances"] == 3
        assert spec["bootstrap"]["initdb"]["database"] == f"certtrack_{service}"
        assert spec["backup"]["barmanObjectStore"]["destinationPath"].endswith(f"/{service}")
    scheduled = {doc["spec"]["cluster"]["name"] for doc in of_kind("ha", "ScheduledBackup").values()}
    assert scheduled == set(clusters)


# -------------------------------------------------------- network policies


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    labels: dict = field(hash=False)
    ports: tuple = ()  # (number, name)


def selects(selector: dict | None, labels: dict) -> bool:
    selector = selector or {}
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def peer_admits(peer: dict, policy_namespace: str, source: Pod) -> bool:
    if "ipBlock" in peer:
        return False  # these sources are pods, not addresses
    if "namespaceSelector" in peer:
        namespace_ok = selects(peer["namespaceSelector"], {"kubernetes.io/metadata.name": source.namespace})
    else:
        namespace_ok = source.namespace == policy_namespace
    return namespace_ok and ("podSelector" not in peer or selects(peer["podSelector"], source.labels))


def port_admits(entry: dict, target: Pod, port: int) -> bool:
    if "port" not in entry:
        return True
    wanted = entry["port"]
    if isinstance(wanted, str):
        return any(name == wanted and number == port for number, name in target.ports)
    return wanted <= port <= entry.get("endPort", wanted)


def admitted(policies: list[dict], source: Pod, target: Pod, port: int) -> bool:
    """Kubernetes' NetworkPolicy semantics for one TCP connection: allowed when no
    policy selects the target for ingress, or one of those that do has a rule
    whose peers and ports both admit it."""
    applying = [p for p in policies if p["metadata"]["namespace"] == target.namespace
                and "Ingress" in p["spec"].get("policyTypes", ["Ingress"])
                and selects(p["spec"]["podSelector"], target.labels)]
    if not applying:
        return True
    return any((not rule.get("from") or any(peer_admits(peer, p["metadata"]["namespace"], source)
                                            for peer in rule["from"]))
               and (not rule.get("ports") or any(port_admits(entry, target, port) for entry in rule["ports"]))
               for p in applying for rule in p["spec"].get("ingress", []))


def certtrack_pods(layer: str) -> list[Pod]:
    return [Pod(name, NAMESPACE, template["metadata"]["labels"],
                tuple((port["containerPort"], port.get("name")) for c in template["spec"]["containers"]
                      for port in c.get("ports", [])))
            for name, template in pod_templates(layer).items()]


def operator_pods(layer: str) -> dict[str, Pod]:
    """The pods the operators make from the HA overlay's custom resources, labelled as they label them."""
    pods = {}
    for name in of_kind(layer, "Cluster"):
        pods[name] = Pod(name, NAMESPACE, {"cnpg.io/cluster": name}, ((5432, "postgresql"), (8000, "status")))
    for name, broker in of_kind(layer, "RabbitmqCluster").items():
        # The cluster operator copies the resource's labels to its pods and adds its own.
        labels = {**broker["metadata"].get("labels", {}), "app.kubernetes.io/name": name,
                  "app.kubernetes.io/component": "rabbitmq"}
        pods[name] = Pod(name, NAMESPACE, labels, ((5671, "amqps"), (15671, "management-tls")))
    return pods


def elsewhere(namespace: str) -> Pod:
    return Pod(f"a pod in {namespace}", namespace, {"app": "anything"})


def policies(layer: str) -> list[dict]:
    return list(of_kind(layer, "NetworkPolicy").values())


def test_a_database_is_reachable_only_from_its_own_service_and_migration():
    pods, databases = certtrack_pods("ha"), operator_pods("ha")
    for service in SERVICES:
        database = databases[f"{service}-db"]
        reaching = {pod.name for pod in pods if admitted(policies("ha"), pod, database, 5432)}
        assert reaching == {service, f"migrate-{service}"} | DATABASE_READERS.get(service, set()), service
        assert not admitted(policies("ha"), elsewhere("default"), database, 5432)
        assert not admitted(policies("ha"), elsewhere("ingress-nginx"), database, 5432)
        # Its own instances replicate; the operator manages them.
        replica = Pod("replica", NAMESPACE, dict(database.labels))
        assert admitted(policies("ha"), replica, database, 5432)
        assert admitted(policies("ha"), elsewhere("cnpg-system"), database, 8000)


def test_the_broker_is_reachable_only_from_the_services_the_gateway_and_broker_users():
    pods, broker = certtrack_pods("ha"), operator_pods("ha")["rabbitmq"]
    reaching = {pod.name for pod in pods if admitted(policies("ha"), pod, broker, 5671)}
    assert reaching == BROKER_CLIENTS
    managing = {pod.name for pod in pods if admitted(policies("ha"), pod, broker, 15671)}
    assert managing == {"broker-users"}
    assert not admitted(policies("ha"), elsewhere("default"), broker, 5671)
    assert not admitted(policies("ha"), elsewhere("monitoring"), broker, 5671)
    assert admitted(policies("ha"), elsewhere("monitoring"), broker, 15692)


@pytest.mark.parametrize("layer", LAYERS)
def test_the_public_pods_are_reachable_from_the_ingress_controller_only(layer):
    pods = {pod.name: pod for pod in certtrack_pods(layer)}
    for public in ("gateway", "transcripts-web"):
        target = pods[public]
        assert admitted(policies(layer), elsewhere("ingress-nginx"), target, 8000)
        assert not admitted(policies(layer), elsewhere("default"), target, 8000)
        others = {pod.name for pod in pods.values() if admitted(policies(layer), pod, target, 8000)}
        assert others == set(), f"{public} is reachable from {others}"


@pytest.mark.parametrize("layer", LAYERS)
def test_the_services_accept_no_connection_but_prometheus(layer):
    pods = {pod.name: pod for pod in certtrack_pods(layer)}
    for service in SERVICES:
        for source in [*pods.values(), elsewhere("ingress-nginx"), elsewhere("default")]:
            assert not admitted(policies(layer), source, pods[service], 8000), (source.name, service)
        assert admitted(policies(layer), elsewhere("monitoring"), pods[service], 9100)


def test_every_network_policy_selects_pods_in_ha():
    pods = [*certtrack_pods("ha"), *operator_pods("ha").values()]
    for policy in policies("ha"):
        assert any(selects(policy["spec"]["podSelector"], pod.labels) for pod in pods), policy["metadata"]["name"]


@pytest.mark.parametrize("layer", LAYERS)
def test_a_pod_no_policy_names_accepts_no_connection(layer):
    """The namespace's default deny: a pod added later is closed until a policy opens it."""
    newcomer = Pod("newcomer", NAMESPACE, {"app.kubernetes.io/name": "newcomer"}, ((8080, "http"),))
    for source in [*certtrack_pods(layer), elsewhere("default"), elsewhere("ingress-nginx")]:
        assert not admitted(policies(layer), source, newcomer, 8080), source.name


# ------------------------------------------------------------------ metrics

PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"
IN_NAMESPACE = re.compile(rf"^([a-z0-9-]+)\.{NAMESPACE}\.svc\.cluster\.local$")


def scrape_targets() -> list[tuple[str, int]]:
    """(Service name, port) of every DNS name Prometheus' Kubernetes configuration scrapes."""
    targets = []
    for job in yaml.safe_load(PROMETHEUS.read_text())["scrape_configs"]:
        for discovery in job.get("dns_sd_configs", []):
            targets += [(IN_NAMESPACE.match(name).group(1), discovery["port"]) for name in discovery["names"]]
    return targets


@pytest.mark.parametrize("layer", LAYERS)
def test_prometheus_finds_every_replica_of_what_it_scrapes(layer):
    """Each scraped name is a headless Service (one DNS record per pod) whose pods open that port
    and whose processes serve metrics there; the broker's is the operator's `<cluster>-nodes`."""
    services = of_kind(layer, "Service")
    brokers = {f"{name}-nodes" for name in of_kind(layer, "RabbitmqCluster")}
    config = next(iter(of_kind(layer, "ConfigMap").values()))["data"]
    pods = certtrack_pods(layer)
    scraped = scrape_targets()
    assert scraped
    for name, port in scraped:
        if port == 15692:  # rabbitmq_prometheus, on the operator's headless Service of the nodes
            assert layer == "base" or name in brokers, name
            continue
        service = services.get(name)
        assert service is not None and service["spec"].get("clusterIP") == "None", f"{name} is not headless"
        assert port in {p["port"] for p in service["spec"]["ports"]}, name
        selected = [pod for pod in pods if service["spec"]["selector"].items() <= pod.labels.items()]
        assert selected and all((port, "metrics") in pod.ports for pod in selected), name
        assert config["METRICS_PORT"] == str(port) and config["METRICS_BIND"] == "0.0.0.0"
        assert all(admitted(policies(layer), elsewhere("monitoring"), pod, port) for pod in selected), name


@pytest.mark.parametrize("layer", LAYERS)
def test_no_metrics_port_is_on_the_public_site(layer):
    services = of_kind(layer, "Service")
    for ingress in of_kind(layer, "Ingress").values():
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                (port,) = [p for p in services[backend["name"]]["spec"]["ports"]
                           if p.get("name") == backend["port"].get("name")
                           or p["port"] == backend["port"].get("number")]
                assert port["port"] != 9100 and port.get("targetPort") != "metrics", backend
