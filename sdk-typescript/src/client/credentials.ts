// Credentials a client offers in its handshake: a user name and password, or a bearer token.

import type { Auth } from "../wire/generated/messages.js";

// The key `util.inspect` looks for, without importing node:util into every environment.
const inspectCustom: unique symbol = Symbol.for("nodejs.util.inspect.custom");

let readSecret: (credentials: SinewCredentials) => string;

/**
 * Credentials for a broker that requires authentication. Create them with
 * {@link SinewCredentials.plain} or {@link SinewCredentials.token}. The secret is never shown by
 * `toString`, `JSON.stringify` or `util.inspect`, so logging options does not leak it.
 */
export class SinewCredentials {
  /** The mechanism: `plain` (user name and password) or `token` (bearer token). */
  readonly mechanism: "plain" | "token";
  /** The user name (`plain`), or empty (`token`). */
  readonly identity: string;
  readonly #secret: string;

  // The one reader of the secret outside the class is the handshake (credentialsToAuth below);
  // a private name keeps it out of the public type and out of reach of callers.
  static {
    readSecret = (credentials) => credentials.#secret;
  }

  private constructor(mechanism: "plain" | "token", identity: string, secret: string) {
    this.mechanism = mechanism;
    this.identity = identity;
    this.#secret = secret;
  }

  /**
   * A user name and password.
   *
   * @param username - the user name
   * @param password - the password
   */
  static plain(username: string, password: string): SinewCredentials {
    return new SinewCredentials("plain", username, password);
  }

  /**
   * A bearer token.
   *
   * @param token - the token
   */
  static token(token: string): SinewCredentials {
    return new SinewCredentials("token", "", token);
  }

  /** A description without the secret. */
  toString(): string {
    return this.mechanism === "plain" ? `SinewCredentials(plain, ${this.identity}, ***)` : "SinewCredentials(token, ***)";
  }

  /** The JSON form, without the secret. */
  toJSON(): { mechanism: string; identity: string } {
    return { mechanism: this.mechanism, identity: this.identity };
  }

  /** What `util.inspect` and `console.log` show: the same as {@link SinewCredentials.toString}. */
  [inspectCustom](): string {
    return this.toString();
  }
}

/** The `Hello.auth` record carrying the credentials. */
export function credentialsToAuth(credentials: SinewCredentials): Auth {
  return { mechanism: credentials.mechanism, identity: credentials.identity, secret: readSecret(credentials) };
}
