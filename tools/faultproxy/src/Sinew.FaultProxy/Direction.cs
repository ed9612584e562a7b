// The two directions bytes flow through the proxy, named from the client's side.
namespace Sinew.FaultProxy;

/// <summary>Which way bytes flow: <see cref="Up"/> is client to broker, <see cref="Down"/> broker to client.</summary>
[Flags]
internal enum Directions
{
    None = 0,
    Up = 1,
    Down = 2,
    Both = Up | Down,
}

internal static class DirectionNames
{
    /// <summary>"up", "down" or "both" (the default when absent).</summary>
    public static Directions Parse(string? name) => name switch
    {
        null or "" or "both" => Directions.Both,
        "up" => Directions.Up,
        "down" => Directions.Down,
        _ => throw new FaultRequestException($"direction must be up, down or both, not '{name}'"),
    };
}
