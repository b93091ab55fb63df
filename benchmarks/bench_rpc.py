"""How much the gateway's RPC pool saves: round trips through the pooled
client versus a fresh ClusterRpcProxy per call (connection + reply queue
each time), against a running Nameko service's `health()`.

    python benchmarks/bench_rpc.py --spawn              # starts its own probe service
    python benchmarks/bench_rpc.py --service identity   # a service that is already running

Prints figures only; it asserts nothing.
"""
from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

# The gateway's package and its probe service (gateway/probe_service.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "gateway"))

from certtrack_shared.config import amqp_uri  # noqa: E402
from kombu import Connection, Queue  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from gateway.rpc import RpcPool  # noqa: E402
from probe_service import SERVICE_NAME as PROBE, running_probe  # noqa: E402


def main() -> None:
    options = _arguments()
    # amqp warns about a late confirm on every UnknownService while the
    # spawned probe starts; that is expected here and only hides the figures.
    logging.getLogger("amqp").setLevel(logging.ERROR)
    service = options.service or (PROBE if options.spawn else "identity")
    if options.spawn and service != PROBE:
        sys.exit(f"--spawn starts the '{PROBE}' service; drop --service or use --service {PROBE}")

    with running_probe(options.amqp_uri) if options.spawn else nullcontext():
        pool = RpcPool(options.amqp_uri, size=options.threads, timeout=options.timeout)
        try:
            for _ in range(10):  # warm up: connections open, service workers ready
                pool.call(service, "health")
            pooled = _measure(lambda: pool.call(service, "health"), options.calls, options.threads)
        finally:
            pool.close()
        reply_queues: list[str] = []
        fresh = _measure(lambda: _fresh_call(options, service, reply_queues), options.calls, options.threads)
        # Each fresh proxy leaves its reply queue for the broker's 5-minute TTL; tidy up.
        _delete_queues(options.amqp_uri, reply_queues)
    if options.spawn:
        _delete_queues(options.amqp_uri, [f"rpc-{PROBE}"])  # the probe's durable request queue

    print(f"RPC round trip: {service}.health(), {options.calls} calls, {options.threads} thread(s)")
    print(f"  {'':<28}{'calls/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for label, figures in (("pooled proxies (RpcPool)", pooled), ("fresh ClusterRpcProxy/call", fresh)):
        print(f"  {label:<28}{figures['rate']:>10.0f}{figures['p50']:>10.2f}{figures['p99']:>10.2f}")
    print(f"  pooled is {pooled['rate'] / fresh['rate']:.1f}x the throughput, "
          f"p50 {fresh['p50'] / pooled['p50']:.1f}x lower")


def _fresh_call(options, service: str, reply_queues: list[str]) -> None:
    standalone = ClusterRpcProxy({"AMQP_URI": options.amqp_uri}, timeout=options.timeout)
    with standalone as cluster:
        cluster[service].health()
    reply_queues.append(standalone._reply_listener.queue.name)


def _measure(call, calls: int, threads: int) -> dict:
    def timed(_):
        started = time.perf_counter()
        call()
        return (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as executor:
        latencies = sorted(executor.map(timed, range(calls)))
    elapsed = time.perf_counter() - started
    percentiles = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"rate": calls / elapsed, "p50": percentiles[49], "p99": percentiles[98]}


def _delete_queues(uri: str, names: list[str]) -> None:
    with Connection(uri) as connection:
        channel = connection.channel()
        for name in names:
            Queue(name).bind(channel).delete()


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--amqp-uri", default=amqp_uri(), help="broker (default: AMQP_URI or the local one)")
    parser.add_argument("--service", help=f"service to call health() on (default: {PROBE} with --spawn, else identity)")
    parser.add_argument("--calls", type=int, default=500, help="calls per variant (default 500)")
    parser.add_argument("--threads", type=int, default=1, help="concurrent callers; also the pool size (default 1)")
    parser.add_argument("--timeout", type=float, default=10.0, help="RPC timeout, seconds (default 10)")
    parser.add_argument("--spawn", action="store_true", help=f"start a '{PROBE}' Nameko service for the run")
    return parser.parse_args()


if __name__ == "__main__":
    main()
