"""Crash test for the Sinew broker: runs trials in which producers and consumers work while
the broker is killed and restarted on the same data, then checks that every confirmed message
was delivered (or dead-lettered for a reason), never before its time, and not only after a
further restart. See README.md beside this file.

    .venv/bin/python tools/crashtest --trials 20

Exit code: 0 when every must-be-zero figure of every trial is zero, 1 otherwise, 2 for bad
arguments or a missing broker build.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from broker import kill_all
from trial import Trial, TrialPlan
from verdict import DESCRIPTIONS, MUST_BE_ZERO

REPO = Path(__file__).resolve().parents[2]


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="crashtest",
        description="Kill and restart the broker under load and check what it promised.",
    )
    parser.add_argument("--trials", type=int, default=4, help="number of trials (default: 4)")
    parser.add_argument("--seed", type=int, default=None,
                        help="base seed; trial i uses seed+i (default: from the clock, printed)")
    parser.add_argument("--kills-per-trial", type=int, default=3,
                        help="broker restarts while producers run, per trial (default: 3)")
    parser.add_argument("--signal", choices=("kill", "term", "mix"), default="kill",
                        help="how the broker is stopped: SIGKILL, SIGTERM, or mix (every fourth "
                             "trial SIGTERM) (default: kill)")
    segments = parser.add_mutually_exclusive_group()
    segments.add_argument("--small-segments", dest="segments", action="store_const", const="small",
                          help="every trial with the smallest segments and snapshot interval")
    segments.add_argument("--default-segments", dest="segments", action="store_const", const="default",
                          help="every trial with the broker's default storage settings")
    parser.set_defaults(segments="mix")
    parser.add_argument("--duration", type=float, default=20.0,
                        help="seconds of producing per trial (default: 20)")
    parser.add_argument("--rate", type=float, default=100.0,
                        help="messages per second over the steady producers; the rushes of "
                             "delayed messages scale with it (default: 100)")
    parser.add_argument("--drain-quiet", type=float, default=10.0,
                        help="a drain ends after this many seconds without a delivery once every "
                             "delay has passed (default: 10)")
    parser.add_argument("--drain-limit", type=float, default=120.0,
                        help="longest a drain may take, in seconds (default: 120)")
    parser.add_argument("--broker-dll", type=Path, default=None,
                        help="the broker to test (default: the Release build under "
                             "broker/src/Sinew.Broker.Host/bin/)")
    parser.add_argument("--out", type=Path, default=None,
                        help="where logs, ledgers and reports go (default: artifacts/crashtest/<time>)")
    parser.add_argument("--keep-data", action="store_true",
                        help="keep the broker's data directory of passing trials too "
                             "(failing trials always keep theirs)")
    arguments = parser.parse_args(argv)
    if arguments.trials < 1 or arguments.kills_per_trial < 0 or arguments.duration < 3:
        parser.error("--trials must be at least 1, --kills-per-trial at least 0, --duration at least 3")
    return arguments


def find_broker(explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit.resolve() if explicit.is_file() else None
    builds = sorted((REPO / "broker/src/Sinew.Broker.Host/bin/Release").glob("*/sinew-broker.dll"))
    return builds[-1] if builds else None


def plan_trials(arguments: argparse.Namespace, seed: int) -> list[TrialPlan]:
    plans = []
    for index in range(1, arguments.trials + 1):
        if arguments.signal == "mix":
            chosen = "term" if index % 4 == 0 else "kill"
        else:
            chosen = arguments.signal
        # The mix alternates, and shifts by one every fourth trial so that SIGTERM trials get
        # both storage settings too.
        small = {"small": True, "default": False}.get(arguments.segments, (index + index // 4) % 2 == 1)
        plans.append(TrialPlan(
            index=index, seed=seed + index, signal=chosen, small_segments=small,
            kills=arguments.kills_per_trial, duration=arguments.duration, rate=arguments.rate,
            drain_quiet=arguments.drain_quiet, drain_limit=arguments.drain_limit,
        ))
    return plans


async def run(arguments: argparse.Namespace, dll: Path, out: Path, seed: int) -> list[dict[str, Any]]:
    results = []
    for plan in plan_trials(arguments, seed):
        print(f"{plan.label} ...", flush=True)
        trial = Trial(plan, dll, out / f"trial-{plan.index:02d}")
        result = await trial.run()
        if result["passed"] and not arguments.keep_data:
            trial.discard_data()
        results.append(result)
        print("  " + trial_line(result), flush=True)
    return results


def trial_line(result: dict[str, Any]) -> str:
    info = result["info"]
    bad = {name: count for name, count in result["figures"].items() if count}
    verdict = "PASS" if result["passed"] else "FAIL " + ", ".join(f"{k}={v}" for k, v in bad.items())
    drains = ", ".join(f"{name} {d['outcome']}" + (f" ({d['unsettled']} unsettled)" if d["unsettled"] else "")
                       for name, d in info["drains"].items())
    return (f"{info['sent']} sent, {info['confirmed']} confirmed, {info['deliveries']} deliveries, "
            f"{info['expired']} expired, {len(info['restarts'])} restarts, drains: {drains or 'none'}, "
            f"{result['seconds']} s: {verdict}")


def totals(results: list[dict[str, Any]]) -> dict[str, Any]:
    figures: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    attempts: Counter[int] = Counter()
    for result in results:
        figures.update(result["figures"])
        info = result["info"]
        for name in ("sent", "confirmed", "unconfirmed", "unconfirmed_but_delivered", "deliveries", "expired",
                     "ids_acked_more_than_once", "redeliveries_not_asked_for",
                     "attempt_not_increased_on_redelivery", "deliveries_past_max_retries",
                     "idempotent_resent", "idempotent_duplicate_receipts", "broker_warnings"):
            counts[name] += info[name]
        counts["restarts"] += len(info["restarts"])
        for per_queue in info["attempts"].values():
            attempts.update({int(k): v for k, v in per_queue.items()})
    errors: Counter[str] = Counter()
    for result in results:
        errors.update(result["info"]["broker_error_kinds"])
    return {
        "trials": len(results),
        "failed_trials": sum(1 for r in results if not r["passed"]),
        "broker_error_kinds": dict(errors.most_common()),
        "figures": {name: figures[name] for name in MUST_BE_ZERO},
        "counts": dict(counts),
        "attempts": dict(sorted(attempts.items())),
    }


def summary_text(results: list[dict[str, Any]], seed: int, out: Path, dll: Path) -> str:
    lines = [f"Sinew crash test: {len(results)} trial(s), seed {seed}, broker {dll}", ""]
    for result in results:
        lines.append(f"trial {result['trial']:02d} SIG{result['signal'].upper():4} "
                     f"{'small' if result['small_segments'] else 'default'} segments: {trial_line(result)}")
    groups: dict[str, list[dict[str, Any]]] = {"all": results}
    for name in ("kill", "term"):
        chosen = [r for r in results if r["signal"] == name]
        if chosen and len(chosen) != len(results):
            groups[f"SIG{name.upper()}"] = chosen
    for label, chosen in groups.items():
        total = totals(chosen)
        lines += ["", f"Totals ({label}: {total['trials']} trials, {total['failed_trials']} failed)"]
        for name, count in total["figures"].items():
            lines.append(f"  {name:26} {count:6}  {'ok' if count == 0 else 'MUST BE 0'}  {DESCRIPTIONS[name]}")
        counts = total["counts"]
        lines.append(f"  sent {counts['sent']}, confirmed {counts['confirmed']}, unconfirmed {counts['unconfirmed']} "
                     f"({counts['unconfirmed_but_delivered']} of them delivered anyway), deliveries {counts['deliveries']}, "
                     f"expired {counts['expired']}, restarts {counts['restarts']}")
        lines.append(f"  duplicates: {counts['ids_acked_more_than_once']} ids acked more than once, "
                     f"{counts['redeliveries_not_asked_for']} redeliveries not asked for; attempt not increased on "
                     f"redelivery {counts['attempt_not_increased_on_redelivery']}; deliveries past max_retries+1 "
                     f"{counts['deliveries_past_max_retries']}")
        lines.append(f"  idempotent: {counts['idempotent_resent']} re-sent, {counts['idempotent_duplicate_receipts']} "
                     f"answered as duplicates; broker warnings {counts['broker_warnings']}")
        lines.append(f"  attempts seen: {total['attempts']}")
        for kind, count in total["broker_error_kinds"].items():
            lines.append(f"  broker error x{count}: {kind}")
    evidence = [(r, name, entries) for r in results for name, entries in r["evidence"].items()]
    if evidence:
        lines += ["", "Evidence (first examples per trial; all of it in each trial's result.json):"]
    for result, name, entries in evidence:
        lines.append(f"  trial {result['trial']:02d} {name} ({result['figures'][name]}):")
        for entry in entries[:5]:
            lines.append("    " + json.dumps(entry, separators=(",", ":"))[:700])
    clock = [r for r in results if abs(r["clock_step_ms"]) > 50]
    if clock:
        lines += ["", "Warning: the wall clock moved against the monotonic clock by more than 50 ms in trials "
                  + ", ".join(f"{r['trial']} ({r['clock_step_ms']} ms)" for r in clock)
                  + "; time-based findings there need a second look."]
    lines += ["", f"Reports, ledgers and broker logs: {out}"]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    found = find_broker(arguments.broker_dll)
    if found is None:
        print("crashtest: no broker build found; build it with\n"
              "  dotnet build broker/src/Sinew.Broker.Host -c Release\n"
              "or name one with --broker-dll", file=sys.stderr)
        return 2
    dll = found
    seed = arguments.seed if arguments.seed is not None else random.SystemRandom().randrange(1, 10**6) * 1000
    out = (arguments.out or REPO / "artifacts" / "crashtest" / time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())).resolve()
    out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=out / "clients.log", level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    print(f"crashtest: seed {seed}, broker {dll}, output {out}", flush=True)

    async def guarded() -> list[dict[str, Any]]:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        return await run(arguments, dll, out, seed)

    try:
        results = asyncio.run(guarded())
    except (KeyboardInterrupt, asyncio.CancelledError):
        kill_all()
        print("crashtest: interrupted; brokers stopped", file=sys.stderr)
        return 130
    finally:
        kill_all()

    report = {
        "seed": seed,
        "broker": str(dll),
        "arguments": {k: str(v) if isinstance(v, Path) else v for k, v in vars(arguments).items()},
        "must_be_zero": list(MUST_BE_ZERO),
        "descriptions": DESCRIPTIONS,
        "totals": totals(results),
        "totals_by_signal": {name: totals([r for r in results if r["signal"] == name])
                             for name in ("kill", "term") if any(r["signal"] == name for r in results)},
        "trials": results,
    }
    (out / "summary.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    text = summary_text(results, seed, out, dll)
    (out / "summary.txt").write_text(text + "\n", encoding="utf-8")
    print()
    print(text)
    return 0 if all(r["passed"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
