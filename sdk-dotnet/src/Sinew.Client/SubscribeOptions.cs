// Settings of a subscription.
namespace Sinew.Client;

/// <summary>Settings for <see cref="SinewClient.SubscribeAsync"/>.</summary>
public sealed record SubscribeOptions
{
    /// <summary>The default prefetch: 100.</summary>
    public const int DefaultPrefetch = 100;

    /// <summary>The queue's group; null, <c>""</c> and <c>"default"</c> mean no group (default: none).</summary>
    public string? Group { get; init; }

    /// <summary>Most unsettled deliveries held at once per partition subscription, from 1 to the broker's
    /// <c>max_prefetch</c> (default: 100). With <see cref="AckMode.Auto"/> it bounds the deliveries per frame.</summary>
    public int Prefetch { get; init; } = DefaultPrefetch;

    /// <summary>How deliveries are settled (default: <see cref="AckMode.Manual"/>).</summary>
    public AckMode AckMode { get; init; } = AckMode.Manual;

    /// <summary>One partition to consume; null to consume every partition, one broker subscription each, merged
    /// into one stream (default: all).</summary>
    public int? Partition { get; init; }
}
