// The maintenance loop: heartbeats both ways, dead-peer detection and request timeouts, on one timer.
using Sinew.Client.Diagnostics;
using Sinew.Client.Internal;
using Sinew.Protocol.Messages;

namespace Sinew.Client.Connection;

internal sealed partial class SinewConnection
{
    /// <summary>How often the loop wakes: fine enough for the heartbeat and the request timeout, never busier than
    /// every 10 ms nor lazier than every second.</summary>
    private TimeSpan Tick
    {
        get
        {
            var ms = _requestTimeoutMs / 4;
            if (HeartbeatMs > 0)
            {
                ms = Math.Min(ms, HeartbeatMs / 4);
            }

            return TimeSpan.FromMilliseconds(Math.Clamp(ms, 10, 1000));
        }
    }

    private async Task MaintenanceLoopAsync()
    {
        using var timer = new PeriodicTimer(Tick);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                var now = Environment.TickCount64;
                _pending.Expire(now, request => new OperationTimeoutException(
                    $"{request.Describe()} got no answer from {Endpoint} within the request timeout of " +
                    $"{Durations.Describe(TimeSpan.FromMilliseconds(_requestTimeoutMs))}; it may or may not have taken effect. " +
                    "Retry it, or raise SinewClientOptions.RequestTimeout if the broker is just slow.",
                    TimeSpan.FromMilliseconds(_requestTimeoutMs)));

                if (HeartbeatMs <= 0)
                {
                    continue;
                }

                // While this side has stopped reading (flow control), silence is expected and proves nothing.
                var silence = now - LastReceivedMs;
                if (!IsReadingPaused && silence >= 3 * HeartbeatMs)
                {
                    Log.HeartbeatTimeout(_logger, Endpoint, silence);
                    Abort(new ConnectionLostException(
                        $"Nothing arrived from {Endpoint} for {silence} ms, three heartbeat intervals; the connection is considered dead.", Endpoint.ToString()));
                    return;
                }

                if (now - _writer.LastWriteMs >= HeartbeatMs)
                {
                    SendPing();
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private void SendPing()
    {
        var ping = new PendingPing();
        try
        {
            Queue(ping, Ping.Instance, Protocol.Framing.FrameFlags.None);
        }
        catch (SinewException)
        {
            // The connection is ending; the heartbeat no longer matters.
        }
    }
}
