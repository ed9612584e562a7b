// Broker addresses: parsing `host:port` (with IPv6 hosts in brackets) and printing them back.

/** The broker's default port. */
export const DEFAULT_PORT = 7420;

/** A parsed broker address. */
export interface Endpoint {
  /** The host name or IP address, without brackets. */
  readonly host: string;
  /** The TCP port. */
  readonly port: number;
}

/**
 * Parses `host:port`, `host` (default port 7420), `[ipv6]:port` or `[ipv6]`.
 *
 * @returns the endpoint, or a description of what is wrong with the text
 */
export function parseEndpoint(text: string): Endpoint | string {
  const trimmed = text.trim();
  if (trimmed.length === 0) return "an endpoint must not be empty";
  let host: string;
  let portText: string | undefined;
  if (trimmed.startsWith("[")) {
    const close = trimmed.indexOf("]");
    if (close < 0) return `the endpoint ${JSON.stringify(text)} has an opening [ without a closing ]`;
    host = trimmed.slice(1, close);
    const rest = trimmed.slice(close + 1);
    if (rest.length > 0) {
      if (!rest.startsWith(":")) return `the endpoint ${JSON.stringify(text)} has text after ] that is not :port`;
      portText = rest.slice(1);
    }
  } else {
    const colon = trimmed.lastIndexOf(":");
    if (colon >= 0 && trimmed.indexOf(":") !== colon) {
      return `the endpoint ${JSON.stringify(text)} looks like an IPv6 address; write it as [address]:port`;
    }
    host = colon >= 0 ? trimmed.slice(0, colon) : trimmed;
    portText = colon >= 0 ? trimmed.slice(colon + 1) : undefined;
  }
  if (host.length === 0) return `the endpoint ${JSON.stringify(text)} has no host`;
  if (portText === undefined) return { host, port: DEFAULT_PORT };
  if (!/^\d{1,5}$/.test(portText)) return `the endpoint ${JSON.stringify(text)} has an invalid port`;
  const port = Number(portText);
  if (port < 1 || port > 65_535) return `the endpoint ${JSON.stringify(text)} has a port outside 1..65535`;
  return { host, port };
}

/** The endpoint as `host:port`, with an IPv6 host in brackets. */
export function formatEndpoint(endpoint: Endpoint): string {
  return endpoint.host.includes(":") ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
}
