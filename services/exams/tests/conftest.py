"""Every exams test gets a vhost and database of its own: exams publishes a
`candidate_reported` for each result, and a flood of those left queued on a
shared vhost would reach the identity tests that run after."""
import pytest


@pytest.fixture
def exams_config(private_service_config):
    return private_service_config("exams")


@pytest.fixture
def amqp_uri(exams_config):
    return exams_config["AMQP_URI"]
