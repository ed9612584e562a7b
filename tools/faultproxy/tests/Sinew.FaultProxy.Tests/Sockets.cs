// Reading from the ends of a proxied pair with bounded waits.
using System.Net.Sockets;
using System.Text;

namespace Sinew.FaultProxy.Tests;

internal static class Sockets
{
    public static Task<int> SendAsync(this Socket socket, string text) => socket.SendAsync(Encoding.ASCII.GetBytes(text));

    /// <summary>Reads until <paramref name="count"/> bytes came, failing the test if they do not in time.</summary>
    public static async Task<string> ReceiveExactlyAsync(this Socket socket, int count)
    {
        var buffer = new byte[count];
        var received = 0;
        using var timeout = new CancellationTokenSource(ProxiedPair.Patience);
        while (received < count)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, timeout.Token);
            Assert.True(read > 0, $"the stream ended after {received} of {count} bytes");
            received += read;
        }

        return Encoding.ASCII.GetString(buffer);
    }

    /// <summary>How the next read ends: "eof", "reset", or the text of the bytes that came.</summary>
    public static async Task<string> ReadOutcomeAsync(this Socket socket)
    {
        var buffer = new byte[1024];
        using var timeout = new CancellationTokenSource(ProxiedPair.Patience);
        try
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            return read == 0 ? "eof" : Encoding.ASCII.GetString(buffer, 0, read);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return "reset";
        }
    }

    /// <summary>Reads until the stream ends or resets, returning what came before and how it ended.</summary>
    public static async Task<(string Text, string End)> ReadToEndAsync(this Socket socket)
    {
        var text = new StringBuilder();
        while (true)
        {
            var outcome = await socket.ReadOutcomeAsync();
            if (outcome is "eof" or "reset")
            {
                return (text.ToString(), outcome);
            }

            text.Append(outcome);
        }
    }

    /// <summary>True when nothing arrives within <paramref name="window"/> (a check of absence, not a wait for anything).</summary>
    public static async Task<bool> NothingArrivesWithinAsync(this Socket socket, TimeSpan window)
    {
        var buffer = new byte[1];
        using var timeout = new CancellationTokenSource(window);
        try
        {
            await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }
}
