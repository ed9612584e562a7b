// How the proxy ends what it forwards: a reset, an orderly close, or silence.
namespace Sinew.FaultProxy;

internal enum CloseMode
{
    /// <summary>A TCP reset to both peers (SO_LINGER 0, then close): the peers see ECONNRESET.</summary>
    Reset,

    /// <summary>An orderly close (FIN) to both peers: each reads end of stream.</summary>
    Fin,

    /// <summary>Keep the connection open but discard what would be forwarded.</summary>
    Drop,
}

internal static class CloseModeNames
{
    public static CloseMode Parse(string? name, bool allowDrop) => name switch
    {
        null or "" or "rst" => CloseMode.Reset,
        "fin" => CloseMode.Fin,
        "drop" when allowDrop => CloseMode.Drop,
        _ => throw new FaultRequestException(allowDrop ? $"how must be rst, fin or drop, not '{name}'" : $"how must be rst or fin, not '{name}'"),
    };
}
