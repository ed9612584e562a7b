// The enums of protocol v1: their names as string-literal types, and the number each name is
// encoded as on the wire.

/** How `Hello.auth` credentials are read. */
export type AuthMechanism = "plain" | "token";

/** How a subscription's deliveries are settled. */
export type AckMode = "manual" | "auto";

/** Where a queue's dead messages go. */
export type DeadLetterKind = "discard" | "global" | "queue";

/** When a stream confirms and delivers, relative to fsync. */
export type StreamDurability = "ephemeral" | "speculative" | "durable";

/** Where an ephemeral stream reader starts. */
export type StreamStartKind = "latest" | "earliest" | "offset" | "n_back" | "by_time";

/** Whether a channel is a queue or a stream. */
export type ChannelKind = "queue" | "stream";

/** Why the broker ended a subscription on its own. */
export type CloseReason =
  | "server_shutdown"
  | "deleted"
  | "quarantined"
  | "reconcile_closed"
  | "cursor_taken_over"
  | "internal";

/** How the broker treats subscriptions it no longer has after a resume. */
export type ReconcilePolicy = "conservative" | "restore";

/** The broker's verdict on one subscription listed in a `Reconcile`. */
export type ReconcileOutcome = "kept" | "restored" | "closed";

/**
 * The wire number of every value of every enum. Numbers are append-only; a value not listed is
 * rejected with `invalid_value`.
 */
export const ENUMS = Object.freeze({
  AuthMechanism: Object.freeze({ plain: 0, token: 1 } satisfies Record<AuthMechanism, number>),
  AckMode: Object.freeze({ manual: 0, auto: 1 } satisfies Record<AckMode, number>),
  DeadLetterKind: Object.freeze({ discard: 0, global: 1, queue: 2 } satisfies Record<DeadLetterKind, number>),
  StreamDurability: Object.freeze({
    ephemeral: 0,
    speculative: 1,
    durable: 2,
  } satisfies Record<StreamDurability, number>),
  StreamStartKind: Object.freeze({
    latest: 0,
    earliest: 1,
    offset: 2,
    n_back: 3,
    by_time: 4,
  } satisfies Record<StreamStartKind, number>),
  ChannelKind: Object.freeze({ queue: 0, stream: 1 } satisfies Record<ChannelKind, number>),
  CloseReason: Object.freeze({
    server_shutdown: 0,
    deleted: 1,
    quarantined: 2,
    reconcile_closed: 3,
    cursor_taken_over: 4,
    internal: 5,
  } satisfies Record<CloseReason, number>),
  ReconcilePolicy: Object.freeze({ conservative: 0, restore: 1 } satisfies Record<ReconcilePolicy, number>),
  ReconcileOutcome: Object.freeze({ kept: 0, restored: 1, closed: 2 } satisfies Record<ReconcileOutcome, number>),
});

/** The name of an enum, e.g. `"AckMode"`. */
export type EnumName = keyof typeof ENUMS;

/** The string-literal type of the values of an enum, e.g. `EnumValue<"AckMode">`. */
export type EnumValue<E extends EnumName> = keyof (typeof ENUMS)[E] & string;
