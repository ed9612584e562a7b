// A message received from a subscription, with its metadata, payload helpers and settlement.
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using MessagePack;
using Sinew.Client.Connection;
using Sinew.Client.Core;
using Sinew.Client.Diagnostics;
using Sinew.Client.Errors;
using Sinew.Client.Internal;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Timing;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client;

/// <summary>A message delivered to a <see cref="Subscription"/>. With <see cref="AckMode.Manual"/>, settle it
/// exactly once: <see cref="AckAsync"/> when done, <see cref="FailAsync"/> to dead-letter it,
/// <see cref="RetryAsync"/> or <see cref="RetryAfterAsync"/> to have it redelivered; <see cref="ExtendLeaseAsync"/>
/// keeps it while work takes longer than the queue's lease. Settlements issued close together share one frame.</summary>
public sealed class Delivery
{
    private static readonly IReadOnlyDictionary<string, string> NoHeaders = new Dictionary<string, string>(0);

    private readonly PartitionSubscription _source;
    private readonly Wire.DeliveredMessage _message;
    private int _settled;
    private Activity? _activity;

    internal Delivery(ReceivedMessage received)
    {
        _source = received.Source;
        _message = received.Message;
        TraceContext = Diagnostics.TraceContext.Extract(_message.Headers);
    }

    /// <summary>The body.</summary>
    public ReadOnlyMemory<byte> Payload => _message.Payload;

    /// <summary>The body as UTF-8 text (invalid sequences become U+FFFD).</summary>
    public string Text => Encoding.UTF8.GetString(_message.Payload.Span);

    /// <summary>The content type the publisher set, if any.</summary>
    public string? ContentType => _message.ContentType;

    /// <summary>The headers: the publisher's, plus <c>sinew.*</c> metadata the broker added (for example on a
    /// dead-lettered copy). Empty when there are none.</summary>
    public IReadOnlyDictionary<string, string> Headers => _message.Headers ?? NoHeaders;

    /// <summary>The queue's topic.</summary>
    public string Topic => _source.Owner.Queue.Topic;

    /// <summary>The queue's group; null for none.</summary>
    public string? Group => _source.Owner.Queue.Group;

    /// <summary>The partition the message is stored in.</summary>
    public int Partition => (int)_message.Partition;

    /// <summary>Its offset in that partition.</summary>
    public ulong Offset => _message.Offset;

    /// <summary>1 on the first delivery, one more on each redelivery.</summary>
    /// <remarks>A redelivery is not always a failure: a message the broker returns when a subscription ends before
    /// the application was given it, or when the broker restarts, is delivered again without one. See
    /// <see cref="Failures"/>.</remarks>
    public int Attempt => (int)Math.Min(_message.Attempt, int.MaxValue);

    /// <summary>How many times the message has failed so far: a retry, a lease running out, or the return of an
    /// unsettled delivery (one the application held when its subscription or client closed, and any its session held
    /// when the connection dropped). 0 on a first delivery, and when the broker does not count failures.</summary>
    /// <remarks>The failure that takes this past <see cref="MaxRetries"/> dead-letters the message (reason
    /// <c>retries_exhausted</c>) instead of returning it to the queue.</remarks>
    public int Failures => (int)Math.Min(_message.Failures ?? 0, int.MaxValue);

    /// <summary>The queue's retry budget: the failure that takes <see cref="Failures"/> past it dead-letters the
    /// message. Null when the broker did not say.</summary>
    public int? MaxRetries => _message.MaxRetries is { } max ? (int)Math.Min(max, int.MaxValue) : null;

    /// <summary>Whether this is the message's last attempt: <see cref="MaxRetries"/> is known and
    /// <see cref="Failures"/> has reached it, so the next failure (a retry, a lease running out, a return) dead-letters
    /// it. False when the broker did not send <see cref="MaxRetries"/>.</summary>
    public bool IsLastAttempt => _message.MaxRetries is { } max && (_message.Failures ?? 0) >= max;

    /// <summary>When the broker stored the message.</summary>
    public DateTimeOffset PublishedAt => Durations.FromUnixMilliseconds(_message.PublishedAtMs);

    /// <summary>The broker's id for this delivery, unique within the connection's session.</summary>
    public ulong DeliveryId => _message.DeliveryId;

    /// <summary>How this delivery is settled.</summary>
    public AckMode AckMode => _source.Owner.AckMode;

    /// <summary>Whether it has been settled: always for <see cref="AckMode.Auto"/>; for manual ack once a settlement
    /// was issued.</summary>
    public bool IsSettled => AckMode == AckMode.Auto || Volatile.Read(ref _settled) != 0;

    /// <summary>The publisher's span context, from the <c>traceparent</c> header; default when the message carried none.</summary>
    public ActivityContext TraceContext { get; }

    /// <summary>The "process" span for this delivery while it is being handled, when tracing listens; it ends when
    /// the delivery is settled or the next one is taken from the subscription.</summary>
    public Activity? Activity => _activity;

    /// <summary>The payload as JSON, read with System.Text.Json (web defaults unless <paramref name="options"/> are given).</summary>
    [RequiresUnreferencedCode("JSON deserialization of arbitrary types may need types that trimming removes; pass a JsonTypeInfo<T> instead.")]
    [RequiresDynamicCode("JSON deserialization of arbitrary types may need runtime code generation; pass a JsonTypeInfo<T> instead.")]
    public T? Json<T>(JsonSerializerOptions? options = null) =>
        JsonSerializer.Deserialize<T>(_message.Payload.Span, options ?? Payloads.JsonOptions);

    /// <summary>The payload as JSON, read with source-generated metadata.</summary>
    public T? Json<T>(JsonTypeInfo<T> typeInfo) => JsonSerializer.Deserialize(_message.Payload.Span, typeInfo);

    /// <summary>The payload as MessagePack (<see cref="MessagePackSerializer.DefaultOptions"/> unless options are given).</summary>
    public T MessagePack<T>(MessagePackSerializerOptions? options = null) =>
        MessagePackSerializer.Deserialize<T>(_message.Payload, options);

    /// <summary>Done: the message is removed from the queue. Completes when the broker has made it durable.</summary>
    /// <remarks>Like every settlement it acts at the call: the delivery counts as settled at once and the frame is
    /// sent whether or not the returned task is awaited; every refusal is thrown at the call. A failure reported
    /// through a task that is never awaited is logged at Warning (event <see cref="SinewLogEvents.UnobservedFailure"/>).</remarks>
    /// <exception cref="InvalidArgumentException">Already settled, or an auto-ack delivery (thrown at the call).</exception>
    /// <exception cref="ConnectionLostException">The connection the delivery came on is gone; the broker delivers
    /// the message again (thrown at the call; the delivery stays unsettled).</exception>
    /// <exception cref="ClientClosedException">The client was closed (thrown at the call).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled before anything was sent (thrown at the
    /// call; the delivery stays unsettled).</exception>
    /// <exception cref="BrokerException">The broker could not settle it, for example <c>stale_delivery</c> after its
    /// lease expired (from the task).</exception>
    public Task AckAsync(CancellationToken cancellationToken = default)
    {
        var connection = BeginSettlement("ack", cancellationToken);
        return Await(connection.Settlements.Ack(DeliveryId), "Ack", cancellationToken);
    }

    /// <summary>Failed for good: the message is dead-lettered now (<c>sinew.dlq.reason</c> <c>terminal_nack</c>),
    /// keeping <paramref name="reason"/> (at most 1024 bytes of UTF-8) in its <c>sinew.dlq.error</c> header. To have
    /// it delivered again instead, use <see cref="RetryAsync"/>.</summary>
    /// <inheritdoc cref="AckAsync" path="/remarks"/>
    /// <inheritdoc cref="AckAsync" path="/exception"/>
    public Task FailAsync(string? reason = null, CancellationToken cancellationToken = default)
    {
        Arguments.SettlementReason(reason);
        var connection = BeginSettlement("fail", cancellationToken);
        return Await(connection.Settlements.Nack(new Wire.NackItem(DeliveryId, Requeue: false, Reason: reason)), "Fail", cancellationToken);
    }

    /// <summary>Back to the queue for redelivery now, with a higher attempt number. Once the queue's retries are
    /// exhausted (on the <see cref="IsLastAttempt"/> delivery) the message is dead-lettered instead
    /// (<c>retries_exhausted</c>), and the copy's
    /// <c>sinew.dlq.error</c> header holds the last <paramref name="reason"/> given (at most 1024 bytes of UTF-8).</summary>
    /// <inheritdoc cref="AckAsync" path="/remarks"/>
    /// <inheritdoc cref="AckAsync" path="/exception"/>
    public Task RetryAsync(string? reason = null, CancellationToken cancellationToken = default)
    {
        Arguments.SettlementReason(reason);
        var connection = BeginSettlement("retry", cancellationToken);
        return Await(connection.Settlements.Nack(new Wire.NackItem(DeliveryId, Requeue: true, Reason: reason)), "Retry", cancellationToken);
    }

    /// <summary>Back to the queue, redelivered no earlier than <paramref name="delay"/> (at most 3650 days) from now.
    /// The <paramref name="reason"/> is kept as with <see cref="RetryAsync"/>.</summary>
    /// <inheritdoc cref="AckAsync" path="/remarks"/>
    /// <inheritdoc cref="AckAsync" path="/exception"/>
    public Task RetryAfterAsync(TimeSpan delay, string? reason = null, CancellationToken cancellationToken = default)
    {
        Arguments.NotNegative(delay, nameof(delay), "retry delay");
        Arguments.InRange(delay, DurationField.NackDelay, nameof(delay), "retry delay");
        Arguments.SettlementReason(reason);
        var connection = BeginSettlement("retry", cancellationToken);
        var item = new Wire.NackItem(DeliveryId, Requeue: true, DelayMs: Durations.ToMilliseconds(delay), Reason: reason);
        return Await(connection.Settlements.Nack(item), "Delayed retry", cancellationToken);
    }

    /// <summary>Keeps the delivery longer: its lease restarts with length <paramref name="by"/>, or the queue's
    /// lease when null. May be called any number of times before the delivery is settled. Sent at the call, like
    /// the settlements.</summary>
    /// <exception cref="InvalidArgumentException">Already settled, an auto-ack delivery, or a duration that is not
    /// positive or longer than 12 hours.</exception>
    /// <exception cref="ConnectionLostException">The connection the delivery came on is gone (thrown at the call).</exception>
    /// <exception cref="ClientClosedException">The client was closed (thrown at the call).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled before anything was sent (thrown at the call).</exception>
    /// <exception cref="BrokerException">The broker no longer holds the delivery (<c>stale_delivery</c>).</exception>
    public Task ExtendLeaseAsync(TimeSpan? by = null, CancellationToken cancellationToken = default)
    {
        Arguments.Positive(by, nameof(by), "lease extension");
        Arguments.InRange(by, DurationField.LeaseExtension, nameof(by), "lease extension");
        var connection = Usable("extend the lease of", cancellationToken);
        var item = new Wire.LeaseExtension(DeliveryId, Durations.ToMilliseconds(by));
        return Await(connection.Settlements.ExtendLease(item), "Lease extension", cancellationToken, ending: false);
    }

    /// <summary>Starts the process span; called as the subscription hands the delivery out.</summary>
    internal void BeginProcessing() => _activity = SinewActivities.StartProcess(_source.Owner.Queue, _message, TraceContext);

    /// <summary>Ends the process span if settling has not already.</summary>
    internal void EndProcessing() => Interlocked.Exchange(ref _activity, null)?.Dispose();

    /// <summary>Marks the delivery settled, so a second settlement is refused even while the first is in flight.
    /// Every check comes first: a refused call leaves the delivery unsettled.</summary>
    private SinewConnection BeginSettlement(string action, CancellationToken cancellationToken)
    {
        var connection = Usable(action, cancellationToken);
        if (Interlocked.Exchange(ref _settled, 1) != 0)
        {
            throw AlreadySettled(action);
        }

        // Settled at the call: an Unsubscribe or Goodbye built from now on no longer names it, and the settlement
        // frame is sent before either (see SettlementBatcher.FlushNow).
        _source.HandedOut.Remove(DeliveryId);
        return connection;
    }

    /// <summary>The connection to settle on, or the refusal, in the same order in every client: an auto-ack
    /// delivery, one already settled, a closed client, a lost connection, a cancelled token.</summary>
    private SinewConnection Usable(string action, CancellationToken cancellationToken)
    {
        if (AckMode == AckMode.Auto)
        {
            throw new InvalidArgumentException(
                $"Cannot {action} delivery {DeliveryId}: it came from a subscription with AckMode.Auto, which the broker settled when it sent it. " +
                "Subscribe with AckMode.Manual to settle deliveries yourself.",
                nameof(AckMode), "auto_ack");
        }

        if (Volatile.Read(ref _settled) != 0)
        {
            throw AlreadySettled(action);
        }

        if (_source.Owner.Core.IsClosing)
        {
            throw new ClientClosedException($"Cannot {action} {Describe()}: the client was closed.");
        }

        // A delivery settles on the connection it came from; once that is gone, the broker delivers the message again
        // and this delivery can never be settled.
        var connection = _source.Connection;
        if (!connection.IsOpen)
        {
            var reason = connection.EndReason;
            if (reason is ClientClosedException)
            {
                throw new ClientClosedException($"Cannot {action} {Describe()}: its connection was closed by the client.", reason);
            }

            throw new ConnectionLostException(
                $"Cannot {action} {Describe()}: the connection it arrived on was lost, so the broker will deliver the message again.",
                connection.Endpoint.ToString(), reason);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return connection;
    }

    private InvalidArgumentException AlreadySettled(string action) => new(
        $"Cannot {action} {Describe()}: it is already settled. Settle each delivery exactly once.", "delivery", "already_settled");

    private string Describe() => $"delivery {DeliveryId} (queue '{Topic}', partition {Partition}, offset {Offset})";

    private async Task Await(Task<IReadOnlyList<Wire.SettleFailure>> settlement, string action, CancellationToken cancellationToken, bool ending = true)
    {
        try
        {
            var failures = await settlement.WaitAsync(cancellationToken).ConfigureAwait(false);
            foreach (var failure in failures)
            {
                if (failure.DeliveryId == DeliveryId)
                {
                    if (failure.Code == (ushort)ErrorCode.StaleDelivery)
                    {
                        // The broker no longer holds it (its lease ran out, or its subscription ended): the
                        // application does not hold it in the broker's sense either.
                        _source.HandedOut.Remove(DeliveryId);
                    }

                    throw BrokerErrors.FromSettleFailure(failure.Code,
                        $"{action} of delivery {DeliveryId} (queue '{Topic}', partition {Partition}, offset {Offset})");
                }
            }
        }
        catch (Exception e)
        {
            if (ending && _activity is { } activity)
            {
                SinewActivities.RecordFailure(activity, e);
            }

            // Settling acts at the call, so callers often drop the task; a failure nobody awaits is still logged.
            _source.Owner.Core.WatchFailure(e);
            throw;
        }
        finally
        {
            if (ending)
            {
                EndProcessing();
            }
        }
    }
}
