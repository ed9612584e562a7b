"""The checks: from the ledger of one trial, what was lost, stuck, early, duplicated or
otherwise wrong, with the evidence for each finding.

A message is *done* once a consumer acknowledged it on its queue (an ack that reached the
broker, confirmed or not) or its copy arrived in the dead-letter queue. Duplicates are allowed
(delivery is at least once); the figures in MUST_BE_ZERO are not.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from broker import LogScan, error_kind, partition_summary
from clients import DEAD, MAX_RETRIES
from ledger import Ledger, Seen, Sent, iso

if TYPE_CHECKING:
    from trial import TrialPlan

MUST_BE_ZERO = (
    "lost",
    "vanished",
    "stuck",
    "early",
    "early_retry",
    "expired_early",
    "acked_then_redelivered",
    "stored_twice",
    "offset_mismatch",
    "unexplained_dead_letters",
    "unknown_deliveries",
    "unsettled_at_end",
    "broker_errors",
    "test_problems",
)

DESCRIPTIONS = {
    "lost": "confirmed, never delivered and never dead-lettered",
    "vanished": "confirmed and delivered, then neither acknowledged nor dead-lettered",
    "stuck": "confirmed, done only after the final restart",
    "early": "delivered before its not-before time",
    "early_retry": "redelivered before the delay of a confirmed retry_after",
    "expired_early": "dead-lettered as expired before its TTL ran out",
    "acked_then_redelivered": "delivered again after its ack was confirmed",
    "stored_twice": "delivered from two different offsets",
    "offset_mismatch": "delivered or dead-lettered from another place than its receipt said",
    "unexplained_dead_letters": "dead-lettered for a reason the test never gave it",
    "unknown_deliveries": "deliveries whose payload is no message of this trial",
    "unsettled_at_end": "messages the broker still held after the final drain",
    "broker_errors": "error or critical lines in the broker's log",
    "test_problems": "the trial could not run as planned (broker did not start/stop, client hung)",
}

# The clocks of the client and broker are the same clock; this only absorbs rounding.
TOLERANCE_MS = 5
EXAMPLES = 25


def judge(*, plan: TrialPlan, ledger: Ledger, logs: list[LogScan], drains: dict[str, dict[str, Any]],
          final_incarnation: int | None, final_stats: list[dict[str, Any]] | None,
          problems: list[str]) -> dict[str, Any]:
    own: dict[str, list[Seen]] = defaultdict(list)
    dead: dict[str, list[Seen]] = defaultdict(list)
    unknown: list[Seen] = []
    for seen in ledger.seen:
        if seen.id is None:
            unknown.append(seen)
        elif seen.queue == DEAD:
            dead[seen.id].append(seen)
        elif seen.queue == ledger.sent[seen.id].queue:
            own[seen.id].append(seen)
        else:
            unknown.append(seen)

    ready_at = {restart.incarnation: restart.ready_at for restart in ledger.restarts}
    ready_at.setdefault(1, ledger.phase_started["run"])
    findings: dict[str, list[dict[str, Any]]] = {name: [] for name in MUST_BE_ZERO}
    info: dict[str, Any] = {}

    def where(seen: Seen) -> dict[str, Any]:
        since = ready_at.get(seen.incarnation)
        return {
            "at": iso(seen.at),
            "queue": seen.queue,
            "partition": seen.partition,
            "offset": seen.offset,
            "attempt": seen.attempt,
            "incarnation": seen.incarnation,
            "seconds_after_that_start": None if since is None else round(seen.at - since, 3),
            "action": seen.action,
        }

    def describe_sent(sent: Sent) -> dict[str, Any]:
        return {
            "id": sent.id,
            "queue": sent.queue,
            "kind": sent.kind,
            "receipt": None if sent.partition is None else f"p{sent.partition}@{sent.offset}",
            "sent_at": iso(sent.sent_at),
            "confirmed_at": iso(sent.confirmed_at),
            "not_before": iso(sent.not_before_ms / 1000) if sent.not_before_ms else None,
            "delay_ms": sent.delay_ms,
            "ttl_ms": sent.ttl_ms,
            "sends": sent.sends,
        }

    def done(seen: Seen) -> bool:
        return seen.action == "ack" and not (seen.settle_error or "").startswith("refused")

    holding = {(topic, p["index"]): p for topic, parts in partition_summary(final_stats).items()
               if isinstance(parts, list) for p in parts}
    expired = 0
    dead_reasons: Counter[str] = Counter()
    attempts: dict[str, Counter[int]] = defaultdict(Counter)
    repeated_attempts = over_max = extra_deliveries = 0
    acked_twice = 0
    unconfirmed_delivered = 0
    for sent in ledger.sent.values():
        deliveries = sorted(own.get(sent.id, []), key=lambda s: s.at)
        copies = sorted(dead.get(sent.id, []), key=lambda s: s.at)
        confirmed = sent.status == "confirmed"
        if not confirmed and (deliveries or copies):
            unconfirmed_delivered += 1

        # Fate: done before the final restart, only after it, or never.
        finishing = [s.incarnation for s in deliveries if done(s)] + [s.incarnation for s in copies]
        if confirmed and not finishing:
            entry = describe_sent(sent)
            if deliveries:
                entry["deliveries"] = [where(s) for s in deliveries]
                findings["vanished"].append(entry)
            else:
                held = holding.get((sent.queue, sent.partition))
                if held:
                    # Not gone from the disk, perhaps: the broker still counts messages there.
                    entry["partition_at_end"] = held
                findings["lost"].append(entry)
        elif confirmed and final_incarnation is not None and min(finishing) >= final_incarnation:
            entry = describe_sent(sent)
            entry["deliveries"] = [where(s) for s in deliveries + copies]
            entry["first_seen_after_final_restart"] = min(s.incarnation for s in deliveries + copies) >= final_incarnation
            findings["stuck"].append(entry)

        # Not-before: no delivery may come earlier (any attempt).
        if sent.not_before_ms is not None:
            for seen in deliveries:
                margin = seen.at * 1000 - sent.not_before_ms
                if margin < -TOLERANCE_MS:
                    entry = describe_sent(sent)
                    entry["delivery"] = where(seen)
                    entry["early_by_ms"] = round(-margin)
                    entry["published_at_ms"] = seen.published_at_ms
                    findings["early"].append(entry)
                    break

        # Delayed retries, once the broker confirmed them, hold until their delay has passed. On
        # the last attempt a retry dead-letters the message instead, so no delay applies.
        for index, seen in enumerate(deliveries):
            if seen.action != "retry_after" or seen.settled_ok is not True:
                continue
            if seen.attempt >= MAX_RETRIES[sent.queue] + 1:
                continue
            assert seen.action_at is not None and seen.retry_after_ms is not None
            due = seen.action_at * 1000 + seen.retry_after_ms
            later = [s for s in deliveries[index + 1:] if (s.partition, s.offset) == (seen.partition, seen.offset)]
            if later and later[0].at * 1000 < due - TOLERANCE_MS:
                entry = describe_sent(sent)
                entry["retry_after"] = {**where(seen), "delay_ms": seen.retry_after_ms, "due": iso(due / 1000),
                                        "confirmed_at": iso(seen.settled_at)}
                entry["redelivery"] = where(later[0])
                entry["early_by_ms"] = round(due - later[0].at * 1000)
                findings["early_retry"].append(entry)

        # A confirmed ack is durable: the same message must not come back after it.
        for seen in deliveries:
            if seen.action == "ack" and seen.settled_ok is True and seen.settled_at is not None:
                again = [s for s in deliveries if s.at > seen.settled_at and (s.partition, s.offset) == (seen.partition, seen.offset)]
                if again:
                    entry = describe_sent(sent)
                    entry["ack"] = {**where(seen), "confirmed_at": iso(seen.settled_at)}
                    entry["redelivered"] = [where(s) for s in again]
                    findings["acked_then_redelivered"].append(entry)
                    break

        places = {(s.partition, s.offset) for s in deliveries}
        places |= {(int(s.dead_letter.get("sinew.dlq.source_partition", -1)),
                    int(s.dead_letter.get("sinew.dlq.source_offset", -1))) for s in copies if s.dead_letter}
        if len(places) > 1:
            entry = describe_sent(sent)
            entry["places"] = sorted(f"p{p}@{o}" for p, o in places)
            findings["stored_twice"].append(entry)
        if confirmed and places and places != {(sent.partition, sent.offset)}:
            entry = describe_sent(sent)
            entry["places"] = sorted(f"p{p}@{o}" for p, o in places)
            findings["offset_mismatch"].append(entry)

        failed = any(s.action == "fail" for s in deliveries)
        for copy in copies:
            headers = copy.dead_letter or {}
            reason = headers.get("sinew.dlq.reason", "?")
            dead_reasons[reason] += 1
            if reason == "expired":
                expired += 1
                at_ms = int(headers.get("sinew.dlq.dead_lettered_at_ms", "0") or 0)
                if sent.ttl_ms is None:
                    findings["unexplained_dead_letters"].append({**describe_sent(sent), "reason": reason})
                elif at_ms and at_ms < sent.sent_at * 1000 + sent.ttl_ms - TOLERANCE_MS:
                    entry = describe_sent(sent)
                    entry["dead_lettered_at"] = iso(at_ms / 1000)
                    entry["early_by_ms"] = round(sent.sent_at * 1000 + sent.ttl_ms - at_ms)
                    findings["expired_early"].append(entry)
            elif reason == "terminal_nack" and not failed:
                findings["unexplained_dead_letters"].append({**describe_sent(sent), "reason": reason})

        # Attempts and duplicates.
        previous: dict[tuple[int, int], int] = {}
        retries_asked = 0
        for seen in deliveries:
            attempts[sent.queue][seen.attempt] += 1
            place = (seen.partition, seen.offset)
            if place in previous and seen.attempt <= previous[place]:
                repeated_attempts += 1
            previous[place] = max(previous.get(place, 0), seen.attempt)
            if seen.attempt > MAX_RETRIES[sent.queue] + 1:
                over_max += 1
            if seen.action in ("retry", "retry_after"):
                retries_asked += 1
        if deliveries:
            extra_deliveries += max(0, len(deliveries) - 1 - retries_asked)
        if sum(1 for s in deliveries if done(s)) > 1:
            acked_twice += 1

    findings["unknown_deliveries"] = [{"raw": s.raw, **where(s)} for s in unknown]
    summary = partition_summary(final_stats)
    if summary.get("unavailable"):
        if final_incarnation is not None:
            problems.append("the broker's statistics could not be read after the final drain")
    else:
        for topic, partitions in summary.items():
            for partition in partitions:
                findings["unsettled_at_end"].extend(
                    [{"queue": topic, **partition}] * int(partition.get("unsettled") or 0))
    errors = [line for scan in logs for line in scan.errors]
    findings["broker_errors"] = [{"log": e.file, "line": e.number, "text": e.text[:600]} for e in errors]
    findings["test_problems"] = [{"problem": p} for p in problems]

    sent_kinds = Counter(s.kind for s in ledger.sent.values())
    confirmed_kinds = Counter(s.kind for s in ledger.sent.values() if s.status == "confirmed")
    info.update({
        "sent": len(ledger.sent),
        "confirmed": sum(confirmed_kinds.values()),
        "sent_by_kind": dict(sorted(sent_kinds.items())),
        "confirmed_by_kind": dict(sorted(confirmed_kinds.items())),
        "unconfirmed": len(ledger.sent) - sum(confirmed_kinds.values()),
        "unconfirmed_but_delivered": unconfirmed_delivered,
        "idempotent_resent": sum(1 for s in ledger.sent.values() if s.producer_id and s.sends > 1),
        "idempotent_duplicate_receipts": sum(1 for s in ledger.sent.values() if s.duplicate),
        "deliveries": len(ledger.seen),
        "dead_lettered": dict(dead_reasons),
        "expired": expired,
        "ids_acked_more_than_once": acked_twice,
        "redeliveries_not_asked_for": extra_deliveries,
        "attempts": {queue: dict(sorted(counts.items())) for queue, counts in sorted(attempts.items())},
        "attempt_not_increased_on_redelivery": repeated_attempts,
        "deliveries_past_max_retries": over_max,
        "broker_warnings": sum(len(scan.warnings) for scan in logs),
        "broker_error_kinds": dict(Counter(error_kind(e.text) for e in errors).most_common()),
        "restarts": [
            {"signal": r.signal, "phase": r.phase, "stopped_at": iso(r.stopped_at), "exit_code": r.exit_code,
             "ready_at": iso(r.ready_at), "incarnation": r.incarnation}
            for r in ledger.restarts
        ],
        "drains": drains,
        "recovered_partitions": [
            line.text.split("] ", 1)[-1] for scan in logs for line in scan.recovered
            if " 0 unsettled" not in line.text
        ][:200],
    })
    figures = {name: len(findings[name]) for name in MUST_BE_ZERO}
    return {
        "trial": plan.index,
        "seed": plan.seed,
        "signal": plan.signal,
        "small_segments": plan.small_segments,
        "kills": plan.kills,
        "passed": not any(figures.values()),
        "figures": figures,
        "info": info,
        "evidence": {name: entries[:EXAMPLES] for name, entries in findings.items() if entries},
        "warnings": [line.text[:400] for scan in logs for line in scan.warnings][:EXAMPLES],
    }
