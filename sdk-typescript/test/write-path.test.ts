// The write path and settlement coalescing: frames of one turn leave in one socket write, and
// settlements of one turn leave in one frame per kind, each caller answered from the SettleOk.

import type { Socket } from "node:net";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { FrameWriter } from "../src/connection/frame-writer.js";
import { SettlementBatcher } from "../src/connection/settlement-batcher.js";
import { BrokerError } from "../src/errors/broker-error.js";
import { ConnectionLostError } from "../src/errors/connection-lost-error.js";
import type { SettleOk, WireMessage } from "../src/wire/generated/messages.js";

const TIMEOUT_MS = 10_000;

function countingSocket(): { socket: Socket; writes: number[] } {
  const writes: number[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writes.push(1);
      callback();
      void chunk;
    },
    writev(chunks, callback) {
      writes.push(chunks.length);
      callback();
    },
  });
  return { socket: stream as unknown as Socket, writes };
}

describe("frame writer", () => {
  it("sends the frames written in one turn as a single vectored write", async () => {
    const { socket, writes } = countingSocket();
    let noted = 0;
    const writer = new FrameWriter(socket, () => noted++);
    for (let index = 0; index < 50; index++) writer.write(new Uint8Array([index]));
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual([50]);
    expect(noted).toBe(50);
    writer.write(new Uint8Array([1]));
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual([50, 1]);
  }, TIMEOUT_MS);
});

type SettleFrame = Extract<WireMessage, { op: "Ack" | "Nack" | "ExtendLease" }>;

function recordingBatcher(
  answer: (frame: SettleFrame) => Promise<SettleOk>,
  maxListItems?: number,
): { batcher: SettlementBatcher; sent: SettleFrame[] } {
  const sent: SettleFrame[] = [];
  const record = (frame: SettleFrame): Promise<SettleOk> => {
    sent.push(frame);
    return answer(frame);
  };
  const batcher = maxListItems === undefined ? new SettlementBatcher(record) : new SettlementBatcher(record, () => maxListItems);
  return { batcher, sent };
}

const allSettled = (): Promise<SettleOk> => Promise.resolve({ op: "SettleOk", failures: [] });

describe("settlement batcher", () => {
  it("coalesces the settlements of one turn into one frame per kind, extensions first", async () => {
    const { batcher, sent } = recordingBatcher(allSettled);
    const settled = [
      batcher.ack(1n),
      batcher.ack(2n),
      batcher.nack({ deliveryId: 3n, requeue: false, reason: "bad" }, "fail"),
      batcher.nack({ deliveryId: 4n, requeue: true, delayMs: 500n }, "retryAfter"),
      batcher.extendLease({ deliveryId: 5n, extendMs: 1000n }),
      batcher.ack(6n),
    ];
    await Promise.all(settled);
    expect(sent.map((frame) => frame.op)).toEqual(["ExtendLease", "Nack", "Ack"]);
    expect(sent[2]).toEqual({ op: "Ack", deliveryIds: [1n, 2n, 6n] });
    expect(sent[1]).toEqual({
      op: "Nack",
      items: [
        { deliveryId: 3n, requeue: false, reason: "bad" },
        { deliveryId: 4n, requeue: true, delayMs: 500n },
      ],
    });
  }, TIMEOUT_MS);

  it("starts a new batch in the next turn", async () => {
    const { batcher, sent } = recordingBatcher(allSettled);
    await batcher.ack(1n);
    await batcher.ack(2n);
    expect(sent).toHaveLength(2);
  }, TIMEOUT_MS);

  it("splits very large batches into frames of at most 1024 items", async () => {
    const { batcher, sent } = recordingBatcher(allSettled);
    await Promise.all(Array.from({ length: 2500 }, (_, index) => batcher.ack(BigInt(index + 1))));
    expect(sent.map((frame) => (frame.op === "Ack" ? frame.deliveryIds.length : 0))).toEqual([1024, 1024, 452]);
  }, TIMEOUT_MS);

  it("splits a batch longer than the broker's list limit into frames within it", async () => {
    const { batcher, sent } = recordingBatcher(allSettled, 4);
    await Promise.all([
      ...Array.from({ length: 10 }, (_, index) => batcher.ack(BigInt(index + 1))),
      ...Array.from({ length: 5 }, (_, index) => batcher.nack({ deliveryId: BigInt(index + 20), requeue: true }, "retry")),
      ...Array.from({ length: 4 }, (_, index) => batcher.extendLease({ deliveryId: BigInt(index + 30) })),
    ]);
    const lengths = sent.map((frame) => [frame.op, frame.op === "Ack" ? frame.deliveryIds.length : frame.items.length]);
    expect(lengths).toEqual([["ExtendLease", 4], ["Nack", 4], ["Nack", 1], ["Ack", 4], ["Ack", 4], ["Ack", 2]]);
    expect(sent.flatMap((frame) => (frame.op === "Ack" ? frame.deliveryIds : []))).toEqual(Array.from({ length: 10 }, (_, index) => BigInt(index + 1)));
  }, TIMEOUT_MS);

  it("rejects only the items the broker lists as failed, with their code", async () => {
    const { batcher } = recordingBatcher(() => Promise.resolve({ op: "SettleOk", failures: [{ deliveryId: 2n, code: 10 }] }));
    const [first, second] = await Promise.allSettled([batcher.ack(1n), batcher.ack(2n)]);
    expect(first.status).toBe("fulfilled");
    expect(second.status).toBe("rejected");
    const error = (second as PromiseRejectedResult).reason as BrokerError;
    expect(error).toBeInstanceOf(BrokerError);
    expect(error.code).toBe("stale_delivery");
    expect(error.isRetryable).toBe(false);
    expect(error.message).toContain("ack failed");
  }, TIMEOUT_MS);

  it("rejects every item of a frame that failed as a whole", async () => {
    const lost = new ConnectionLostError("lost");
    const { batcher } = recordingBatcher(() => Promise.reject(lost));
    const outcomes = await Promise.allSettled([batcher.ack(1n), batcher.ack(2n)]);
    expect(outcomes.map((outcome) => (outcome as PromiseRejectedResult).reason)).toEqual([lost, lost]);
  }, TIMEOUT_MS);

  it("sends at once on flush", () => {
    const { batcher, sent } = recordingBatcher(allSettled);
    void batcher.ack(1n);
    batcher.flush();
    expect(sent).toEqual([{ op: "Ack", deliveryIds: [1n] }]);
  }, TIMEOUT_MS);
});
