// Client options tuned for tests: short timeouts and quick reconnection, pointed at a broker (real or the scripted fake).
using Sinew.Client.Tests.Fakes;

namespace Sinew.Client.Tests;

internal static class TestClients
{
    public static SinewClientOptions Options(string endpoint, Action<SinewClientOptions>? configure = null)
    {
        var options = new SinewClientOptions
        {
            Endpoints = [endpoint],
            ClientName = "client-tests",
            ConnectTimeout = TimeSpan.FromSeconds(3),
            RequestTimeout = TimeSpan.FromSeconds(3),
            CloseTimeout = TimeSpan.FromSeconds(1),
            Heartbeat = TimeSpan.Zero,
            Reconnect = new ReconnectPolicy { MaxAttempts = 3, InitialDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(100) },
        };
        configure?.Invoke(options);
        return options;
    }

    public static Task<SinewClient> ConnectAsync(FakeBroker broker, Action<SinewClientOptions>? configure = null) =>
        SinewClient.ConnectAsync(Options(broker.Endpoint, configure));

    /// <summary>Reads deliveries until <paramref name="count"/> have arrived or the time runs out.</summary>
    public static async Task<List<Delivery>> TakeAsync(Subscription subscription, int count, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        var deliveries = new List<Delivery>(count);
        await foreach (var delivery in subscription.WithCancellation(cancel.Token))
        {
            deliveries.Add(delivery);
            if (deliveries.Count == count)
            {
                break;
            }
        }

        return deliveries;
    }

    /// <summary>Polls until <paramref name="condition"/> holds, failing after the timeout.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting until {what}.");
            }

            await Task.Delay(10);
        }
    }
}
