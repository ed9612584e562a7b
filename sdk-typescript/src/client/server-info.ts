// What the client knows about the broker it is connected to, from the handshake.

/** The limits a broker announced for the session. */
export interface BrokerLimits {
  /** The largest frame body either side may send, in bytes. */
  readonly maxFrameBytes: number;
  /** The most messages in one `publishBatch`. */
  readonly maxBatchMessages: number;
  /** The most headers on one message. */
  readonly maxHeaders: number;
  /** The largest prefetch a subscription may ask for. */
  readonly maxPrefetch: number;
}

/** The broker and session of the client's current connection. */
export interface ServerInfo {
  /** The address connected to, as `host:port`. */
  readonly endpoint: string;
  /** The broker's stable id. */
  readonly serverId: string;
  /** The broker's software version. */
  readonly serverVersion: string;
  /** The session's id. */
  readonly sessionId: string;
  /** The negotiated protocol version. */
  readonly protocolVersion: number;
  /** The heartbeat interval both sides use, in milliseconds (0: none). */
  readonly heartbeatMs: number;
  /** The session's limits. */
  readonly limits: BrokerLimits;
}
