"""The infrastructure of a developer's machine that `make run` and `make test`
need: RabbitMQ, PostgreSQL and Redis, already running, installed from Debian's
packages (scripts/ensure_infra.sh) or run as throwaway containers through a
Docker engine for as long as the command runs (decision 0032).

choice.py decides from facts alone, probes.py reads the facts off the machine,
containers.py describes the containers as data and engine.py is the only code
that speaks to a Docker engine; `python -m deploy.local_infra -- COMMAND`
puts them together around a command.
"""
