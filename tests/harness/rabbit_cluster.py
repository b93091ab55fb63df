"""A RabbitMQ cluster of private nodes on this machine, beside the machine's own node.

Each node is a `RabbitNode` (rabbit_node.py: its own name, ports, data, logs
and configuration in a folder of its own) that also shares one Erlang cookie
with the others and names them all as its peers (classic config peer
discovery), so the nodes started together form one cluster. The machine's
node has another cookie: nothing here can reach it, nor it them.

Quorum queues take their members from the nodes clustered when each queue is
declared, so `start()` returns only once every node sees all the others;
the definitions (users and permissions) are loaded at boot, the topology is
declared afterwards by the caller.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.harness.rabbit_node import SERVER, RabbitNode

CTL = SERVER.parent / "rabbitmqctl"
CLUSTER_TIMEOUT_SECONDS = 120


class ClusterNode(RabbitNode):
    def __init__(self, folder: Path, nodename: str, peers: list[str], cookie: str,
                 definitions: dict | None):
        super().__init__(folder, definitions)
        self.nodename = nodename
        self.peers = peers
        self.cookie = cookie

    def _write_files(self) -> None:
        super()._write_files()
        cookie = self.folder / "home" / ".erlang.cookie"
        if not cookie.exists():
            cookie.write_text(self.cookie)
            cookie.chmod(0o400)
        with (self.folder / "rabbitmq.conf").open("a") as conf:
            conf.write("cluster_formation.peer_discovery_backend = classic_config\n")
            for number, peer in enumerate(self.peers, start=1):
                conf.write(f"cluster_formation.classic_config.nodes.{number} = {peer}\n")

    def ctl(self, *args: str, timeout: float = 60) -> str:
        """`rabbitmqctl -n <this node> …`, with this node's cookie."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        env.update(HOME=str(self.folder / "home"), ERL_EPMD_ADDRESS="127.0.0.1")
        done = subprocess.run([str(CTL), "-n", self.nodename, *args], env=env, capture_output=True,
                              text=True, timeout=timeout)
        if done.returncode:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} on {self.nodename}: "
                               f"{done.stdout[-500:]} {done.stderr[-1000:]}")
        return done.stdout


class RabbitCluster:
    def __init__(self, folder: Path, size: int = 3, definitions: dict | None = None):
        tag = uuid.uuid4().hex[:6]
        names = [f"certtrack-cluster-{tag}-{n}@localhost" for n in range(1, size + 1)]
        cookie = secrets.token_hex(16)
        self.nodes = [ClusterNode(Path(folder) / f"node{n}", name, names, cookie, definitions)
                      for n, name in enumerate(names, start=1)]

    def failover_uri(self, user: str = "guest", password: str = "guest", first=None) -> str:
        """Every node's address as kombu's failover list, `first`'s at the head."""
        ordered = sorted(self.nodes, key=lambda node: node is not first)
        return ";".join(node.uri_as(user, password) for node in ordered)

    def node(self, nodename: str) -> ClusterNode:
        return next(node for node in self.nodes if node.nodename == nodename)

    def running(self) -> list[ClusterNode]:
        return [node for node in self.nodes if node.process is not None]

    def start(self) -> "RabbitCluster":
        try:
            with ThreadPoolExecutor(len(self.nodes)) as pool:
                list(pool.map(lambda node: node.start(), self.nodes))
            self._wait_clustered()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_clustered(self) -> None:
        deadline = time.monotonic() + CLUSTER_TIMEOUT_SECONDS
        wanted = sorted(node.nodename for node in self.nodes)
        while True:
            status = json.loads(self.nodes[0].ctl("cluster_status", "--formatter", "json"))
            if sorted(status.get("running_nodes", [])) == wanted:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the nodes did not form one cluster in {CLUSTER_TIMEOUT_SECONDS}s: "
                                   f"{status}\n{self.nodes[0].log_tail()}")
            time.sleep(1)

    def leaders(self, *queues: str) -> dict[str, str]:
        """The node leading each quorum queue (vhost /), asked of a running node."""
        out = self.running()[0].ctl("list_queues", "name", "leader", "--formatter", "json",
                                    "--quiet")
        found = {row["name"]: row["leader"] for row in json.loads(out)}
        return {queue: found[queue] for queue in queues}

    def stop(self) -> None:
        """Every node killed: its data goes with the test's folder, and a
        graceful shutdown of every quorum queue would only add half a minute."""
        for node in self.running():
            try:
                os.killpg(node.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            list(pool.map(lambda node: node.stop(), self.nodes))
