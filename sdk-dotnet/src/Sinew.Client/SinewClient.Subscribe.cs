// Subscribing: the checks of the options; the client core opens the broker subscriptions and merges them.
using Sinew.Client.Internal;
using Sinew.Client.Routing;

namespace Sinew.Client;

public sealed partial class SinewClient
{
    private static readonly SubscribeOptions DefaultSubscribeOptions = new();

    /// <summary>Subscribes to a queue. Without <see cref="SubscribeOptions.Partition"/>, the client opens one broker
    /// subscription per partition (it learns the count from earlier declarations or the broker's topology) and merges
    /// them; each delivery settles on its own partition's subscription.</summary>
    /// <param name="topic">The queue's topic. A topic starting with <c>$</c> names a queue the broker owns, such as
    /// <c>$dead-letters</c>, which receives the dead letters of queues with the <c>global</c> policy unless the broker's
    /// operator chose another target.</param>
    /// <param name="options">Group, prefetch, ack mode and partition; null for the defaults.</param>
    /// <param name="cancellationToken">Stops waiting for the broker; subscriptions it creates anyway are ended.</param>
    /// <exception cref="InvalidArgumentException">A name or option is invalid; nothing was sent.</exception>
    /// <exception cref="BrokerException">The broker refused, for example <c>not_found</c> for a queue never declared.</exception>
    public async Task<Subscription> SubscribeAsync(string topic, SubscribeOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= DefaultSubscribeOptions;
        var queue = new QueueKey(Arguments.SubscribeTopic(topic), Arguments.Group(options.Group));
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

        var subscription = await _core.SubscribeAsync(queue, options.AckMode, options.Prefetch, options.Partition, cancellationToken).ConfigureAwait(false);
        return new Subscription(subscription);
    }
}
