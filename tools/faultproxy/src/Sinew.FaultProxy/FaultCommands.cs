// What each control command does to the open connections and to the faults waiting for new ones. The
// control endpoint maps one URL to each of these.
namespace Sinew.FaultProxy;

internal sealed class FaultCommands(ProxyServer server)
{
    /// <summary>Ends connections towards both peers, with a reset or an orderly close.</summary>
    public IReadOnlyList<long> Cut(FaultRequest request)
    {
        var mode = CloseModeNames.Parse(request.How, allowDrop: false);
        if (request.ForNew)
        {
            server.NewConnections.Cut(mode);
        }

        return ForEachConnection(request, connection => connection.Close(mode));
    }

    /// <summary>Sends an end of stream in one direction only; the other keeps flowing.</summary>
    public IReadOnlyList<long> HalfClose(FaultRequest request)
    {
        var directions = RequireOneDirection(request);
        if (request.ForNew)
        {
            server.NewConnections.HalfClose(directions);
        }

        return ForEachPump(request, directions, pump => pump.HalfClose());
    }

    public IReadOnlyList<long> Stall(FaultRequest request)
    {
        var directions = DirectionNames.Parse(request.Direction);
        if (request.ForNew)
        {
            server.NewConnections.Stall(directions);
        }

        return ForEachPump(request, directions, pump => pump.Stall());
    }

    /// <summary>Lifts stalls, on open connections and for new ones alike, whatever the scope.</summary>
    public IReadOnlyList<long> Resume(FaultRequest request)
    {
        var directions = DirectionNames.Parse(request.Direction);
        server.NewConnections.Resume(directions);
        return ForEachPump(request with { Scope = "current" }, directions, pump => pump.Resume());
    }

    public IReadOnlyList<long> Delay(FaultRequest request)
    {
        var milliseconds = request.Milliseconds ?? throw new FaultRequestException("delay needs ms");
        if (milliseconds is < 0 or > 60_000)
        {
            throw new FaultRequestException("ms must be between 0 and 60000");
        }

        var directions = DirectionNames.Parse(request.Direction);
        if (request.ForNew)
        {
            server.NewConnections.Delay(directions, milliseconds);
        }

        return ForEachPump(request, directions, pump => pump.Delay(milliseconds));
    }

    /// <summary>Forwards a number of bytes more in a direction, then resets, closes or starts discarding.</summary>
    public IReadOnlyList<long> CloseAfter(FaultRequest request)
    {
        var bytes = request.Bytes ?? throw new FaultRequestException("close-after needs bytes");
        if (bytes < 0)
        {
            throw new FaultRequestException("bytes must not be negative");
        }

        var then = CloseModeNames.Parse(request.How, allowDrop: true);
        var directions = DirectionNames.Parse(request.Direction);
        if (request.ForNew)
        {
            server.NewConnections.CloseAfter(directions, bytes, then);
        }

        return ForEachPump(request, directions, pump => pump.CloseAfter(bytes, then));
    }

    /// <summary>Forwards nothing: open connections discard what they read; new ones get no broker side at all.</summary>
    public IReadOnlyList<long> Blackhole(FaultRequest request)
    {
        if (request.ForNew)
        {
            server.NewConnections.SetBlackhole();
        }

        return ForEachPump(request, DirectionNames.Parse(request.Direction), pump => pump.Discard());
    }

    /// <summary>Clears the faults waiting for new connections and lifts stalls and delays on open ones. Cuts,
    /// half-closes and discarded bytes cannot be undone.</summary>
    public IReadOnlyList<long> Reset()
    {
        server.NewConnections.Clear();
        return ForEachPump(new FaultRequest(), Directions.Both, pump =>
        {
            pump.Delay(0);
            pump.Resume();
        });
    }

    private static Directions RequireOneDirection(FaultRequest request)
    {
        var directions = DirectionNames.Parse(request.Direction);
        return directions == Directions.Both && string.IsNullOrEmpty(request.Direction)
            ? throw new FaultRequestException("half-close needs a direction: up or down (or both)")
            : directions;
    }

    private IReadOnlyList<long> ForEachConnection(FaultRequest request, Action<ProxiedConnection> act)
    {
        if (!request.ForCurrent)
        {
            return [];
        }

        var connections = server.Select(request.Connection);
        foreach (var connection in connections)
        {
            act(connection);
        }

        return [.. connections.Select(c => c.Id)];
    }

    private IReadOnlyList<long> ForEachPump(FaultRequest request, Directions directions, Action<Pump> act) =>
        ForEachConnection(request, connection =>
        {
            foreach (var pump in connection.Pumps(directions))
            {
                act(pump);
            }
        });
}
