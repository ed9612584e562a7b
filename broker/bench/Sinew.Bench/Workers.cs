// The benchmark's producers and consumers.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;
using Sinew.RawProtocol;

namespace Sinew.Bench;

internal static class Workers
{
    /// <summary>Publishes <paramref name="count"/> confirmed messages keeping <paramref name="inflight"/>
    /// unconfirmed, optionally paced at <paramref name="ratePerSecond"/>. Each payload starts with the
    /// send time, for latency measurements.</summary>
    public static async Task ProduceAsync(IPEndPoint endpoint, string queue, int count, int inflight, int size, double? ratePerSecond)
    {
        using var window = new SemaphoreSlim(inflight);
        var confirmed = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var connection = await BenchConnection.OpenAsync(endpoint, frame =>
        {
            switch (frame.Message)
            {
                case PublishOk:
                    window.Release();
                    if (Interlocked.Increment(ref confirmed) == count)
                    {
                        done.TrySetResult();
                    }

                    break;
                case Error error:
                    done.TrySetException(new InvalidOperationException($"publish failed: {error.Message}"));
                    break;
            }
        });

        var payload = new byte[size];
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            if (ratePerSecond is { } rate)
            {
                var due = started + (long)(i / rate * Stopwatch.Frequency);
                var wait = due - Stopwatch.GetTimestamp();
                if (wait > Stopwatch.Frequency / 1000)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
                }
            }

            await window.WaitAsync();
            BinaryPrimitives.WriteInt64LittleEndian(payload, Stopwatch.GetTimestamp());
            connection.Send(new Publish(queue, null, new PublishMessage(payload)), connection.NextRequestId(), FrameFlags.Confirm);
        }

        await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
    }

    /// <summary>Consumes until <paramref name="total"/> messages arrived across all consumers, acking each one.</summary>
    public static async Task ConsumeAsync(IPEndPoint endpoint, string queue, int consumers, int prefetch, int total, LatencyRecorder? latencies)
    {
        var received = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var connections = new List<RawConnection>();
        for (var c = 0; c < consumers; c++)
        {
            RawConnection? self = null;
            var connection = await BenchConnection.OpenAsync(endpoint, frame =>
            {
                if (frame.Message is not Deliver deliver)
                {
                    return;
                }

                var now = Stopwatch.GetTimestamp();
                foreach (var message in deliver.Messages)
                {
                    latencies?.Record(now - BinaryPrimitives.ReadInt64LittleEndian(message.Payload.Span));
                    self!.Send(new Ack([message.DeliveryId]));
                }

                if (Interlocked.Add(ref received, deliver.Messages.Count) >= total)
                {
                    done.TrySetResult();
                }
            });
            self = connection;
            connection.Send(new Subscribe(queue, null, null, AckMode.Manual, (uint)prefetch), connection.NextRequestId());
            connections.Add(connection);
        }

        try
        {
            await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
        }
        finally
        {
            foreach (var connection in connections)
            {
                // A broker handles a connection's frames in order: once it answers a ping, it has applied every
                // ack sent before, which closing the connection would otherwise race (unsettled deliveries return).
                try
                {
                    await connection.RequestAsync(Ping.Instance, timeout: TimeSpan.FromSeconds(30));
                }
                catch (Exception e) when (e is TimeoutException or RawConnectionClosedException)
                {
                }

                await connection.DisposeAsync();
            }
        }
    }
}

/// <summary>Collects latencies (in Stopwatch ticks) and reports percentiles in milliseconds.</summary>
internal sealed class LatencyRecorder
{
    private readonly List<long> _ticks = [];

    public void Record(long ticks)
    {
        lock (_ticks)
        {
            _ticks.Add(ticks);
        }
    }

    public double Percentile(double percentile)
    {
        lock (_ticks)
        {
            if (_ticks.Count == 0)
            {
                return double.NaN;
            }

            _ticks.Sort();
            var index = (int)Math.Min(_ticks.Count - 1, Math.Ceiling(percentile / 100 * _ticks.Count) - 1);
            return _ticks[Math.Max(0, index)] * 1000.0 / Stopwatch.Frequency;
        }
    }
}
