// The handshake (version negotiation and authentication) and the heartbeat loop that also enforces
// the handshake timeout and the idle timeout.
using System.Globalization;
using Sinew.Broker.Diagnostics;
using Sinew.Broker.Security;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;
using Sinew.Protocol.Timing;

namespace Sinew.Broker.Network;

internal sealed partial class Session
{
    private long _heartbeatMs;
    // After a resume: the last delivery id the broken connection may have carried. Later ones were made for this
    // connection, so a subscription the client no longer has returns them without counting a failure.
    private long _resumedAtDeliveryId = long.MaxValue;

    private bool HandleHello(FrameHeader header, Hello hello)
    {
        if (header.Version != ProtocolVersions.Handshake)
        {
            FailConnection(header.RequestId, ErrorCode.ProtocolMismatch, $"Hello must be sent as version {ProtocolVersions.Handshake}",
                new Dictionary<string, string> { ["supported"] = Supported });
            return false;
        }

        var low = Math.Max(hello.MinVersion, ProtocolVersions.Min);
        var high = Math.Min(hello.MaxVersion, ProtocolVersions.Max);
        if (low > high)
        {
            FailConnection(header.RequestId, ErrorCode.ProtocolMismatch,
                $"the client speaks versions {hello.MinVersion}..{hello.MaxVersion}; this broker speaks {Supported}",
                new Dictionary<string, string> { ["supported"] = Supported });
            return false;
        }

        if (_broker.Options.Auth.Enabled && !Authenticate(hello.Auth))
        {
            _broker.Services.Logger.AuthenticationFailed(Id, hello.Auth?.Identity ?? "(none)");
            FailConnection(header.RequestId, ErrorCode.Unauthorized,
                hello.Auth is null
                    ? "this broker requires a user name and password"
                    : "the user name or password is wrong");
            return false;
        }

        // A proposal of 1 s..5 min is taken as it is; any other, 2^64-1 included, gets the broker's own interval. It is
        // never refused: it is a preference, and a refused Hello would cost the client its connection.
        _heartbeatMs = (long)DurationRules.NegotiateHeartbeat(hello.HeartbeatMs, (ulong)Math.Max(0, _broker.Options.Connection.HeartbeatMs));
        _handshakeDone = true;
        var user = _broker.Options.Auth.Enabled ? hello.Auth?.Identity : null;
        var dormant = hello.ResumeToken is { } token ? _broker.Sessions.TryResume(token.Span, user) : null;
        var resumed = dormant is not null;
        _state = dormant ?? new SessionState(user);
        var limits = _broker.Options.Limits;
        Send(new HelloOk(
            (byte)high,
            _broker.ServerId,
            _broker.ServerVersion,
            SessionId,
            _state.IssueToken(),
            resumed,
            (ulong)_heartbeatMs,
            new Limits((uint)limits.MaxFrameBytes, (uint)limits.MaxBatchMessages, (uint)limits.MaxHeaders, (uint)limits.MaxPrefetch,
                (uint)limits.MaxListItems)),
            header.RequestId);
        StartTopology(hello);

        // Only now, with HelloOk queued ahead of any Deliver, may the partitions deliver to this connection again.
        _state.Attach(this);
        if (resumed)
        {
            _resumedAtDeliveryId = _state.LastDeliveryId;
            Logger.SessionResumed(Id, SessionId);
            _state.KickSubscriptions();
        }

        return true;
    }

    private static string Supported => ProtocolVersions.Min == ProtocolVersions.Max
        ? ProtocolVersions.Min.ToString(CultureInfo.InvariantCulture)
        : $"{ProtocolVersions.Min}..{ProtocolVersions.Max}";

    private bool Authenticate(Auth? auth)
    {
        if (auth is null || auth.Mechanism != AuthMechanism.Plain)
        {
            return false;
        }

        return UserCredentials.Match(_broker.Options.Auth.Users, auth.Identity, auth.Secret);
    }

    private async Task HeartbeatLoopAsync()
    {
        var handshakeDeadline = NowMs + _broker.Options.Connection.HandshakeTimeoutMs;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            while (await timer.WaitForNextTickAsync(_closing.Token).ConfigureAwait(false))
            {
                var now = NowMs;
                if (!_handshakeDone)
                {
                    if (now >= handshakeDeadline)
                    {
                        Abort($"no Hello within {_broker.Options.Connection.HandshakeTimeoutMs} ms");
                        return;
                    }

                    continue;
                }

                if (_heartbeatMs <= 0)
                {
                    continue;
                }

                // Only complete frames count as traffic, so a client trickling bytes is still idle.
                if (now - Volatile.Read(ref _lastReceivedMs) > 3 * _heartbeatMs)
                {
                    Abort($"nothing received for {3 * _heartbeatMs} ms (three heartbeat intervals)");
                    return;
                }

                if (now - Volatile.Read(ref _lastSentMs) >= _heartbeatMs)
                {
                    Send(Ping.Instance, Interlocked.Increment(ref _nextServerRequestId));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
