// @sinew/client: the public surface of the Sinew TypeScript client. The client, its handles
// and options, the errors, and the protocol's routing and naming rules. The frame codec is the
// low-level layer, exported separately as "@sinew/client/wire".

// Client and options
export { SinewClient } from "./client/sinew-client.js";
export type { SinewClientOptions } from "./client/client-options.js";
export type { SinewLogger } from "./client/sinew-logger.js";
export { SinewCredentials } from "./client/credentials.js";
export { DEFAULT_RECONNECT_POLICY } from "./client/reconnect-policy.js";
export type { ReconnectPolicy, ResolvedReconnectPolicy } from "./client/reconnect-policy.js";
export { CLIENT_DEFAULTS } from "./client/resolved-options.js";
export type { BrokerLimits, ServerInfo } from "./client/server-info.js";
export type { Topology, TopologyBroker, TopologyChannel } from "./client/topology.js";
export type { Catalogue, CatalogueChange, CatalogueEntry } from "./client/catalogue.js";
export type { OperationOptions } from "./operation-options.js";
export { CLIENT_VERSION } from "./version.js";

// Queues
export { DeadLetterPolicy } from "./queue/dead-letter-policy.js";
export type { QueueInfo, QueueOptions } from "./queue/queue-options.js";

// Publishing
export { ContentTypes, OutgoingMessage } from "./publish/outgoing-message.js";
export type { HeadersInit, MessageInput, OutgoingMessageInit } from "./publish/outgoing-message.js";
export { Publisher } from "./publish/publisher.js";
export { RELIABLE_PUBLISHER_DEFAULTS, ReliablePublisher } from "./publish/reliable-publisher.js";
export type { PublisherOptions, ReliablePublisherOptions } from "./publish/publisher-options.js";
export type { PublishConfirmation, PublishReceipt } from "./publish/publish-receipt.js";

// Consuming
export { Subscription } from "./subscribe/subscription.js";
export { Delivery } from "./subscribe/delivery.js";
export { SUBSCRIBE_DEFAULTS } from "./subscribe/subscribe-options.js";
export type { SubscribeOptions } from "./subscribe/subscribe-options.js";
export { SUBSCRIPTION_END_REASONS } from "./subscribe/subscription-end-reason.js";
export type { SubscriptionEndReason } from "./subscribe/subscription-end-reason.js";
export type { AckMode, CloseReason, ChannelKind, DeadLetterKind } from "./wire/generated/enums.js";

// Errors
export {
  BrokerError,
  ClientClosedError,
  ConnectionError,
  ConnectionLostError,
  InvalidArgumentError,
  OperationTimeoutError,
  ProtocolError,
  SinewError,
  SubscriptionEndedError,
} from "./errors/index.js";
export type {
  BrokerErrorCode,
  BrokerErrorContext,
  BrokerErrorInit,
  ConnectionErrorOptions,
  ConnectionFailure,
  ConnectionLostErrorOptions,
  InvalidArgumentErrorOptions,
  OperationTimeoutErrorOptions,
  SinewErrorOptions,
} from "./errors/index.js";
export type { ErrorCodeName } from "./wire/generated/errors.js";

// Protocol rules the client applies, for callers that check names or keys themselves
export { fnv1a64, partitionForKey } from "./routing/fnv1a.js";
export { normaliseGroup, validateHeaderKey, validateName } from "./naming.js";
export type { HeaderKeyProblem, NameProblem, ValidateNameOptions } from "./naming.js";
