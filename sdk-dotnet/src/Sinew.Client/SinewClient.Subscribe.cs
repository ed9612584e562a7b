// Subscribing: one broker subscription per partition, merged into one Subscription.
using Sinew.Client.Connection;
using Sinew.Client.Diagnostics;
using Sinew.Client.Internal;
using Sinew.Client.Routing;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client;

public sealed partial class SinewClient
{
    private static readonly SubscribeOptions DefaultSubscribeOptions = new();

    /// <summary>Subscribes to a queue. Without <see cref="SubscribeOptions.Partition"/>, the client opens one broker
    /// subscription per partition (it learns the count from earlier declarations or the broker's topology) and merges
    /// them; each delivery settles on its own partition's subscription.</summary>
    /// <param name="topic">The queue's topic.</param>
    /// <param name="options">Group, prefetch, ack mode and partition; null for the defaults.</param>
    /// <param name="cancellationToken">Stops waiting for the broker; subscriptions it creates anyway are ended.</param>
    /// <exception cref="InvalidArgumentException">A name or option is invalid; nothing was sent.</exception>
    /// <exception cref="BrokerException">The broker refused, for example <c>not_found</c> for a queue never declared.</exception>
    public async Task<Subscription> SubscribeAsync(string topic, SubscribeOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= DefaultSubscribeOptions;
        var queue = new QueueKey(Arguments.Topic(topic), Arguments.Group(options.Group));
        if (options.Prefetch < 1)
        {
            throw new InvalidArgumentException($"Prefetch is {options.Prefetch}; use at least 1 (default {SubscribeOptions.DefaultPrefetch}).", nameof(SubscribeOptions.Prefetch), "out_of_range");
        }

        if (options.Partition is < 0)
        {
            throw new InvalidArgumentException($"Partition is {options.Partition}; partitions are numbered from 0.", nameof(SubscribeOptions.Partition), "out_of_range");
        }

        if (options.AckMode is not (AckMode.Manual or AckMode.Auto))
        {
            throw new InvalidArgumentException($"AckMode {options.AckMode} is not defined; use AckMode.Manual or AckMode.Auto.", nameof(SubscribeOptions.AckMode), "wrong_type");
        }

        var operation = $"Subscribe to queue {queue}";
        ThrowIfClosed(operation);
        var connection = await GetConnectionAsync(cancellationToken).ConfigureAwait(false);
        if ((uint)options.Prefetch > connection.Limits.MaxPrefetch)
        {
            throw new InvalidArgumentException(
                $"Prefetch is {options.Prefetch}; the broker allows at most {connection.Limits.MaxPrefetch}.", nameof(SubscribeOptions.Prefetch), "out_of_range");
        }

        IReadOnlyList<uint?> partitions;
        var route = await ResolveRouteAsync(queue, connection, cancellationToken).ConfigureAwait(false);
        if (options.Partition is { } one)
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

        var subscription = new Subscription(this, connection, queue, options, partitions.Count);
        lock (_gate)
        {
            ThrowIfClosed(operation);
            _subscriptions.Add(subscription);
        }

        var sources = new List<PartitionSubscription>(partitions.Count);
        var requests = new List<(PartitionSubscription Source, PendingSubscribe Pending)>(partitions.Count);
        try
        {
            foreach (var partition in partitions)
            {
                var source = new PartitionSubscription(subscription, connection);
                var describe = partition is { } p ? $"{operation}, partition {p}" : operation;
                var pending = new PendingSubscribe(describe, source);
                connection.Send(pending, new Wire.Subscribe(queue.Topic, queue.Group, partition, (Wire.AckMode)options.AckMode, (uint)options.Prefetch),
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
        Log.Subscribed(Logger, queue, subscription.Partitions, options.AckMode, options.Prefetch);
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
