// Which connections a fault applies to.
namespace Sinew.Testing;

public enum ProxyScope
{
    /// <summary>The connections open now.</summary>
    Current,

    /// <summary>Connections accepted from now on, until <see cref="FaultProxy.ResetAsync"/>.</summary>
    New,

    /// <summary>Both.</summary>
    All,
}
