// The steps every publish takes, shared by Publisher and ReliablePublisher: get a connection and a route, check and
// build the wire message, send it, and turn the broker's confirmation into the publishing handle's receipt.
using System.Diagnostics;
using Sinew.Client.Connection;
using Sinew.Client.Diagnostics;
using Sinew.Client.Internal;
using Sinew.Client.Routing;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Timing;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Core;

/// <summary>Publishes to one queue on behalf of one publishing handle.</summary>
/// <typeparam name="TReceipt">What the handle makes of a confirmation. The pipeline never looks inside it; it only
/// builds it, on the read loop, so the caller's task completes with it without another hop.</typeparam>
internal sealed class PublishPipeline<TReceipt>(ClientCore core, PublishTarget target, TimeSpan? defaultDelay, TimeSpan? defaultTtl,
    Func<ConfirmedMessage, TReceipt> receipt)
{
    private int _closed;

    public PublishTarget Target => target;

    public ClientCore Core => core;

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Refuses new publishes; returns false if already closed.</summary>
    public bool Close() => Interlocked.Exchange(ref _closed, 1) == 0;

    public void ThrowIfClosed(string handle)
    {
        if (IsClosed)
        {
            throw new ClientClosedException($"{target.Description} is not possible: the {handle} was closed or disposed.");
        }

        core.ThrowIfClosed(target.Description);
    }

    /// <summary>The handle's receipt for one message's confirmation.</summary>
    public TReceipt Receipt(Wire.PublishResult result) => receipt(new ConfirmedMessage(result.Partition, result.Offset, result.Duplicate));

    /// <summary>Ends a confirmed publish's in-flight count, and watches its failure, if it failed, for an application
    /// that never looks at it. Runs once per publish, however it ended.</summary>
    public void OnFinished(Exception? failure)
    {
        target.EndPublish();
        if (failure is not null)
        {
            core.WatchFailure(failure);
        }
    }

    /// <summary>How many times a confirmed publish is sent again after the broker answered <c>redirect</c>. The broker
    /// refuses a stale route before storing anything, so sending again is safe; the bound only stops a broker that
    /// keeps redirecting from keeping a publish forever.</summary>
    public const int MaxRedirectResends = 3;

    /// <summary>Publishes one confirmed message and waits for its receipt. When the broker answers <c>redirect</c> (the
    /// route was stale), the message is routed again by the refreshed catalogue and sent again, at most
    /// <see cref="MaxRedirectResends"/> times; the caller still holds the message, so its payload is intact.</summary>
    public async Task<TReceipt> PublishConfirmedAsync(OutgoingMessage message, Activity? activity, string? producerId, ulong? sequence,
        CancellationToken cancellationToken)
    {
        // Counted as one publish across its resends, so closing the publisher waits for the last of them.
        target.BeginPublish();
        try
        {
            for (var resends = 0; ; resends++)
            {
                var pending = await SendConfirmedAsync(message, activity, producerId, sequence, cancellationToken).ConfigureAwait(false);
                try
                {
                    return await pending.Task.ConfigureAwait(false);
                }
                catch (BrokerException e) when (e.Code == SinewErrorCodes.Redirect && resends < MaxRedirectResends)
                {
                    // The refresh started when the redirect arrived; routing the message again waits for it.
                }
            }
        }
        finally
        {
            target.EndPublish();
        }
    }

    /// <summary>Publishes a confirmed batch and waits for its receipts, sending it again after <c>redirect</c> as
    /// <see cref="PublishConfirmedAsync"/> does.</summary>
    public async Task<IReadOnlyList<TReceipt>> PublishBatchConfirmedAsync(IReadOnlyList<OutgoingMessage> messages, Activity? activity, string? producerId,
        ulong firstSequence, CancellationToken cancellationToken)
    {
        target.BeginPublish();
        try
        {
            for (var resends = 0; ; resends++)
            {
                var pending = await SendBatchAsync(messages, activity, producerId, firstSequence, cancellationToken).ConfigureAwait(false);
                try
                {
                    return await pending.Task.ConfigureAwait(false);
                }
                catch (BrokerException e) when (e.Code == SinewErrorCodes.Redirect && resends < MaxRedirectResends)
                {
                    // As for a single message.
                }
            }
        }
        finally
        {
            target.EndPublish();
        }
    }

    /// <summary>Sends one confirmed message; the returned request completes with the receipt.</summary>
    public async ValueTask<PendingPublish<TReceipt>> SendConfirmedAsync(OutgoingMessage message, Activity? activity, string? producerId, ulong? sequence,
        CancellationToken cancellationToken)
    {
        target.BeginPublish();
        PendingPublish<TReceipt>? pending = null;
        try
        {
            var (connection, route) = await PrepareAsync(cancellationToken).ConfigureAwait(false);
            var publish = new Wire.Publish(target.Queue.Topic, target.Queue.Group,
                Build(message, route, connection.Limits.MaxHeaders, activity, producerId, sequence), route?.RoutingVersion);
            pending = new PendingPublish<TReceipt>(this, connection);
            connection.Send(pending, publish, FrameFlags.Confirm, cancellationToken);
            return pending;
        }
        catch (Exception e)
        {
            Abandon(pending, e);
            throw;
        }
    }

    /// <summary>Sends one message without asking for confirmation (request id 0).</summary>
    public async ValueTask SendUnconfirmedAsync(OutgoingMessage message, Activity? activity, CancellationToken cancellationToken)
    {
        var (connection, route) = await PrepareAsync(cancellationToken).ConfigureAwait(false);
        var publish = new Wire.Publish(target.Queue.Topic, target.Queue.Group,
            Build(message, route, connection.Limits.MaxHeaders, activity, null, null), route?.RoutingVersion);
        connection.SendOneWay(publish, target.Description);
    }

    /// <summary>Sends messages in one confirmed PublishBatch frame.</summary>
    public async ValueTask<PendingPublishBatch<TReceipt>> SendBatchAsync(IReadOnlyList<OutgoingMessage> messages, Activity? activity, string? producerId,
        ulong firstSequence, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        target.BeginPublish();
        PendingPublishBatch<TReceipt>? pending = null;
        try
        {
            var (connection, route) = await PrepareAsync(cancellationToken).ConfigureAwait(false);
            var limit = connection.Limits.MaxBatchMessages;
            if ((uint)messages.Count > limit)
            {
                throw new InvalidArgumentException(
                    $"The batch has {messages.Count} messages; the broker accepts at most {limit} per batch. Split it into several batches.",
                    "messages", "too_many");
            }

            var wire = new Wire.PublishMessage[messages.Count];
            for (var i = 0; i < wire.Length; i++)
            {
                wire[i] = Build(messages[i] ?? throw new ArgumentException($"messages[{i}] is null.", nameof(messages)), route,
                    connection.Limits.MaxHeaders, activity, producerId, producerId is null ? null : firstSequence + (ulong)i);
            }

            pending = new PendingPublishBatch<TReceipt>(this, connection, wire.Length);
            connection.Send(pending, new Wire.PublishBatch(target.Queue.Topic, target.Queue.Group, wire, route?.RoutingVersion),
                FrameFlags.Confirm, cancellationToken);
            return pending;
        }
        catch (Exception e)
        {
            Abandon(pending, e);
            throw;
        }
    }

    /// <summary>Ends the in-flight count of a publish that failed before it was sent. Once a request exists, failing
    /// it does that (exactly once, even if the connection failed it already); before, the count is ended here.</summary>
    private void Abandon<T>(PendingRequest<T>? pending, Exception error)
    {
        if (pending is null)
        {
            target.EndPublish();
            return;
        }

        pending.Fail(error);

        // The caller gets the exception directly; the request's own task is observed here so it is not reported
        // as unobserved.
        _ = pending.Task.Exception;
    }

    private async ValueTask<(SinewConnection Connection, QueueRoute? Route)> PrepareAsync(CancellationToken cancellationToken)
    {
        var connection = await core.GetConnectionAsync(cancellationToken).ConfigureAwait(false);
        var route = await core.ResolveRouteAsync(target, connection, cancellationToken).ConfigureAwait(false);
        await connection.WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
        return (connection, route);
    }

    /// <summary>Checks a message and turns it into its wire form, routed and with trace context.</summary>
    private Wire.PublishMessage Build(OutgoingMessage message, QueueRoute? route, uint maxHeaders, Activity? activity, string? producerId, ulong? sequence)
    {
        ArgumentNullException.ThrowIfNull(message);
        Arguments.ContentType(message.ContentType);
        Arguments.Headers(message.Headers, maxHeaders);
        if (message.Delay is not null && message.NotBefore is not null)
        {
            throw new InvalidArgumentException(
                "The message sets both Delay and NotBefore; set one: Delay counts from the broker's receipt, NotBefore is an absolute time.",
                nameof(OutgoingMessage.Delay), "conflicting_options");
        }

        Arguments.NotNegative(message.Delay, nameof(OutgoingMessage.Delay), "delay");
        Arguments.InRange(message.Delay, DurationField.PublishDelay, nameof(OutgoingMessage.Delay), "delay");
        Arguments.Positive(message.Ttl, nameof(OutgoingMessage.Ttl), "TTL");
        Arguments.InRange(message.Ttl, DurationField.PublishTtl, nameof(OutgoingMessage.Ttl), "TTL");
        ulong? notBeforeMs = null;
        if (message.NotBefore is { } notBefore)
        {
            Arguments.NotBefore(notBefore, DurationField.PublishNotBefore, nameof(OutgoingMessage.NotBefore));
            notBeforeMs = Durations.ToUnixMilliseconds(notBefore);
        }

        var delayMs = Durations.ToMilliseconds(message.Delay ?? (message.NotBefore is null ? defaultDelay : null));
        var ttlMs = Durations.ToMilliseconds(message.Ttl ?? defaultTtl);
        var key = message.Key;
        var partition = target.ChoosePartition(route, key is { } k ? k.Span : default, key.HasValue);
        var headers = TraceContext.Inject(message.Headers, activity, maxHeaders);
        return new Wire.PublishMessage(message.Payload, message.ContentType, headers, key, partition, notBeforeMs, delayMs, ttlMs, producerId, sequence);
    }
}
