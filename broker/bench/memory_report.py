#!/usr/bin/env python3
"""Measures the broker's memory and speed with sinew-bench and writes the results as a Markdown page part.

The benchmarks page includes what this writes; its figures are never typed by hand. It runs, one after the
other on the same machine, for the broker under test (and, with --baseline-dll, for another build to compare
with): the backlog mode with each --messages count, the idle-queues and connections modes, and the throughput
phases with --runs 3. Every command it runs is listed on the page it writes.

    dotnet build broker/bench/Sinew.Bench -c Release
    python3 broker/bench/memory_report.py --out docs-site/docs/benchmarks/_memory.md [--baseline-dll PATH]
"""
import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "broker/bench/Sinew.Bench/bin/Release/net10.0/sinew-bench.dll"
TIMEOUT_SECONDS = 3600


def run(arguments, broker_dll):
    """Runs sinew-bench and returns the JSON summary it prints last."""
    environment = dict(os.environ)
    if broker_dll:
        environment["SINEW_BROKER_DLL"] = str(broker_dll)
    else:
        environment.pop("SINEW_BROKER_DLL", None)
    command = ["dotnet", str(BENCH.relative_to(ROOT)), *arguments]
    print("$ " + " ".join(command), file=sys.stderr, flush=True)
    finished = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    sys.stderr.write(finished.stdout)
    if finished.returncode != 0:
        sys.stderr.write(finished.stderr)
        raise SystemExit(f"sinew-bench failed ({finished.returncode}): {' '.join(command)}")
    lines = [line for line in finished.stdout.splitlines() if line.startswith("{")]
    return " ".join(["sinew-bench", *arguments]), json.loads(lines[-1])


def mb(value):
    return "n/a" if value is None else f"{value / (1024 * 1024):.0f} MB"


def kb(value):
    return "n/a" if value is None else f"{value / 1024:.1f} KB"


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    return f"{os.cpu_count()} vCPUs ({cpu}), {memory / (1024 * 1024):.0f} GiB of memory, Linux {platform.release()}"


def measure(label, dll, messages, queues, connections):
    results = {"label": label, "backlog": [], "commands": []}
    for count in messages:
        command, summary = run(["--mode", "backlog", "--messages", str(count), "--client", "raw"], dll)
        results["backlog"].append(summary)
        results["commands"].append(command)
    command, results["idle"] = run(["--mode", "idle-queues", "--queues", str(queues)], dll)
    results["commands"].append(command)
    command, results["connections"] = run(["--mode", "connections", "--connections", str(connections)], dll)
    results["commands"].append(command)
    return results


def page(measured):
    out = ["### Memory and speed, measured by `broker/bench/memory_report.py`", "",
           f"**Machine:** {machine()}. The benchmark and the broker share the cores, and the machine is a shared,",
           "noisy virtual machine: throughput figures vary by a fifth or more from one run to the next.", "",
           "Commands run for the build under test (a baseline build is measured with the same commands and",
           "`SINEW_BROKER_DLL` naming its `sinew-broker.dll`, its backlog with the first size only; the throughput",
           "runs of the builds come back to back, after the memory modes):", "", "```sh"]
    out += measured[-1]["commands"]
    out += ["```", "",
            "Backlog: N messages of 1 KiB published (confirmed) into a queue of 4 partitions with no consumer; the",
            "broker's resident memory (RSS) 15 s later, then after a graceful restart on the same data once every",
            "partition is verified, then the queue drained by 4 consumers, and what is left counted.", "",
            "| build | backlog | RSS with the backlog waiting | RSS after a restart | verification at start | publish-confirmed | drain | left |",
            "|---|---|---|---|---|---|---|---|"]
    for m in measured:
        for b in m["backlog"]:
            out.append(f"| {m['label']} | {b['workload']['Messages']:,} | {mb(b['broker_rss_after_publish_bytes'])} "
                       f"| {mb(b['broker_rss_after_restart_bytes'])} | {b['recovery_seconds']} s "
                       f"| {b['publish_confirmed_per_second']:,.0f} msg/s | {b['drain_per_second']:,.0f} msg/s | {b['left_after_drain']} |")
    out += ["", "| build | per idle queue (one partition, used once) | per idle connection | RSS with the connections open | RSS 15 s after they closed |",
            "|---|---|---|---|---|"]
    for m in measured:
        i, c = m["idle"], m["connections"]
        out.append(f"| {m['label']} | {kb(i['bytes_per_idle_queue'])} ({i['queues']:,} queues) | {kb(c['bytes_per_connection'])} "
                   f"({c['connections']:,} connections) | {mb(c['broker_rss_open_bytes'])} | {mb(c['broker_rss_after_close_bytes'])} |")
    out += ["", "Throughput, the default workload of the table above (C# client), median of three runs:", "",
            "| build | publish-confirmed | drain | concurrent end-to-end | p50 / p99 at 5k msg/s | broker peak RSS |",
            "|---|---|---|---|---|---|"]
    for m in measured:
        t = m["throughput"]
        out.append(f"| {m['label']} | {t['publish_confirmed_per_second']:,.0f} msg/s | {t['drain_per_second']:,.0f} msg/s "
                   f"| {t['concurrent_per_second']:,.0f} msg/s | {t['latency_p50_ms']:.2f} / {t['latency_p99_ms']:.2f} ms "
                   f"| {mb(t['broker_peak_rss_bytes'])} |")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path, help="the Markdown file to write")
    parser.add_argument("--baseline-dll", type=Path, help="another sinew-broker.dll to measure first, for comparison")
    parser.add_argument("--baseline-label", default="baseline", help="its name in the tables")
    parser.add_argument("--label", default="this build", help="the name of the broker under test in the tables")
    parser.add_argument("--messages", default="1000000,5000000", help="backlog sizes, comma-separated")
    parser.add_argument("--queues", type=int, default=10000)
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    messages = [int(m) for m in arguments.messages.split(",")]
    builds = [(arguments.label, None, messages)]
    if arguments.baseline_dll:
        builds.insert(0, (arguments.baseline_label, arguments.baseline_dll.resolve(), messages[:1]))
    measured = [measure(label, dll, counts, arguments.queues, arguments.connections) for label, dll, counts in builds]

    # The throughput runs of the builds back to back, so they see the machine in the same state.
    for m, (_, dll, _) in zip(measured, builds):
        command, m["throughput"] = run(["--runs", str(arguments.runs)], dll)
        m["commands"].append(command)
    arguments.out.write_text(page(measured))
    print(f"wrote {arguments.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
