// The resident-body budget (storage.max_resident_bytes): bodies beyond it stay on disk and are read back when their
// message is delivered, intact and in order, both for messages published while the broker runs and for messages
// recovered after a restart; the bytes held in memory never exceed the budget by more than the deliveries in flight.
using Sinew.Broker.Tests.Support;

namespace Sinew.Broker.Tests;

public class ResidentBudgetSpillTests
{
    // The smallest budget the configuration accepts, and bodies of which it holds fifteen.
    private const long Budget = 1 << 20;
    private const int PayloadBytes = 64 << 10;
    private const int Messages = 40;

    [Fact(Timeout = 90_000)]
    public async Task Bodies_beyond_the_budget_are_read_back_from_disk_and_delivered_intact_in_order()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Storage.MaxResidentBytes = Budget);
        var resident = () => broker.Host.Context.Services.Resident.Bytes;
        await using (var client = await broker.ConnectAsync())
        {
            await client.DeclareAsync("spill");
            for (var i = 0; i < Messages; i++)
            {
                Assert.Equal((ulong)i, (await client.PublishAsync("spill", Payload(i))).Offset);
                Assert.True(resident() <= Budget, $"{resident()} resident bytes after {i + 1} publishes, over the budget of {Budget}");
            }

            // The queue holds 2.5 MiB of bodies within a 1 MiB budget: most of them are on disk only.
            // Half of them delivered while the broker runs, one at a time.
            await ConsumeAsync(client, from: 0, count: Messages / 2, resident);
        }

        // The other half recovered after a restart: recovery holds bodies within the budget too.
        await broker.RestartAsync(o => o.Storage.MaxResidentBytes = Budget);
        await broker.Host.Context.Verification.Completion.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(resident() <= Budget, $"{resident()} resident bytes after recovery, over the budget of {Budget}");
        await using (var client = await broker.ConnectAsync())
        {
            await ConsumeAsync(client, from: Messages / 2, count: Messages / 2, resident);
        }

        // Nothing is left unsettled, so nothing stays in memory.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (resident() != 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(0, resident());
    }

    // Receives count messages with one delivery in flight at a time, checking each body and the resident bytes.
    private static async Task ConsumeAsync(RawClient client, int from, int count, Func<long> resident)
    {
        await client.SubscribeAsync("spill", prefetch: 1);
        for (var i = from; i < from + count; i++)
        {
            var delivery = await client.NextDeliveryAsync();
            Assert.Equal((ulong)i, delivery.Offset);
            Assert.True(Payload(i).AsSpan().SequenceEqual(delivery.Payload.Span), $"the body of message {i} came back altered");

            // A body read back for a delivery is held while it is in flight, whatever the budget: one body here.
            Assert.True(resident() <= Budget + PayloadBytes + 1024, $"{resident()} resident bytes with one delivery in flight");
            await client.AckAsync(delivery.DeliveryId);
        }
    }

    // A payload that differs from every other message's at every position, so a body read from the wrong place or
    // cut short is noticed.
    private static byte[] Payload(int message)
    {
        var payload = new byte[PayloadBytes];
        new Random(message).NextBytes(payload);
        payload[0] = (byte)message;
        return payload;
    }
}
