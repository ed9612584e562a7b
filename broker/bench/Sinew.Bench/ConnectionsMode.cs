// `--mode connections`: what an idle connection costs the broker in memory, and whether it gets that memory back.
// Opens C connections that complete the handshake and then stay quiet (the raw client answers the broker's
// heartbeats), reads the growth of the broker's resident memory, closes them all and reads it again.
using System.Text.Json;
using Sinew.RawProtocol;

namespace Sinew.Bench;

internal static class ConnectionsMode
{
    public static async Task<int> RunAsync(BenchSettings s)
    {
        await using var broker = await BrokerUnderTest.StartAsync();

        // Open and close a few first, so what is measured is the connections, not the code paths' first use.
        await CloseAllAsync(await OpenAsync(broker, 20));
        await MemoryFigures.SettleAsync(s.SettleSeconds);
        var before = broker.RssBytes();

        var connections = await OpenAsync(broker, s.Connections);
        await MemoryFigures.SettleAsync(s.SettleSeconds);
        var open = broker.RssBytes();
        var perConnection = MemoryFigures.PerItem(before, open, s.Connections);

        await CloseAllAsync(connections);
        await MemoryFigures.SettleAsync(s.SettleSeconds);
        var afterClose = broker.RssBytes();
        Console.WriteLine($"{s.Connections:N0} idle connections: broker RSS {MemoryFigures.Megabytes(before)} -> {MemoryFigures.Megabytes(open)}, " +
                          $"{perConnection:N0} B per connection; {MemoryFigures.Megabytes(afterClose)} {s.SettleSeconds} s after they all closed");
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            mode = "connections",
            connections = s.Connections,
            broker_rss_before_bytes = before,
            broker_rss_open_bytes = open,
            bytes_per_connection = perConnection,
            broker_rss_after_close_bytes = afterClose,
        }));
        return 0;
    }

    private static async Task<List<RawConnection>> OpenAsync(BrokerUnderTest broker, int count)
    {
        var connections = new List<RawConnection>(count);
        for (var i = 0; i < count; i++)
        {
            connections.Add(await BenchConnection.OpenAsync(broker.Endpoint, _ => { }));
        }

        return connections;
    }

    private static async Task CloseAllAsync(List<RawConnection> connections)
    {
        foreach (var connection in connections)
        {
            await connection.DisposeAsync();
        }
    }
}
