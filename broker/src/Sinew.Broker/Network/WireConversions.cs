// The network edge between the protocol's messages and the engine's types. Sessions convert what a client
// sends before it reaches a queue, and what a partition delivers once it is outside the partition's lock.
// Payloads and header maps are shared, never copied.
using Sinew.Broker.Queues;
using Sinew.Broker.Storage;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Network;

internal static class WireConversions
{
    public static IncomingMessage ToEngine(this PublishMessage message) =>
        new(new MessageBody(message.Payload, message.ContentType, message.Headers), message.PartitionKey, message.Partition,
            message.NotBeforeMs, message.DelayMs, message.TtlMs, message.ProducerId, message.Sequence ?? 0);

    public static QueueDeclaration ToEngine(this DeclareQueue declare) =>
        new(declare.Partitions, declare.DeadLetter?.ToEngine(), declare.MaxRetries, declare.DefaultTtlMs, declare.LeaseMs);

    public static DeadLetterSettings ToEngine(this DeadLetterPolicy policy) => new(policy.Kind.ToEngine(), policy.Topic, policy.Group);

    public static AckPolicy ToEngine(this AckMode mode) => mode switch
    {
        AckMode.Manual => AckPolicy.Manual,
        AckMode.Auto => AckPolicy.Auto,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "not an ack mode of this protocol version"),
    };

    public static DeliveredMessage ToWire(this in Delivery delivery) =>
        new((ulong)delivery.DeliveryId, delivery.Partition, (ulong)delivery.Offset, (uint)delivery.Attempt, (ulong)delivery.PublishedAtMs,
            delivery.Body.Payload, delivery.Body.ContentType, delivery.Body.Headers, (uint)delivery.Failures, delivery.MaxRetries);

    public static DeadLetterPolicy ToWire(this DeadLetterSettings settings) => new(settings.Kind switch
    {
        DeadLetterDestination.Discard => DeadLetterKind.Discard,
        DeadLetterDestination.Global => DeadLetterKind.Global,
        _ => DeadLetterKind.Queue,
    }, settings.Topic, settings.Group);

    private static DeadLetterDestination ToEngine(this DeadLetterKind kind) => kind switch
    {
        DeadLetterKind.Discard => DeadLetterDestination.Discard,
        DeadLetterKind.Global => DeadLetterDestination.Global,
        DeadLetterKind.Queue => DeadLetterDestination.Queue,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a dead-letter kind of this protocol version"),
    };
}
