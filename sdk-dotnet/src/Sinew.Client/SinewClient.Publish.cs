// Creating publishers: the checks of their options, then a publish pipeline on the client core.
using Sinew.Client.Core;
using Sinew.Client.Internal;
using Sinew.Client.Routing;
using Sinew.Protocol.Timing;

namespace Sinew.Client;

public sealed partial class SinewClient
{
    private static readonly PublisherOptions DefaultPublisherOptions = new();
    private static readonly ReliablePublisherOptions DefaultReliablePublisherOptions = new();

    /// <summary>A publisher for one queue. Nothing is sent until the first publish.</summary>
    /// <param name="topic">The queue's topic.</param>
    /// <param name="options">Its group and defaults; null for none.</param>
    /// <exception cref="InvalidArgumentException">The topic, group or a default is invalid.</exception>
    public Publisher CreatePublisher(string topic, PublisherOptions? options = null)
    {
        options ??= DefaultPublisherOptions;
        var queue = new QueueKey(Arguments.Topic(topic), Arguments.Group(options.Group));
        Arguments.NotNegative(options.Delay, nameof(PublisherOptions.Delay), "delay");
        Arguments.InRange(options.Delay, DurationField.PublishDelay, nameof(PublisherOptions.Delay), "delay");
        Arguments.Positive(options.Ttl, nameof(PublisherOptions.Ttl), "TTL");
        Arguments.InRange(options.Ttl, DurationField.PublishTtl, nameof(PublisherOptions.Ttl), "TTL");
        _core.ThrowIfClosed($"Creating a publisher for queue {queue}");
        return new Publisher(Pipeline(queue, options.Delay, options.Ttl));
    }

    /// <summary>A publisher that stamps every message with a producer id and sequence number and retries retryable
    /// failures until the broker confirms (see <see cref="ReliablePublisher"/>).</summary>
    /// <exception cref="InvalidArgumentException">The topic, group, producer id or a setting is invalid.</exception>
    public ReliablePublisher CreateReliablePublisher(string topic, ReliablePublisherOptions? options = null)
    {
        options ??= DefaultReliablePublisherOptions;
        var queue = new QueueKey(Arguments.Topic(topic), Arguments.Group(options.Group));
        var producerId = Arguments.ProducerId(options.ProducerId ?? Guid.NewGuid().ToString("N"));
        if (options.MaxAttempts < 1)
        {
            throw new InvalidArgumentException($"MaxAttempts is {options.MaxAttempts}; use at least 1 (the first attempt counts).", nameof(ReliablePublisherOptions.MaxAttempts), "out_of_range");
        }

        Arguments.NotNegative(options.InitialRetryDelay, nameof(ReliablePublisherOptions.InitialRetryDelay), "retry delay");
        if (options.MaxRetryDelay < options.InitialRetryDelay)
        {
            throw new InvalidArgumentException($"MaxRetryDelay ({options.MaxRetryDelay}) is shorter than InitialRetryDelay ({options.InitialRetryDelay}).",
                nameof(ReliablePublisherOptions.MaxRetryDelay), "out_of_range");
        }

        Arguments.NotNegative(options.Delay, nameof(ReliablePublisherOptions.Delay), "delay");
        Arguments.InRange(options.Delay, DurationField.PublishDelay, nameof(ReliablePublisherOptions.Delay), "delay");
        Arguments.Positive(options.Ttl, nameof(ReliablePublisherOptions.Ttl), "TTL");
        Arguments.InRange(options.Ttl, DurationField.PublishTtl, nameof(ReliablePublisherOptions.Ttl), "TTL");
        _core.ThrowIfClosed($"Creating a reliable publisher for queue {queue}");
        return new ReliablePublisher(Pipeline(queue, options.Delay, options.Ttl), options, producerId);
    }

    private PublishPipeline<PublishReceipt> Pipeline(QueueKey queue, TimeSpan? defaultDelay, TimeSpan? defaultTtl) =>
        new(_core, new PublishTarget(queue, _core.Topology), defaultDelay, defaultTtl, PublishReceipt.FromConfirmed);
}
