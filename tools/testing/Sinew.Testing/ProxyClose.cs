// How the fault proxy ends a connection.
namespace Sinew.Testing;

public enum ProxyClose
{
    /// <summary>A TCP reset to both peers.</summary>
    Reset,

    /// <summary>An orderly close (FIN) to both peers.</summary>
    Fin,

    /// <summary>For <see cref="FaultProxy.CloseAfterAsync"/>: keep the connection open and discard the rest.</summary>
    Drop,
}
