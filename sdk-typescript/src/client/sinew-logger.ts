// Where the client writes what it cannot hand to a caller.

/**
 * Receives the client's warnings: failures nobody awaited (a settlement or a pipelined
 * confirmation whose promise had no handler when it failed) and exceptions thrown by the
 * `onError` callback. `console` satisfies it, and so do most logging libraries.
 */
export interface SinewLogger {
  warn(message: string, ...details: unknown[]): void;
}
