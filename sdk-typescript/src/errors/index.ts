// The client's error hierarchy: one base class with a stable code and a retryable flag, and one
// leaf per kind of failure.

export { SinewError } from "./sinew-error.js";
export type { SinewErrorOptions } from "./sinew-error.js";
export { BrokerError } from "./broker-error.js";
export type { BrokerErrorCode, BrokerErrorInit } from "./broker-error.js";
export type { BrokerErrorContext } from "./broker-error-messages.js";
export { ConnectionError } from "./connection-error.js";
export type { ConnectionErrorOptions, ConnectionFailure } from "./connection-error.js";
export { ConnectionLostError } from "./connection-lost-error.js";
export type { ConnectionLostErrorOptions } from "./connection-lost-error.js";
export { ClientClosedError } from "./client-closed-error.js";
export { OperationTimeoutError } from "./operation-timeout-error.js";
export type { OperationTimeoutErrorOptions } from "./operation-timeout-error.js";
export { InvalidArgumentError } from "./invalid-argument-error.js";
export type { InvalidArgumentErrorOptions } from "./invalid-argument-error.js";
export { ProtocolError } from "./protocol-error.js";
export { SubscriptionEndedError } from "./subscription-ended-error.js";
