// What the tests against the real broker share: the collections that share one broker each, unique queue
// names, and reading deliveries with deadlines.
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

/// <summary>Tests of publishing and routing, sharing one broker. Tests within a collection run one after another;
/// the collections run in parallel, each with its own broker.</summary>
[CollectionDefinition(Name)]
public sealed class PublishingBroker : ICollectionFixture<SinewBrokerFixture>
{
    public const string Name = "Real broker: publishing";
}

/// <summary>Tests of consuming and settling, sharing one broker.</summary>
[CollectionDefinition(Name)]
public sealed class ConsumingBroker : ICollectionFixture<SinewBrokerFixture>
{
    public const string Name = "Real broker: consuming";
}

/// <summary>Tests that start brokers of their own (to restart, stop or configure them), one test at a time so
/// that no more than a couple of extra brokers run at once.</summary>
[CollectionDefinition(Name)]
public sealed class OwnBrokers
{
    public const string Name = "Real broker: own brokers";
}

internal static class RealBroker
{
    /// <summary>A queue name no other test uses, so tests sharing a broker never see each other's messages.</summary>
    public static string UniqueTopic(string what) => $"it.{what}.{Guid.NewGuid():N}";

    /// <summary>The next delivery, failing the test when none arrives in time.</summary>
    public static async Task<Delivery> ReceiveAsync(Subscription subscription, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(5);
        return await NextAsync(subscription, limit) ?? throw new Xunit.Sdk.XunitException($"No delivery arrived within {limit.TotalMilliseconds} ms.");
    }

    /// <summary>The next delivery, or null when none arrives within <paramref name="within"/>. Leaves the
    /// subscription open either way.</summary>
    public static async Task<Delivery?> NextAsync(Subscription subscription, TimeSpan within)
    {
        using var deadline = new CancellationTokenSource(within);
        await using var deliveries = subscription.GetAsyncEnumerator(deadline.Token);
        try
        {
            return await deliveries.MoveNextAsync() ? deliveries.Current : null;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Reads <paramref name="count"/> deliveries, failing the test when they do not all arrive in time.</summary>
    public static async Task<List<Delivery>> ReceiveManyAsync(Subscription subscription, int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        var received = new List<Delivery>(count);
        while (received.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            var next = left > TimeSpan.Zero ? await NextAsync(subscription, left) : null;
            Assert.True(next is not null, $"Only {received.Count} of {count} deliveries arrived in time.");
            received.Add(next);
        }

        return received;
    }
}
