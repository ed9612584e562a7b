// Requests awaiting a reply, keyed by request id, and the allocation of request ids.

import type { BrokerErrorContext } from "../errors/broker-error-messages.js";
import type { OpName } from "../wire/generated/opcodes.js";
import type { WireMessage } from "../wire/generated/messages.js";

const MAX_REQUEST_ID = 0xffff_ffff;

/** One request waiting for its reply. */
export interface PendingRequest {
  /** The op of the request, for messages. */
  readonly op: OpName;
  /** The reply op that answers it successfully. */
  readonly expect: OpName;
  /** What the caller was doing, for broker error messages. */
  readonly context: BrokerErrorContext;
  /** Runs on the read loop as soon as the reply is decoded, before the caller resumes. */
  readonly onReply: ((reply: WireMessage) => void) | undefined;
  readonly resolve: (reply: WireMessage) => void;
  readonly reject: (error: unknown) => void;
  /** Cancels the timeout and the abort listener. */
  readonly cleanup: () => void;
}

/**
 * The requests of one connection awaiting replies. Ids count up from 1 and wrap from
 * 0xFFFFFFFF to 1, skipping ids still in use, as the protocol recommends; 0 is never used
 * because it means "no reply wanted".
 */
export class RequestTable {
  private readonly pending = new Map<number, PendingRequest>();
  private nextId = 1;

  /** How many requests are waiting. */
  get size(): number {
    return this.pending.size;
  }

  /** A request id not currently awaiting a reply. */
  allocate(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = id === MAX_REQUEST_ID ? 1 : id + 1;
      if (!this.pending.has(id)) return id;
    }
  }

  /** Whether a request with this id is waiting. */
  has(id: number): boolean {
    return this.pending.has(id);
  }

  /** Registers a request under its id. */
  add(id: number, request: PendingRequest): void {
    this.pending.set(id, request);
  }

  /** Removes and returns the request with this id, if it is still waiting. */
  take(id: number): PendingRequest | undefined {
    const request = this.pending.get(id);
    if (request !== undefined) {
      this.pending.delete(id);
      request.cleanup();
    }
    return request;
  }

  /** Removes a request without settling it (it timed out or was abandoned). */
  forget(id: number): void {
    this.pending.delete(id);
  }

  /** Rejects every waiting request with an error made for it. */
  rejectAll(errorFor: (request: PendingRequest) => unknown): void {
    const requests = [...this.pending.values()];
    this.pending.clear();
    for (const request of requests) {
      request.cleanup();
      request.reject(errorFor(request));
    }
  }
}
