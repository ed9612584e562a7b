// Which way a fault acts, named from the client's side.
namespace Sinew.Testing;

public enum ProxyDirection
{
    /// <summary>Both ways.</summary>
    Both,

    /// <summary>Client to broker (what the client writes).</summary>
    Up,

    /// <summary>Broker to client (what the client reads).</summary>
    Down,
}
