// @sinew/client/wire: the low-level layer. The protocol v1 frame codec, its registry of
// opcodes, flags, enums and error codes, and the typed messages, for tools that speak the
// protocol directly. Applications use the client API of "@sinew/client" instead.

export { decodeFrame, encodeFrame } from "./codec.js";
export type { DecodeFrameOptions, EncodeFrameOptions, Frame } from "./codec.js";
export { FrameReader } from "./frame-reader.js";
export type { FrameReaderOptions } from "./frame-reader.js";
export { FrameDecodeError } from "./decode-error.js";
export type { FrameDecodeErrorOptions } from "./decode-error.js";
export { DECODE_ERROR_CODES, DECODE_ERROR_KINDS, DECODE_ERROR_PRECEDENCE, FIELD_ERROR_KINDS } from "./generated/decode-errors.js";
export type { DecodeErrorKind } from "./generated/decode-errors.js";
export { ERROR_CODES, ErrorCode, errorCodeInfo } from "./generated/errors.js";
export type { ErrorCodeInfo, ErrorCodeName } from "./generated/errors.js";
export { FRAME_HEADER_SIZE, FRAME_MAGIC, PROTOCOL_VERSION, SUPPORTED_VERSIONS } from "./frame-header.js";
export type { FrameHeader } from "./frame-header.js";
export { DEFINED_FLAGS_MASK, FRAME_FLAGS, FrameFlags, allowedFlagsFor } from "./generated/flags.js";
export type { FrameFlagInfo, FrameFlagName } from "./generated/flags.js";
export { OP_NAMES, Opcode, opNameOf } from "./generated/opcodes.js";
export type { OpName } from "./generated/opcodes.js";
export { ENUMS } from "./generated/enums.js";
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
} from "./generated/enums.js";
export { ProtocolLimits } from "./generated/limits.js";
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
} from "./generated/messages.js";
export { fnv1a64, partitionForKey } from "../routing/fnv1a.js";
export { normaliseGroup, validateHeaderKey, validateName } from "../naming.js";
export type { HeaderKeyProblem, NameProblem, ValidateNameOptions } from "../naming.js";
