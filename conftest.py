"""Root conftest: the shared test harness (tests/harness) for every run."""
pytest_plugins = ["tests.harness.plugin"]
