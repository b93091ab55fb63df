"""Root conftest: the shared test harness (tests/harness) for every run."""
# pytest's importlib mode names gateway/tests/test_x.py `gateway.tests.test_x`
# and would register the folder gateway/ as a stand-in package `gateway`,
# hiding the real gateway/gateway. Importing the real package first keeps it.
import gateway  # noqa: F401

pytest_plugins = ["tests.harness.plugin"]
