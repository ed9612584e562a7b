// A handle for publishing to one queue: unconfirmed, confirmed, pipelined and batched, over the client core's
// publish pipeline.
using System.Diagnostics;
using Sinew.Client.Core;
using Sinew.Client.Diagnostics;

namespace Sinew.Client;

/// <summary>Publishes to one queue. Cheap to create, thread-safe, and independent of the connection: after a
/// reconnect it simply continues. Keyed messages go to <c>fnv1a64(key) mod partitions</c>; keyless messages go
/// round-robin over the partitions, per publisher. Routes come from the client's live catalogue (see
/// <see cref="SinewClient.GetCatalogueAsync"/>) and every publish carries the routing version of the queue's entry.</summary>
/// <remarks>When the broker answers <c>redirect</c> (the route was stale), the client refreshes its catalogue.
/// <see cref="PublishAsync"/> and <see cref="PublishBatchAsync"/> then route the message again and send it again, up to
/// three times, so a stale route never fails them. <see cref="PublishWithConfirmationAsync"/> and
/// <see cref="PublishUnconfirmedAsync"/> cannot: the client keeps no copy of a message once it is encoded (its payload
/// buffer may already hold the next one), so their redirect is reported, retryable, and the next publish routes by the
/// fresh catalogue.</remarks>
public sealed class Publisher : IAsyncDisposable
{
    private readonly PublishPipeline<PublishReceipt> _pipeline;

    internal Publisher(PublishPipeline<PublishReceipt> pipeline)
    {
        _pipeline = pipeline;
    }

    /// <summary>The queue's topic.</summary>
    public string Topic => _pipeline.Target.Queue.Topic;

    /// <summary>The queue's group; null for none.</summary>
    public string? Group => _pipeline.Target.Queue.Group;

    /// <summary>Publishes a message and waits until the broker confirms it is durable. A <c>redirect</c> is handled by
    /// sending it again, routed by the refreshed catalogue.</summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels before sending; after sending it only stops the wait, and the message
    /// may still be stored.</param>
    /// <returns>Where the message was stored.</returns>
    /// <exception cref="InvalidArgumentException">The message breaks a rule; nothing was sent.</exception>
    /// <exception cref="BrokerException">The broker refused it (for example <c>not_found</c>).</exception>
    /// <exception cref="ConnectionLostException">The connection dropped before the confirmation; it may or may not be stored.</exception>
    /// <exception cref="OperationTimeoutException">No confirmation within the request timeout.</exception>
    public async Task<PublishReceipt> PublishAsync(OutgoingMessage message, CancellationToken cancellationToken = default)
    {
        Activity? activity = null;
        try
        {
            _pipeline.ThrowIfClosed("publisher");
            activity = SinewActivities.StartPublish(_pipeline.Target.Queue, 1);
            var receipt = await _pipeline.PublishConfirmedAsync(message, activity, null, null, cancellationToken).ConfigureAwait(false);
            Tag(activity, receipt);
            return receipt;
        }
        catch (Exception e)
        {
            SinewActivities.RecordFailure(activity, e);
            _pipeline.Core.WatchFailure(e);
            throw;
        }
        finally
        {
            activity?.Dispose();
        }
    }

    /// <summary>Publishes a message without confirmation: completes once the message is queued for the socket. The
    /// broker answers nothing on success; a failure goes to <see cref="SinewClientOptions.OnError"/> and the log (event
    /// <see cref="SinewLogEvents.UnsolicitedError"/>).</summary>
    /// <exception cref="InvalidArgumentException">The message breaks a rule; nothing was sent.</exception>
    /// <exception cref="ConnectionLostException">The connection ended before the message was queued.</exception>
    public async ValueTask PublishUnconfirmedAsync(OutgoingMessage message, CancellationToken cancellationToken = default)
    {
        _pipeline.ThrowIfClosed("publisher");
        using var activity = SinewActivities.StartPublish(_pipeline.Target.Queue, 1);
        try
        {
            await _pipeline.SendUnconfirmedAsync(message, activity, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            SinewActivities.RecordFailure(activity, e);
            throw;
        }
    }

    /// <summary>Publishes a message and returns as soon as it is queued for the socket, with a
    /// <see cref="PublishConfirmation"/> that completes when the broker confirms it. Keeps many publishes in flight on
    /// one connection without waiting for each round trip. The message is encoded before this returns, so its payload
    /// buffer may be reused for the next message at once, which is also why a <c>redirect</c> fails the confirmation
    /// (retryable) instead of sending the message again. A confirmation that fails and is never awaited is logged at
    /// Warning (event <see cref="SinewLogEvents.UnobservedFailure"/>).</summary>
    /// <exception cref="InvalidArgumentException">The message breaks a rule; nothing was sent.</exception>
    public async ValueTask<PublishConfirmation> PublishWithConfirmationAsync(OutgoingMessage message, CancellationToken cancellationToken = default)
    {
        _pipeline.ThrowIfClosed("publisher");
        var activity = SinewActivities.StartPublish(_pipeline.Target.Queue, 1);
        try
        {
            var pending = await _pipeline.SendConfirmedAsync(message, activity, null, null, cancellationToken).ConfigureAwait(false);
            if (activity is not null)
            {
                _ = pending.Task.ContinueWith(static (task, state) =>
                {
                    var (span, publish) = ((Activity, PendingPublish<PublishReceipt>))state!;
                    if (task.IsCompletedSuccessfully)
                    {
                        Tag(span, task.Result);
                    }
                    else if (publish.Failure is { } error)
                    {
                        // Read from the request, not the task: reading Task.Exception would count as the application
                        // observing a failure it may never look at.
                        SinewActivities.RecordFailure(span, error);
                    }

                    span.Dispose();
                }, (activity, pending), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            return new PublishConfirmation(pending.Task);
        }
        catch (Exception e)
        {
            SinewActivities.RecordFailure(activity, e);
            activity?.Dispose();
            _pipeline.Core.WatchFailure(e);
            throw;
        }
    }

    /// <summary>Publishes messages in one frame and waits for their confirmation. The broker validates the batch as
    /// a whole: if any message is invalid, none is stored. At most the broker's <c>max_batch_messages</c>.</summary>
    /// <returns>One receipt per message, in order; empty for an empty batch, which sends nothing.</returns>
    /// <exception cref="InvalidArgumentException">The batch is too large, or a message breaks a rule; nothing was sent.</exception>
    public async Task<IReadOnlyList<PublishReceipt>> PublishBatchAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken = default)
    {
        Activity? activity = null;
        try
        {
            ArgumentNullException.ThrowIfNull(messages);
            _pipeline.ThrowIfClosed("publisher");
            if (messages.Count == 0)
            {
                return [];
            }

            activity = SinewActivities.StartPublish(_pipeline.Target.Queue, messages.Count);
            return await _pipeline.PublishBatchConfirmedAsync(messages, activity, null, 0, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            SinewActivities.RecordFailure(activity, e);
            _pipeline.Core.WatchFailure(e);
            throw;
        }
        finally
        {
            activity?.Dispose();
        }
    }

    /// <summary>Closes the publisher: later publishes fail with <see cref="ClientClosedException"/>, and the task
    /// completes once every publish in flight and every confirmation this publisher still expects has arrived or
    /// failed (each is bounded by the request timeout). The client stays open. Cancelling stops the wait only.</summary>
    public Task CloseAsync(CancellationToken cancellationToken = default)
    {
        _pipeline.Close();
        return _pipeline.Target.WhenDrained().WaitAsync(cancellationToken);
    }

    /// <summary>Closes the publisher (see <see cref="CloseAsync"/>).</summary>
    public async ValueTask DisposeAsync() => await CloseAsync().ConfigureAwait(false);

    private static void Tag(Activity? activity, PublishReceipt receipt)
    {
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.destination.partition.id", receipt.Partition.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity.SetTag("messaging.sinew.offset", receipt.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
