// Deliver frames stay within the frame limit the broker announces, however large the messages or the
// prefetch, so a consumer can always drain its queue.
using System.Text;
using Sinew.Broker.Tests.Support;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Tests;

public class DeliveryFrameTests
{
    [Theory(Timeout = 60_000)]
    [InlineData(20_000, 2000)]
    [InlineData(100, 30_000)]
    public async Task A_dispatch_larger_than_the_frame_limit_is_cut_into_frames_within_it(int messages, int payloadBytes)
    {
        await using var broker = await TestBroker.StartAsync(o =>
        {
            o.Limits.MaxFrameBytes = 1 << 16;
        });
        await using var client = await broker.ConnectAsync();
        Assert.Equal(1u << 16, client.Welcome!.Limits.MaxFrameBytes);
        await client.DeclareAsync("big");
        var payload = new byte[payloadBytes];
        var perBatch = Math.Max(1, 30_000 / payloadBytes);
        for (var sent = 0; sent < messages; sent += perBatch)
        {
            var batch = Enumerable.Range(0, Math.Min(perBatch, messages - sent)).Select(_ => new PublishMessage(payload)).ToList();
            await client.CallAsync<PublishOk>(new PublishBatch("big", null, batch), FrameFlags.Confirm);
        }

        // The client reads frames no larger than the announced limit, as every Sinew client does.
        await client.SubscribeAsync("big", prefetch: (uint)messages, ackMode: AckMode.Auto);
        var received = 0;
        var frames = 0;
        while (received < messages)
        {
            var frame = await client.NextPushAsync(TimeSpan.FromSeconds(20));
            if (frame.Message is Deliver deliver)
            {
                frames++;
                received += deliver.Messages.Count;
            }
        }

        Assert.Equal(messages, received);
        Assert.True(frames > 1, $"{frames} frame(s)");
    }

    [Fact(Timeout = 60_000)]
    public async Task A_consumer_that_stops_reading_is_sent_no_more_than_its_pending_limit_and_gets_the_rest_once_it_reads()
    {
        const int count = 1024;
        await using var broker = await TestBroker.StartAsync(o => o.Limits.MaxPendingDeliveryBytes = 1 << 20);
        await using var publisher = await broker.ConnectAsync();
        await publisher.DeclareAsync("backlog");
        var payload = new byte[32 << 10];
        for (var sent = 0; sent < count; sent += 16)
        {
            await publisher.CallAsync<PublishOk>(new PublishBatch("backlog", null, Enumerable.Range(0, 16).Select(_ => new PublishMessage(payload)).ToList()),
                FrameFlags.Confirm);
        }

        await using var consumer = await broker.ConnectAsync();
        await consumer.SubscribeAsync("backlog", prefetch: 65_535, ackMode: AckMode.Auto);
        consumer.StopReading();

        // 32 MiB are waiting; with 1 MiB allowed, most stay in the queue instead of in the broker's send buffers
        // (socket buffers take a few MiB more).
        await Task.Delay(1000);
        var partition = broker.Host.Context.Registry.Slots.Single(s => s.Name.Topic == "backlog").Queue.Partitions[0];
        Assert.True(partition.Stats.Ready > count / 2, $"{partition.Stats}");

        consumer.ResumeReading();
        for (var i = 0; i < count; i++)
        {
            await consumer.NextDeliveryAsync(TimeSpan.FromSeconds(20));
        }
    }
}
