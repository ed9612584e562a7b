// The client: creating and connecting it, its state, and closing. Queues, publishing and subscribing live in the
// partial files named after them; all of it is a thin layer over the client core.
using Sinew.Client.Connection;
using Sinew.Client.Core;

namespace Sinew.Client;

/// <summary>A client of a Sinew broker. Thread-safe; create one per application and share it.</summary>
/// <remarks>
/// <para>The client holds one connection at a time and opens it lazily: <see cref="ConnectAsync"/> connects at
/// once, the constructor (used by dependency injection) on the first operation. When the connection drops, the next
/// operation reconnects first, following <see cref="SinewClientOptions.Reconnect"/>. Operations in flight when it
/// dropped fail with <see cref="ConnectionLostException"/> and are never replayed; subscriptions on it end with
/// <see cref="SubscriptionEndReason.ConnectionLost"/>; publishers simply continue on the new connection.</para>
/// <para>Close with <see cref="CloseAsync"/> or <see cref="DisposeAsync"/>: subscriptions are unsubscribed, the broker
/// is told Goodbye (and returns unsettled deliveries to their queues), and every background loop stops.</para>
/// </remarks>
public sealed partial class SinewClient : IAsyncDisposable, IDisposable
{
    private readonly ClientCore _core;

    /// <summary>Creates a client that connects on its first operation.</summary>
    /// <exception cref="InvalidArgumentException">The options are invalid; the message lists every problem.</exception>
    public SinewClient(SinewClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = SinewClientOptionsValidator.Problems(options);
        if (problems.Count > 0)
        {
            // The message lists every problem; the argument and reason are the first one's, as the other clients report.
            throw new InvalidArgumentException("The client options are invalid: " + string.Join(" ", problems.Select(p => p.Message)),
                problems[0].Argument, problems[0].Reason);
        }

        _core = new ClientCore(options.Clone());
    }

    /// <summary>Creates a client and connects it, trying each endpoint once, in order.</summary>
    /// <exception cref="ConnectionException">No endpoint accepted the connection and handshake.</exception>
    /// <exception cref="BrokerException">The broker refused the session (<c>unauthorized</c>, <c>protocol_mismatch</c>).</exception>
    /// <exception cref="InvalidArgumentException">The options are invalid.</exception>
    public static async Task<SinewClient> ConnectAsync(SinewClientOptions options, CancellationToken cancellationToken = default)
    {
        var client = new SinewClient(options);
        try
        {
            await client.EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Whether the client currently holds an open connection.</summary>
    public bool IsConnected => _core.Connections.Current is { IsOpen: true };

    /// <summary>Whether <see cref="CloseAsync"/> (or disposing) has begun; later operations fail with
    /// <see cref="ClientClosedException"/>.</summary>
    public bool IsClosed => _core.IsClosing;

    /// <summary>The options the client was made with, every default filled in. A copy: changing it has no effect on
    /// the client.</summary>
    public SinewClientOptions Options => _core.Options.Clone();

    /// <summary>The broker and session of the current connection; null while the client holds no open
    /// connection (before the first operation of a client created by its constructor, after a drop until the next
    /// operation reconnects, and after closing).</summary>
    public ServerInfo? ServerInfo => _core.Connections.Current is { IsOpen: true } connection ? Describe(connection) : null;

    /// <summary>The client core, for tests.</summary>
    internal ClientCore Core => _core;

    /// <summary>The current connection, for tests.</summary>
    internal SinewConnection? CurrentConnection => _core.Connections.Current;

    /// <summary>Connects now if not connected (reconnecting per the policy after a drop). Useful to fail fast at
    /// start-up, or in a health check, with a client created by dependency injection.</summary>
    public async Task EnsureConnectedAsync(CancellationToken cancellationToken = default) =>
        await _core.GetConnectionAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Closes the client: unsubscribes every subscription, says Goodbye (the broker returns unsettled
    /// deliveries to their queues, a failure counted only for those handed to the application), waits for the
    /// broker's answer up to <see cref="SinewClientOptions.CloseTimeout"/>, closes the socket and stops every
    /// background loop. Later operations fail with <see cref="ClientClosedException"/>. Calling it again waits for
    /// the same close.</summary>
    public Task CloseAsync(CancellationToken cancellationToken = default) => _core.CloseAsync(cancellationToken);

    /// <summary>Closes the client (see <see cref="CloseAsync"/>).</summary>
    public async ValueTask DisposeAsync() => await CloseAsync().ConfigureAwait(false);

    /// <summary>Closes the client, blocking until done; prefer <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => CloseAsync().GetAwaiter().GetResult();

    private static ServerInfo Describe(SinewConnection connection)
    {
        var session = connection.Session;
        var limits = session.Limits;
        return new ServerInfo(connection.Endpoint.ToString(), session.ServerId, session.ServerVersion, session.SessionId, session.Version,
            TimeSpan.FromMilliseconds(connection.HeartbeatMs),
            new BrokerLimits(limits.MaxFrameBytes, limits.MaxBatchMessages, limits.MaxHeaders, limits.MaxPrefetch));
    }
}
