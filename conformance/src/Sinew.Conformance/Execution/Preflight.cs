// Before running anything against a broker given on the command line, make sure something there
// speaks the Sinew protocol, and say clearly what is wrong when not. Nothing here waits long.
using System.Net.Sockets;
using System.Text;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;
using Sinew.RawProtocol;

namespace Sinew.Conformance.Execution;

/// <summary>The broker under test cannot be used.</summary>
internal sealed class UnusableBrokerException(string message) : Exception(message);

internal static class Preflight
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(5);

    public static async Task CheckAsync(string endpoint, CancellationToken cancellationToken)
    {
        RawConnection connection;
        try
        {
            connection = await RawConnection.OpenAsync(endpoint, Limit, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (FormatException)
        {
            throw new UnusableBrokerException($"'{endpoint}' is not host:port with an IP address");
        }
        catch (SocketException e)
        {
            throw new UnusableBrokerException($"nothing accepts connections at {endpoint} ({e.SocketErrorCode}); is the broker running?");
        }
        catch (OperationCanceledException)
        {
            throw new UnusableBrokerException($"connecting to {endpoint} did not complete within {Limit.TotalSeconds:F0} s");
        }

        await using (connection.ConfigureAwait(false))
        {
            await connection.SendAsync(new Hello(1, 1, "sinew-conformance", "preflight"), 1).ConfigureAwait(false);
            byte[] first;
            try
            {
                first = await connection.ReadAnyAsync(Limit).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new UnusableBrokerException($"{endpoint} accepted a connection but did not answer a Hello within {Limit.TotalSeconds:F0} s; it does not look like a Sinew broker");
            }

            if (first.Length == 0)
            {
                throw new UnusableBrokerException($"{endpoint} closed the connection without answering a Hello; it does not look like a Sinew broker");
            }

            if (first.Length < 2 || first[0] != FrameHeader.Magic0 || first[1] != FrameHeader.Magic1)
            {
                throw new UnusableBrokerException($"{endpoint} does not speak the Sinew protocol; it answered: {Printable(first)}");
            }

            Frame? reply;
            try
            {
                reply = await connection.ReadFrameAsync(Limit).ConfigureAwait(false);
            }
            catch (FrameDecodeException e)
            {
                throw new UnusableBrokerException($"{endpoint} answered a Hello with a frame that cannot be decoded: {e.Message}");
            }
            catch (TimeoutException)
            {
                throw new UnusableBrokerException($"{endpoint} sent part of a frame and then nothing within {Limit.TotalSeconds:F0} s");
            }

            switch (reply?.Message)
            {
                case HelloOk:
                    return;
                case Error error when error.Code == (ushort)Sinew.Protocol.Errors.ErrorCode.Unauthorized:
                    // Authentication is required: the scenarios get credentials from --username/--password.
                    return;
                case Error error:
                    throw new UnusableBrokerException($"{endpoint} refused the handshake: {Sinew.Protocol.Errors.ErrorCodes.NameOf(error.Code)}: {error.Message}");
                default:
                    throw new UnusableBrokerException($"{endpoint} answered a Hello with {reply?.Header.Opcode.ToString() ?? "nothing"}");
            }
        }
    }

    private static string Printable(byte[] bytes)
    {
        var text = new StringBuilder();
        foreach (var b in bytes.Take(80))
        {
            text.Append(b switch
            {
                >= 0x20 and < 0x7F => ((char)b).ToString(),
                (byte)'\r' => "\\r",
                (byte)'\n' => "\\n",
                _ => $"\\x{b:x2}",
            });
        }

        return $"\"{text}\"";
    }
}
