// A publisher that stamps idempotency keys and retries retryable failures until the broker confirms, over the
// client core's publish pipeline.
using System.Diagnostics;
using Sinew.Client.Core;
using Sinew.Client.Diagnostics;

namespace Sinew.Client;

/// <summary>Publishes with exactly-once storage despite retries: each message carries the publisher's producer id
/// and its own sequence number, and a retryable failure (connection lost, timeout, <c>unavailable</c>,
/// <c>redirect</c>, …) is retried with the same pair — reconnecting first if needed — until confirmed or
/// <see cref="ReliablePublisherOptions.MaxAttempts"/> attempts have failed. A <c>redirect</c> is first sent again at
/// once, routed by the refreshed catalogue, within the attempt. The broker's dedup window turns a retry of
/// a message it already stored into a confirmation with <see cref="PublishReceipt.Duplicate"/> set.</summary>
public sealed class ReliablePublisher : IAsyncDisposable
{
    private readonly PublishPipeline<PublishReceipt> _pipeline;
    private readonly ReliablePublisherOptions _options;
    private readonly CancellationTokenSource _disposed = new();
    private ulong _nextSequence;

    internal ReliablePublisher(PublishPipeline<PublishReceipt> pipeline, ReliablePublisherOptions options, string producerId)
    {
        _pipeline = pipeline;
        _options = options;
        ProducerId = producerId;
        _nextSequence = options.FirstSequence;
    }

    /// <summary>The queue's topic.</summary>
    public string Topic => _pipeline.Target.Queue.Topic;

    /// <summary>The queue's group; null for none.</summary>
    public string? Group => _pipeline.Target.Queue.Group;

    /// <summary>The producer id stamped on every message.</summary>
    public string ProducerId { get; }

    /// <summary>The sequence number the next message will get. Persist it with an explicit
    /// <see cref="ReliablePublisherOptions.ProducerId"/> to continue after a restart.</summary>
    public ulong NextSequence => Interlocked.Read(ref _nextSequence);

    /// <summary>Publishes a message, retrying retryable failures, and returns its receipt.</summary>
    /// <exception cref="InvalidArgumentException">The message breaks a rule; nothing was sent.</exception>
    /// <exception cref="SinewException">A failure that is not retryable, or the last failure once every attempt failed.</exception>
    public async Task<PublishReceipt> PublishAsync(OutgoingMessage message, CancellationToken cancellationToken = default)
    {
        Activity? activity = null;
        try
        {
            ArgumentNullException.ThrowIfNull(message);
            _pipeline.ThrowIfClosed("reliable publisher");
            var sequence = Interlocked.Increment(ref _nextSequence) - 1;
            activity = SinewActivities.StartPublish(_pipeline.Target.Queue, 1);
            activity?.SetTag("messaging.sinew.producer_id", ProducerId);
            activity?.SetTag("messaging.sinew.sequence", sequence.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return await WithRetriesAsync(sequence, token => _pipeline.PublishConfirmedAsync(message, activity, ProducerId, sequence, token),
                cancellationToken).ConfigureAwait(false);
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

    /// <summary>Publishes messages in one batch (consecutive sequence numbers), retrying the whole batch on retryable
    /// failures; messages the broker already stored come back as duplicates.</summary>
    /// <returns>One receipt per message, in order; empty for an empty batch, which sends nothing.</returns>
    public async Task<IReadOnlyList<PublishReceipt>> PublishBatchAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken = default)
    {
        Activity? activity = null;
        try
        {
            ArgumentNullException.ThrowIfNull(messages);
            _pipeline.ThrowIfClosed("reliable publisher");
            if (messages.Count == 0)
            {
                // Nothing to store, so nothing is sent and no sequence number is used, as in every Sinew client.
                return [];
            }

            var first = Interlocked.Add(ref _nextSequence, (ulong)messages.Count) - (ulong)messages.Count;
            activity = SinewActivities.StartPublish(_pipeline.Target.Queue, messages.Count);
            return await WithRetriesAsync(first, token => _pipeline.PublishBatchConfirmedAsync(messages, activity, ProducerId, first, token),
                cancellationToken).ConfigureAwait(false);
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

    /// <summary>Closes the publisher: later publishes fail with <see cref="ClientClosedException"/>, retries waiting
    /// for their next attempt stop with <see cref="ClientClosedException"/>, and the task completes once every publish
    /// in flight has settled. The client stays open. Cancelling stops the wait only.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        if (_pipeline.Close())
        {
            await _disposed.CancelAsync().ConfigureAwait(false);
        }

        await _pipeline.Target.WhenDrained().WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the publisher (see <see cref="CloseAsync"/>).</summary>
    public async ValueTask DisposeAsync() => await CloseAsync().ConfigureAwait(false);

    private async Task<T> WithRetriesAsync<T>(ulong sequence, Func<CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        var maxAttempts = Math.Max(1, _options.MaxAttempts);
        for (var number = 1; ; number++)
        {
            try
            {
                return await attempt(linked.Token).ConfigureAwait(false);
            }
            catch (SinewException e) when (e.IsRetryable && number < maxAttempts)
            {
                var delay = Backoff(number);
                Log.PublishRetry(_pipeline.Core.Logger, _pipeline.Target.Queue, ProducerId, sequence, number, maxAttempts,
                    (long)delay.TotalMilliseconds, e.Message);
                try
                {
                    await Task.Delay(delay, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_disposed.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    throw new ClientClosedException($"{_pipeline.Target.Description} was abandoned: the reliable publisher was closed while retrying.", e);
                }
            }
            catch (OperationCanceledException) when (_disposed.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new ClientClosedException($"{_pipeline.Target.Description} was abandoned: the reliable publisher was closed while waiting.");
            }
        }
    }

    private TimeSpan Backoff(int failedAttempt)
    {
        var factor = Math.Pow(2, Math.Min(failedAttempt - 1, 30));
        return TimeSpan.FromTicks((long)Math.Min(_options.InitialRetryDelay.Ticks * factor, _options.MaxRetryDelay.Ticks));
    }
}
