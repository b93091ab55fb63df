"""Test harness shared by every test run: a private RabbitMQ vhost, private
databases, a real SMTP server. Loaded as a pytest plugin by the root conftest."""
