// Where a queue's dead messages go: dropped, the broker's global target, or a named queue.

import { checkGroup, checkName } from "../argument-checks.js";
import type { DeadLetterKind } from "../wire/generated/enums.js";
import type { DeadLetterPolicy as WireDeadLetterPolicy } from "../wire/generated/messages.js";

/**
 * Where a queue's dead messages (retries exhausted, failed with `fail`, or expired) go. Create
 * one with {@link DeadLetterPolicy.discard}, {@link DeadLetterPolicy.global} or
 * {@link DeadLetterPolicy.toQueue}.
 */
export class DeadLetterPolicy {
  /** `discard`, `global` or `queue`. */
  readonly kind: DeadLetterKind;
  /** The target queue's topic (`queue` only). */
  readonly topic: string | undefined;
  /** The target queue's group (`queue` only; absent for no group). */
  readonly group: string | undefined;

  private constructor(kind: DeadLetterKind, topic?: string, group?: string) {
    this.kind = kind;
    this.topic = topic;
    this.group = group;
    Object.freeze(this);
  }

  /** Dead messages are dropped. */
  static discard(): DeadLetterPolicy {
    return new DeadLetterPolicy("discard");
  }

  /** Dead messages go to the broker's global dead-letter target; without one, they are dropped. */
  static global(): DeadLetterPolicy {
    return new DeadLetterPolicy("global");
  }

  /**
   * Dead messages are published to another queue, with `sinew.dlq.*` headers saying why.
   *
   * @param topic - the target queue's topic
   * @param group - the target queue's group (`""` and `"default"` mean no group)
   * @throws InvalidArgumentError when the topic or group is not a valid name
   */
  static toQueue(topic: string, group?: string): DeadLetterPolicy {
    return new DeadLetterPolicy("queue", checkName("deadLetter.topic", topic), checkGroup("deadLetter.group", group));
  }

  /** A short description, e.g. `queue(orders.dead)`. */
  toString(): string {
    if (this.kind !== "queue") return this.kind;
    return this.group === undefined ? `queue(${this.topic ?? ""})` : `queue(${this.topic ?? ""}, ${this.group})`;
  }
}

// The wire conversions stay out of the class, so no public signature names a wire record.

/** The policy as the `DeadLetterPolicy` wire record. */
export function deadLetterPolicyToWire(policy: DeadLetterPolicy): WireDeadLetterPolicy {
  return {
    kind: policy.kind,
    ...(policy.topic === undefined ? {} : { topic: policy.topic }),
    ...(policy.group === undefined ? {} : { group: policy.group }),
  };
}

/** The policy a broker reported, through the same factories an application uses. */
export function deadLetterPolicyFromWire(policy: WireDeadLetterPolicy): DeadLetterPolicy {
  switch (policy.kind) {
    case "discard":
      return DeadLetterPolicy.discard();
    case "global":
      return DeadLetterPolicy.global();
    case "queue":
      return DeadLetterPolicy.toQueue(policy.topic ?? "", policy.group);
  }
}
