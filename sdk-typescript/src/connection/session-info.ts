// The session a handshake opened, as the broker described it in HelloOk.

import { heartbeatInUse } from "../durations.js";
import { ProtocolLimits } from "../wire/generated/limits.js";
import type { HelloOk, Limits } from "../wire/generated/messages.js";

/** What the broker said about the session in its `HelloOk`. */
export interface SessionInfo {
  readonly serverId: string;
  readonly serverVersion: string;
  readonly sessionId: string;
  readonly protocolVersion: number;
  readonly heartbeatMs: number;
  readonly limits: Readonly<Limits>;
}

/** The session described by a `HelloOk`. */
export function sessionInfoOf(helloOk: HelloOk): SessionInfo {
  return Object.freeze({
    serverId: helloOk.serverId,
    serverVersion: helloOk.serverVersion,
    sessionId: helloOk.sessionId,
    protocolVersion: helloOk.version,
    // Past 5 minutes an interval would only delay noticing a dead broker (and past 2^31 - 1 ms a
    // Node.js timer fires at once), so a larger announcement is read as the maximum.
    heartbeatMs: heartbeatInUse(helloOk.heartbeatMs),
    limits: Object.freeze({ ...helloOk.limits }),
  });
}

/**
 * The most entries the broker takes in one list of a frame: what it announced, or the protocol's
 * default when it said nothing (an older broker), and at least 1 so a split always progresses.
 */
export function maxListItemsOf(limits: Readonly<Limits> | undefined): number {
  return Math.max(1, limits?.maxListItems ?? ProtocolLimits.defaultMaxListItems);
}
