"""Root conftest: the shared test harness (tests/harness) for every run, and
the `unit` / `container` markers.

Every test is marked, without anyone writing a marker: `container` when it
needs a broker — it uses a fixture of `BROKER_FIXTURES` (a Nameko container
or runner, a vhost, a service config with an AMQP URI, the whole stack), or
is marked so by hand because it makes its own vhost — and `unit` otherwise
(rules on a session or fakes, the gateway with fake services: no broker, no
container). `-m unit` runs only the fast ones, in either suite:

    nameko test lib services -m unit
    pytest gateway tests -p no:pytest_nameko -m unit
"""
# pytest's importlib mode names gateway/tests/test_x.py `gateway.tests.test_x`
# and would register the folder gateway/ as a stand-in package `gateway`,
# hiding the real gateway/gateway. Importing the real package first keeps it.
import gateway  # noqa: F401
import pytest

pytest_plugins = ["tests.harness.plugin"]

# Fixtures that mean a broker or started processes (directly or through the fixtures they use):
# nameko's own, the harness's (tests/harness/plugin.py) and the stacks'.
BROKER_FIXTURES = frozenset({
    "container_factory", "runner_factory", "rabbit_config", "rabbit_manager", "web_config",
    "amqp_uri", "vhost", "service_config", "private_service_config", "private_sample",
    "broker", "stack", "run_stack", "fault_node", "fault_stack",
})


def pytest_configure(config):
    config.addinivalue_line("markers", "unit: needs no broker and no container (marked by the root conftest)")
    config.addinivalue_line("markers", "container: needs a broker: a Nameko container, a vhost or the stack "
                                       "(marked by the root conftest from the fixtures used)")


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("container") or item.get_closest_marker("unit"):
            continue
        needs_broker = not BROKER_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))
        item.add_marker(pytest.mark.container if needs_broker else pytest.mark.unit)
