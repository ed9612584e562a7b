// Subscribing: one broker subscription per partition (or one for a chosen partition), all accepted or none, merged
// into one fan-in.
using Sinew.Client.Connection;
using Sinew.Client.Diagnostics;
using Sinew.Client.Routing;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Core;

internal sealed partial class ClientCore
{
    /// <summary>Opens the broker subscriptions for a queue. Without <paramref name="partition"/>, one per partition
    /// (the count from earlier declarations or the broker's topology), or one covering every partition when the
    /// count is unknown. The arguments are checked already, except against the broker's limits.</summary>
    /// <exception cref="InvalidArgumentException">The prefetch is over the broker's limit, or the partition does
    /// not exist; nothing was sent.</exception>
    /// <exception cref="BrokerException">The broker refused a subscription; those it accepted are released.</exception>
    public async Task<FanInSubscription> SubscribeAsync(QueueKey queue, AckMode ackMode, int prefetch, int? partition,
        CancellationToken cancellationToken)
    {
        var operation = $"Subscribe to queue {queue}";
        ThrowIfClosed(operation);
        var connection = await GetConnectionAsync(cancellationToken).ConfigureAwait(false);
        if ((uint)prefetch > connection.Limits.MaxPrefetch)
        {
            throw new InvalidArgumentException(
                $"Prefetch is {prefetch}; the broker allows at most {connection.Limits.MaxPrefetch}.", nameof(SubscribeOptions.Prefetch), "out_of_range");
        }

        IReadOnlyList<uint?> partitions;
        var route = await ResolveRouteAsync(queue, connection, cancellationToken).ConfigureAwait(false);
        if (partition is { } one)
        {
            if (route is not null && (uint)one >= route.Partitions)
            {
                throw new InvalidArgumentException(
                    $"Partition is {one}; queue {queue} has {route.Partitions} partitions (0 to {route.Partitions - 1}).",
                    nameof(SubscribeOptions.Partition), "out_of_range");
            }

            partitions = [(uint)one];
        }
        else if (route is not null)
        {
            partitions = [.. Enumerable.Range(0, (int)route.Partitions).Select(p => (uint?)p)];
        }
        else
        {
            // The broker does not list the queue: one subscription for all partitions lets it answer not_found,
            // or serve a queue created since the topology was read.
            partitions = [null];
        }

        var subscription = new FanInSubscription(this, connection, queue, ackMode, prefetch, partitions.Count);
        Track(subscription, operation);

        var sources = new List<PartitionSubscription>(partitions.Count);
        var requests = new List<(PartitionSubscription Source, PendingSubscribe Pending)>(partitions.Count);
        try
        {
            foreach (var p in partitions)
            {
                var source = new PartitionSubscription(subscription, connection);
                var describe = p is { } number ? $"{operation}, partition {number}" : operation;
                var pending = new PendingSubscribe(describe, source);
                connection.Send(pending, new Wire.Subscribe(queue.Topic, queue.Group, p, (Wire.AckMode)ackMode, (uint)prefetch),
                    Protocol.Framing.FrameFlags.None, cancellationToken);
                requests.Add((source, pending));
            }

            Exception? failure = null;
            foreach (var (source, pending) in requests)
            {
                try
                {
                    var ok = Expect<Wire.SubscribeOk>(await pending.Task.ConfigureAwait(false), pending.Describe());
                    source.SubscriptionId = ok.SubscriptionId;
                    source.Partitions = ok.Partitions;
                    sources.Add(source);
                }
                catch (Exception e) when (e is SinewException or OperationCanceledException)
                {
                    failure ??= e;
                }
            }

            if (failure is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            }
        }
        catch
        {
            // All partitions or none: release the ones that did subscribe, and those whose answer is still on its
            // way when sending stopped part-way.
            foreach (var (source, pending) in requests)
            {
                if (!sources.Contains(source))
                {
                    _ = ReleaseLateAsync(source, pending);
                }
            }

            subscription.Activate(sources);
            await subscription.CloseAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        subscription.Activate(sources);
        Log.Subscribed(Logger, queue, subscription.Partitions, ackMode, prefetch);
        return subscription;
    }

    /// <summary>Unsubscribes a partition subscription whose SubscribeOk arrives after the subscribe as a whole failed.</summary>
    private static async Task ReleaseLateAsync(PartitionSubscription source, PendingSubscribe pending)
    {
        try
        {
            if (await pending.Task.ConfigureAwait(false) is Wire.SubscribeOk ok)
            {
                source.SubscriptionId = ok.SubscriptionId;
                await source.UnsubscribeAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SinewException or OperationCanceledException)
        {
            // It never subscribed, or its connection is gone, which ended it anyway.
        }
    }
}
