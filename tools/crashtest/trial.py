"""One trial: a broker on a fresh data directory, producers and consumers, crashes at random
moments while they run, then a drain, one more restart and a final drain, and the verdict.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sinew import SinewError

from broker import BrokerFailure, BrokerProcess, partition_summary, scan_log, total_unsettled
from clients import BrokerLink, WorkContext, declare_all, run_all, wait_tasks
from consumers import build_consumers
from ledger import Ledger, Restart
from producers import build_producers
from verdict import judge

SMALL_SEGMENT_SETTINGS = [
    # The smallest values ConfigSchema accepts: segments roll and snapshots are taken often.
    "storage.segment_bytes=1048576",
    "storage.snapshot_interval_bytes=65536",
    # A small index window: backlogs outgrow it, so messages wait in the log past the index, are read back as
    # the window drains, and snapshots and restarts go through the log cursor.
    "storage.index_window=8",
]

READY_TIMEOUT = 60.0
KILL_TIMEOUT = 15.0
TERM_TIMEOUT = 40.0


@dataclass(frozen=True)
class TrialPlan:
    index: int
    seed: int
    signal: str
    """kill or term: how the broker is stopped between restarts."""
    small_segments: bool
    kills: int
    duration: float
    rate: float
    drain_quiet: float
    drain_limit: float

    @property
    def label(self) -> str:
        return f"trial {self.index:02d} (seed {self.seed}, SIG{self.signal.upper()}, " \
               f"{'small segments' if self.small_segments else 'default segments'}, {self.kills} kills)"


class TrialAborted(Exception):
    pass


class Trial:
    def __init__(self, plan: TrialPlan, dll: Path, directory: Path) -> None:
        self.plan = plan
        self.directory = directory
        self.data_dir = directory / "data"
        self.rng = random.Random(plan.seed)
        settings = list(SMALL_SEGMENT_SETTINGS) if plan.small_segments else []
        self.broker = BrokerProcess(dll, self.data_dir, directory, settings)
        self.ledger = Ledger(plan.index)
        self.link = BrokerLink()
        padding = (2000, 10_000) if plan.small_segments else (20, 400)
        self.context = WorkContext(plan.index, self.ledger, self.link, padding, plan.seed)
        self.problems: list[str] = []
        """Failures of the test run itself or of the broker's process (not of its data)."""
        self.drains: dict[str, dict[str, Any]] = {}
        self.final_incarnation: int | None = None
        self.final_stats: list[dict[str, Any]] | None = None
        self.wall_offset_start = time.time() - time.monotonic()

    @property
    def signal(self) -> signal.Signals:
        return signal.SIGKILL if self.plan.signal == "kill" else signal.SIGTERM

    async def run(self) -> dict[str, Any]:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(exist_ok=True)
        started = time.time()
        producers_tasks: list[asyncio.Task[None]] = []
        consumer_tasks: list[asyncio.Task[None]] = []
        # Everything below is bounded: the producers' phase, the drains and each broker start or
        # stop have limits of their own, and this one covers whatever they miss.
        limit = self.plan.duration + 2 * self.plan.drain_limit + (self.plan.kills + 3) * (READY_TIMEOUT + TERM_TIMEOUT) + 120
        try:
            async with asyncio.timeout(limit):
                await self.start_broker()
                try:
                    await declare_all(self.context)
                except (TimeoutError, SinewError) as error:
                    raise TrialAborted(f"declaring the queues failed: {error!r}") from error
                consumer_tasks = run_all(build_consumers(self.context))
                producers_tasks = run_all(build_producers(self.context, self.plan.rate, self.plan.duration))
                await self.crash_while_running()

                self.context.stop_producing.set()
                self.problems += await wait_tasks(producers_tasks, 60)
                self.ledger.enter("drain")
                if self.plan.kills > 0:
                    # Once more now that nothing new arrives: delayed messages still wait, and
                    # only the broker's timers can make them deliverable.
                    await self.restart("after producing")
                self.drains["drain"] = await self.drain("drain")

                await self.restart("after the drain")
                self.final_incarnation = self.broker.incarnation
                self.ledger.enter("final")
                self.drains["final"] = await self.drain("final")
                self.final_stats = await self.broker.queue_stats()

                self.context.stop_consuming.set()
                self.problems += await wait_tasks(consumer_tasks, 20)
                code = await self.broker.stop(signal.SIGTERM, TERM_TIMEOUT)
                if code != 0:
                    self.problems.append(f"the broker's last graceful stop exited with code {code}")
        except TimeoutError:
            self.problems.append(f"the trial did not finish within its limit of {limit:.0f} s")
        except (BrokerFailure, TrialAborted) as error:
            self.problems.append(str(error))
        finally:
            # On the way out after a failure or an interruption: the broker goes first, so that
            # the clients' goodbyes fail at once instead of waiting for an answer.
            await self.broker.kill_if_running()
            self.context.stop_producing.set()
            self.context.stop_consuming.set()
            for task in producers_tasks + consumer_tasks:
                task.cancel()
            if producers_tasks + consumer_tasks:
                await asyncio.wait(producers_tasks + consumer_tasks, timeout=10)
        self.problems += self.broker.unexpected_exits
        return self.verdict(started)

    async def start_broker(self) -> None:
        await self.broker.start(READY_TIMEOUT)
        assert self.broker.protocol is not None
        self.link.up(self.broker.protocol, self.broker.incarnation)

    async def restart(self, phase: str) -> None:
        """Stops the broker with the trial's signal and starts it again on the same data."""
        self.link.down()
        stopped_at = time.time()
        timeout = KILL_TIMEOUT if self.signal == signal.SIGKILL else TERM_TIMEOUT
        code = await self.broker.stop(self.signal, timeout)
        if self.signal == signal.SIGTERM and code != 0:
            self.problems.append(
                f"incarnation {self.broker.incarnation} exited with code {code} after SIGTERM")
        await asyncio.sleep(self.rng.uniform(0, 0.5))
        await self.start_broker()
        self.ledger.restarts.append(Restart(
            signal=self.signal.name, stopped_at=stopped_at, exit_code=code, ready_at=time.time(),
            incarnation=self.broker.incarnation, phase=phase))

    async def recover_from_unexpected_exit(self) -> None:
        await self.broker.note_unexpected_exit()
        self.link.down()
        self.ledger.restarts.append(Restart(
            signal="none (exited by itself)", stopped_at=time.time(), exit_code=None, ready_at=None,
            incarnation=self.broker.incarnation + 1, phase=self.ledger.phase))
        await self.start_broker()
        self.ledger.restarts[-1].ready_at = time.time()

    async def crash_while_running(self) -> None:
        """Lets the producers run for the trial's duration, stopping and restarting the broker
        at random moments in it (at least a second after the previous start each time)."""
        begin = time.monotonic()
        moments = sorted(self.rng.uniform(1.5, max(2.0, self.plan.duration - 1.0)) for _ in range(self.plan.kills))
        for moment in moments + [self.plan.duration]:
            while True:
                now = time.monotonic()
                if now >= begin + moment:
                    break
                await asyncio.sleep(min(0.1, begin + moment - now))
                if self.broker.exited_unexpectedly:
                    await self.recover_from_unexpected_exit()
            if moment != self.plan.duration:
                await self.restart("run")
                await asyncio.sleep(1.0)

    async def drain(self, phase: str) -> dict[str, Any]:
        """Keeps the consumers going until the broker holds nothing more (every queue reports
        no unsettled message, after the last delay has passed) or nothing has arrived for
        `drain_quiet` seconds past it; at most `drain_limit` seconds."""
        begin = time.time()
        outcome = "limit"
        stats: list[dict[str, Any]] | None = None
        while time.time() - begin < self.plan.drain_limit:
            await asyncio.sleep(0.5)
            if self.broker.exited_unexpectedly:
                await self.recover_from_unexpected_exit()
                continue
            now = time.time()
            past_due = now >= self.ledger.latest_due
            idle = now - max(self.ledger.last_delivery_at, begin)
            if past_due and idle >= 1.0:
                stats = await self.broker.queue_stats()
                if total_unsettled(stats) == 0:
                    outcome = "empty"
                    break
            if past_due and idle >= self.plan.drain_quiet:
                outcome = "quiet"
                break
        if stats is None or outcome == "limit":
            stats = await self.broker.queue_stats()
        return {
            "outcome": outcome,
            "seconds": round(time.time() - begin, 1),
            "unsettled": total_unsettled(stats),
            "holding": partition_summary(stats),
        }

    def verdict(self, started: float) -> dict[str, Any]:
        logs = [scan_log(path) for path in self.broker.log_paths]
        clock_step_ms = round(((time.time() - time.monotonic()) - self.wall_offset_start) * 1000, 1)
        result = judge(
            plan=self.plan,
            ledger=self.ledger,
            logs=logs,
            drains=self.drains,
            final_incarnation=self.final_incarnation,
            final_stats=self.final_stats,
            problems=self.problems,
        )
        result["seconds"] = round(time.time() - started, 1)
        result["clock_step_ms"] = clock_step_ms
        result["client_connect_failures"] = self.context.connect_failures
        result["connection_losses"] = self.ledger.connection_losses
        result["notes"] = self.ledger.notes
        self.ledger.dump(self.directory)
        (self.directory / "result.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
        return result

    def discard_data(self) -> None:
        shutil.rmtree(self.data_dir, ignore_errors=True)
