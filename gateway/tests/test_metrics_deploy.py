"""deploy/prometheus and deploy/grafana against the code (issue 17, item 3):
promtool checks the scrape configurations and rules and runs the rules' unit
tests (each alert fires on the series that should raise it, and only then);
every series an alert or a panel reads is one that CertTrack or RabbitMQ
exports; every series CertTrack exports has a panel; every alert has its
section in docs/alerts.md.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import prometheus_client
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

import gateway.metrics  # noqa: F401 - registers the gateway's series
from certtrack_shared.metrics.series import REGISTRY as SERVICE_REGISTRY
from tests.harness.broker import MANAGEMENT

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
DASHBOARD = ROOT / "deploy" / "grafana" / "certtrack.json"
ALERTS_DOC = ROOT / "docs" / "alerts.md"
RABBIT_PROMETHEUS = f"http://{MANAGEMENT.split('@')[-1].split(':')[0]}:15692"
# Names in an expression that are not series: PromQL's functions, keywords and our label names.
SERIES = re.compile(r"\b((?:certtrack|rabbitmq)_[a-z_]+|up)\b(?!\s*\()")


def promtool(*args: str) -> str:
    tool = shutil.which("promtool")
    assert tool, "promtool is missing: `make infra` (as root) installs it from Debian's prometheus package"
    done = subprocess.run([tool, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def sample_names(families) -> set[str]:
    """The names a scrape shows: a counter's `_total`, a histogram's `_bucket`, `_sum`, `_count`."""
    names = set()
    for family in families:
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}.get(
            family.type, ("",))
        names.update(family.name + suffix for suffix in suffixes)
    return names


def certtrack_series() -> set[str]:
    families = list(SERVICE_REGISTRY.collect()) + list(prometheus_client.REGISTRY.collect())
    return {name for name in sample_names(families) if name.startswith("certtrack_")}


def rabbitmq_series() -> set[str]:
    url = f"{RABBIT_PROMETHEUS}/metrics/detailed?family=queue_coarse_metrics&family=queue_consumer_count"
    with urllib.request.urlopen(url, timeout=10) as response:
        return sample_names(text_string_to_metric_families(response.read().decode()))


def alert_rules() -> list[dict]:
    document = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", ())]


@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus-local.yml"])
def test_promtool_accepts_the_scrape_configuration(config):
    assert "SUCCESS" in promtool("check", "config", config)


def test_each_alert_fires_on_its_series_and_stays_quiet_otherwise():
    promtool("check", "rules", "alerts.yml")
    assert "SUCCESS" in promtool("test", "rules", "alerts.test.yml")


def test_alerts_and_panels_read_only_series_that_are_exported():
    exported = certtrack_series() | rabbitmq_series() | {"up"}
    for rule in alert_rules():
        named = set(SERIES.findall(rule["expr"]))
        assert named, f"{rule['alert']} reads no series"
        assert named <= exported, f"{rule['alert']} reads {named - exported}, which nothing exports"
    for expression in dashboard_expressions():
        named = set(SERIES.findall(expression))
        assert named and named <= exported, f"panel query {expression!r} reads {named - exported}"


def test_every_certtrack_series_has_a_panel():
    read = {name for expression in dashboard_expressions() for name in SERIES.findall(expression)}
    exported = certtrack_series()
    # A histogram is shown through its buckets or count; a panel need not show both.
    shown = {name.rsplit("_", 1)[0] for name in read if name.endswith(("_bucket", "_count", "_sum"))}
    missing = {name for name in exported
               if name not in read and name.rsplit("_", 1)[0] not in shown}
    assert not missing, f"no panel reads {sorted(missing)}"


def test_dashboard_is_one_grafana_document_on_a_chosen_datasource():
    dashboard = json.loads(DASHBOARD.read_text())
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert any(variable["type"] == "datasource" for variable in dashboard["templating"]["list"])
    for panel in dashboard["panels"]:
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        for target in panel.get("targets", ()):
            assert target["datasource"]["uid"] == "${datasource}"


def test_every_alert_says_in_docs_what_to_do():
    sections = {line[4:].strip().lower() for line in ALERTS_DOC.read_text().splitlines()
                if line.startswith("### ")}
    for rule in alert_rules():
        assert rule["alert"].lower() in sections, f"docs/alerts.md has no section for {rule['alert']}"
        assert rule["annotations"]["runbook_url"] == f"docs/alerts.md#{rule['alert'].lower()}"
