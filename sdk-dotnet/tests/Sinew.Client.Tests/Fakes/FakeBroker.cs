// A scripted peer for client tests: it accepts connections, answers the handshake, records every frame the client
// sends and answers other requests only as the test scripted. It keeps no queues, messages or deliveries: what a real
// broker does with them is tested against the real broker (Broker/); this peer is for what a real broker cannot be
// made to send or show (see the "Fault tests" section of DEVELOPERS.md).

namespace Sinew.Client.Tests.Fakes;

using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Messages;

internal sealed class FakeBroker : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentQueue<ReceivedFrame> _received = new();
    private readonly ConcurrentDictionary<Type, Action<ReceivedFrame>> _scripts = new();
    private readonly List<FakeConnection> _connections = [];
    private readonly List<Task> _tasks = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _acceptedConnections;
    private event Action? FrameArrived;

    public FakeBroker()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>Answers each connection's Hello. By default the reply is the fixed bytes of the wire vector
    /// <see cref="ScriptedReplies.DefaultHelloOkVector"/>; a test sets its own to accept with other values
    /// (<see cref="ScriptedReplies.HelloOk"/>) or to refuse (<see cref="ScriptedReplies.Refuse"/>).</summary>
    public Action<ReceivedFrame> AnswerHello { get; set; } = ScriptedReplies.AcceptWithVectorHelloOk;

    /// <summary>Connections accepted so far.</summary>
    public int AcceptedConnections => Volatile.Read(ref _acceptedConnections);

    public IReadOnlyList<FakeConnection> Connections
    {
        get
        {
            lock (_connections)
            {
                return [.. _connections];
            }
        }
    }

    /// <summary>Every frame the client sent, in arrival order, the Hello of each connection included.</summary>
    public IReadOnlyList<ReceivedFrame> Received => [.. _received];

    public IReadOnlyList<T> ReceivedOf<T>() where T : IWireMessage => [.. _received.Select(f => f.Message).OfType<T>()];

    /// <summary>Scripts what happens when the client sends a <typeparamref name="T"/> after the handshake, replacing
    /// an earlier script for it. The script answers through <see cref="ReceivedFrame.Reply"/>, or leaves the frame
    /// unanswered. Without a script, a Ping is answered with Pong, a Goodbye with Ok and a close, and any other
    /// request with an error saying that nothing was scripted.</summary>
    public void On<T>(Action<ReceivedFrame, T> script) where T : IWireMessage =>
        _scripts[typeof(T)] = frame => script(frame, (T)frame.Message);

    /// <summary>Scripts the reply to every <typeparamref name="T"/> as a function of the request.</summary>
    public void Answer<T>(Func<T, IWireMessage> reply) where T : IWireMessage => On<T>((frame, request) => frame.Reply(reply(request)));

    /// <summary>Scripts the replies to the first <typeparamref name="T"/>s, one each in the order given; any later one
    /// is answered with an error saying that nothing was scripted for it.</summary>
    public void AnswerInTurn<T>(params IWireMessage[] replies) where T : IWireMessage
    {
        var next = -1;
        On<T>((frame, request) =>
        {
            var turn = Interlocked.Increment(ref next);
            frame.Reply(turn < replies.Length ? replies[turn] : Unscripted(request));
        });
    }

    /// <summary>Waits until a frame matching <paramref name="predicate"/> has been received (including earlier ones).</summary>
    public async Task<ReceivedFrame> WaitForFrameAsync(Func<ReceivedFrame, bool> predicate, TimeSpan? timeout = null)
    {
        var found = new TaskCompletionSource<ReceivedFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check()
        {
            foreach (var frame in _received)
            {
                if (predicate(frame))
                {
                    found.TrySetResult(frame);
                    return;
                }
            }
        }

        FrameArrived += Check;
        try
        {
            Check();
            return await found.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        finally
        {
            FrameArrived -= Check;
        }
    }

    public Task<ReceivedFrame> WaitForAsync<T>(Func<T, bool>? predicate = null, TimeSpan? timeout = null) where T : IWireMessage =>
        WaitForFrameAsync(f => f.Message is T message && (predicate is null || predicate(message)), timeout);

    /// <summary>Resets every connection, as a crashed broker would.</summary>
    public void DropAllConnections()
    {
        foreach (var connection in Connections)
        {
            connection.Drop();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        DropAllConnections();
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }

        Task[] tasks;
        lock (_tasks)
        {
            tasks = [.. _tasks];
        }

        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            socket.NoDelay = true;
            var connection = new FakeConnection(Interlocked.Increment(ref _acceptedConnections), socket);
            lock (_connections)
            {
                _connections.Add(connection);
            }

            var task = Task.Run(() => connection.RunAsync(OnFrame));
            lock (_tasks)
            {
                _tasks.Add(task);
            }
        }
    }

    private void OnFrame(ReceivedFrame frame)
    {
        _received.Enqueue(frame);
        FrameArrived?.Invoke();
        var connection = frame.Connection;
        if (!connection.HandshakeDone)
        {
            if (frame.Message is not Hello)
            {
                frame.Reply(new Error((ushort)ErrorCode.ProtocolViolation, false, "the first frame must be Hello"));
                connection.CloseAfterFlush();
                return;
            }

            // The script decides whether the connection goes on; one that refused has closed it.
            connection.HandshakeDone = true;
            AnswerHello(frame);
            return;
        }

        if (_scripts.TryGetValue(frame.Message.GetType(), out var script))
        {
            script(frame);
            return;
        }

        switch (frame.Message)
        {
            case Ping:
                connection.SendBytes(ScriptedReplies.VectorFrame("pong/basic", frame.RequestId));
                break;
            case Pong:
            case TopologyAck:
                break;
            case Goodbye:
                connection.SendBytes(ScriptedReplies.VectorFrame("ok/basic", frame.RequestId));
                connection.CloseAfterFlush();
                break;
            default:
                if (frame.RequestId != 0)
                {
                    frame.Reply(Unscripted(frame.Message));
                }

                break;
        }
    }

    private static Error Unscripted(IWireMessage request) =>
        new((ushort)ErrorCode.Internal, false, $"the test scripted no answer to this {request.Opcode}");
}
