// The command line: where to listen, what to forward to, where to take commands. Every address must be a
// loopback address: the proxy is for tests on one machine.
using System.Net;

namespace Sinew.FaultProxy;

internal sealed record ProxyArguments(IPEndPoint Target, IPEndPoint Listen, IPEndPoint Control)
{
    public const string Usage =
        "usage: sinew-fault-proxy --target HOST:PORT [--listen 127.0.0.1:0] [--control 127.0.0.1:0]\n" +
        "Forwards TCP from --listen to --target and takes fault commands over HTTP on --control (see README.md).\n" +
        "Prints one JSON ready line on stdout; exits on SIGTERM, SIGINT or end of standard input.";

    public static ProxyArguments Parse(IReadOnlyList<string> args)
    {
        string? target = null;
        var listen = "127.0.0.1:0";
        var control = "127.0.0.1:0";
        for (var i = 0; i < args.Count; i++)
        {
            var value = i + 1 < args.Count ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--target":
                    target = value;
                    break;
                case "--listen":
                    listen = value;
                    break;
                case "--control":
                    control = value;
                    break;
                default:
                    throw new ArgumentException($"unknown option {args[i]}");
            }

            i++;
        }

        return new ProxyArguments(
            Loopback("--target", target ?? throw new ArgumentException("--target is required")),
            Loopback("--listen", listen),
            Loopback("--control", control));
    }

    private static IPEndPoint Loopback(string option, string text)
    {
        var host = text[..Math.Max(0, text.LastIndexOf(':'))];
        if (host == "localhost")
        {
            text = "127.0.0.1" + text[host.Length..];
        }

        if (!IPEndPoint.TryParse(text, out var endpoint))
        {
            throw new ArgumentException($"{option} must be IP:PORT, not '{text}'");
        }

        return IPAddress.IsLoopback(endpoint.Address)
            ? endpoint
            : throw new ArgumentException($"{option} must be a loopback address, not {endpoint.Address}");
    }
}
