// A broker address parsed from "host:port", "[v6]:port" or a bare host.
using System.Globalization;

namespace Sinew.Client.Connection;

/// <summary>A broker's host and port.</summary>
internal readonly record struct BrokerEndpoint(string Host, int Port)
{
    /// <summary>The protocol's default port.</summary>
    public const int DefaultPort = 7420;

    /// <summary>Parses <c>host:port</c>, <c>[v6]:port</c>, or a host alone (port 7420).</summary>
    public static bool TryParse(string? text, out BrokerEndpoint endpoint, out string error)
    {
        endpoint = default;
        if (string.IsNullOrEmpty(text))
        {
            error = "it is empty";
            return false;
        }

        if (text.Any(char.IsWhiteSpace))
        {
            error = "it contains whitespace";
            return false;
        }

        if (text.Contains("://", StringComparison.Ordinal))
        {
            error = "it has a URL scheme; write only host:port";
            return false;
        }

        string host;
        string? port;
        if (text[0] == '[')
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = "the IPv6 address has no closing ']'";
                return false;
            }

            host = text[1..close];
            var rest = text[(close + 1)..];
            if (rest.Length > 0 && rest[0] != ':')
            {
                error = "only ':port' may follow the IPv6 address";
                return false;
            }

            port = rest.Length > 0 ? rest[1..] : null;
        }
        else if (text.Count(c => c == ':') > 1)
        {
            // A bare IPv6 address: without brackets its last group cannot be told from a port.
            host = text;
            port = null;
        }
        else
        {
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            host = colon < 0 ? text : text[..colon];
            port = colon < 0 ? null : text[(colon + 1)..];
        }

        if (host.Length == 0)
        {
            error = "the host is empty";
            return false;
        }

        var portNumber = DefaultPort;
        if (port is not null
            && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out portNumber) || portNumber is < 1 or > 65535))
        {
            error = $"the port '{port}' is not a number from 1 to 65535";
            return false;
        }

        endpoint = new BrokerEndpoint(host, portNumber);
        error = string.Empty;
        return true;
    }

    /// <summary>Parses an address known to be valid (the options were validated).</summary>
    public static BrokerEndpoint Parse(string text) =>
        TryParse(text, out var endpoint, out var error) ? endpoint : throw new InvalidArgumentException($"The broker address \"{text}\" is not valid: {error}.",
            nameof(SinewClientOptions.Endpoints), "invalid_endpoint");

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
