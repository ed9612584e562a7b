// A listener that answers like an HTTP server, to check that the client recognises a peer that is not Sinew.
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sinew.Client.Tests.Fakes;

internal sealed class FakeHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public FakeHttpServer()
    {
        _listener.Start();
        Endpoint = $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _loop = ServeAsync();
    }

    public string Endpoint { get; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            using (socket)
            {
                try
                {
                    // Like a real HTTP server, it answers a request line it cannot parse with 400 and closes.
                    var buffer = new byte[1024];
                    await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    var response = Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    await socket.SendAsync(response, SocketFlags.None, _stop.Token);
                    socket.Shutdown(SocketShutdown.Both);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException)
                {
                }
            }
        }
    }
}
