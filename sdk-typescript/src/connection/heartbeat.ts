// Heartbeats (protocol section 4.4): a Ping after an interval without sending anything, and the
// connection declared dead after three intervals without receiving anything.

/** What the heartbeat asks its connection to do. */
export interface HeartbeatActions {
  /** Send a Ping. */
  ping(): void;
  /** Close the connection: nothing arrived for `silentMs` milliseconds. */
  dead(silentMs: number): void;
}

/** The heartbeat of one connection. Its timer is unreferenced, so it never keeps the process alive. */
export class Heartbeat {
  private lastSent: number;
  private lastReceived: number;
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  private stopped = false;

  /**
   * @param intervalMs - the negotiated interval; 0 disables heartbeats
   * @param actions - how to ping and how to give up
   * @param now - the monotonic clock in milliseconds
   */
  constructor(
    private readonly intervalMs: number,
    private readonly actions: HeartbeatActions,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastSent = this.now();
    this.lastReceived = this.lastSent;
  }

  /** Starts checking, twice per interval. */
  start(): void {
    if (this.intervalMs <= 0 || this.timer !== undefined || this.stopped) return;
    this.schedule();
  }

  /** Stops checking for good. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Records that a frame was sent. */
  noteSent(): void {
    this.lastSent = this.now();
  }

  /** Records that bytes arrived. */
  noteReceived(): void {
    this.lastReceived = this.now();
  }

  /**
   * Suspends dead-peer detection while the client itself has stopped reading (flow control),
   * since silence is then expected; reading again counts as having just received.
   */
  setPaused(paused: boolean): void {
    this.paused = paused;
    if (!paused) this.noteReceived();
  }

  private schedule(): void {
    this.timer = setTimeout(this.check, Math.max(1, Math.floor(this.intervalMs / 2)));
    this.timer.unref();
  }

  private readonly check = (): void => {
    this.timer = undefined;
    const now = this.now();
    const silentMs = now - this.lastReceived;
    if (!this.paused && silentMs >= 3 * this.intervalMs) {
      this.actions.dead(Math.round(silentMs));
      return;
    }
    if (now - this.lastSent >= this.intervalMs) this.actions.ping();
    if (!this.stopped) this.schedule();
  };
}
