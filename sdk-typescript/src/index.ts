// The public surface of @sinew/client: the protocol v1 wire codec, partition routing and the
// name rules.

export { decodeFrame, encodeFrame } from "./wire/codec.js";
export type { DecodeFrameOptions, EncodeFrameOptions, Frame } from "./wire/codec.js";
export { FrameReader } from "./wire/frame-reader.js";
export type { FrameReaderOptions } from "./wire/frame-reader.js";
export {
  DECODE_ERROR_CODES,
  DECODE_ERROR_KINDS,
  DECODE_ERROR_PRECEDENCE,
  FIELD_ERROR_KINDS,
  FrameDecodeError,
} from "./wire/decode-error.js";
export type { DecodeErrorKind, FrameDecodeErrorOptions } from "./wire/decode-error.js";
export { ERROR_CODES, ErrorCode, errorCodeInfo } from "./wire/errors.js";
export type { ErrorCodeInfo, ErrorCodeName } from "./wire/errors.js";
export { FRAME_HEADER_SIZE, FRAME_MAGIC, PROTOCOL_VERSION, SUPPORTED_VERSIONS } from "./wire/frame-header.js";
export type { FrameHeader } from "./wire/frame-header.js";
export { DEFINED_FLAGS_MASK, FRAME_FLAGS, FrameFlags, allowedFlagsFor } from "./wire/flags.js";
export type { FrameFlagInfo, FrameFlagName } from "./wire/flags.js";
export { OP_NAMES, Opcode, opNameOf } from "./wire/opcodes.js";
export type { OpName } from "./wire/opcodes.js";
export { ENUMS } from "./wire/enums.js";
export type {
  AckMode,
  AuthMechanism,
  ChannelKind,
  CloseReason,
  DeadLetterKind,
  EnumName,
  EnumValue,
  ReconcileOutcome,
  ReconcilePolicy,
  StreamDurability,
  StreamStartKind,
} from "./wire/enums.js";
export { ProtocolLimits } from "./wire/limits.js";
export type {
  Ack,
  AssignmentChanged,
  Auth,
  BrokerInfo,
  ChannelInfo,
  ConsumerGroup,
  DeadLetterPolicy,
  DeclareQueue,
  DeclareQueueOk,
  DeclareStream,
  DeclareStreamOk,
  Deliver,
  DeliveredMessage,
  Error,
  ExtendLease,
  GoingAway,
  Goodbye,
  Hello,
  HelloOk,
  LeaseExtension,
  Limits,
  MessageOf,
  Nack,
  NackItem,
  Ok,
  Ping,
  Pong,
  Publish,
  PublishBatch,
  PublishMessage,
  PublishOk,
  PublishResult,
  Reconcile,
  ReconcileEntry,
  ReconcileOk,
  ReconcileResult,
  RecordTypes,
  Retention,
  SettleFailure,
  SettleOk,
  StreamStart,
  Subscribe,
  SubscribeOk,
  SubscribeStream,
  SubscriptionClosed,
  Topology,
  TopologyAck,
  TopologyRequest,
  Unsubscribe,
  WireMessage,
} from "./wire/messages.js";
export { fnv1a64, partitionForKey } from "./routing/fnv1a.js";
export { normaliseGroup, validateHeaderKey, validateName } from "./naming.js";
export type { HeaderKeyProblem, NameProblem, ValidateNameOptions } from "./naming.js";
