// Composes and runs a broker: Kestrel with the protocol listener and the HTTP endpoints, the queue
// engine, and the start-up (index, verification, readiness) and shutdown sequences.
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using Sinew.Broker.Configuration;
using Sinew.Broker.Diagnostics;
using Sinew.Broker.Http;
using Sinew.Broker.Network;
using Sinew.Broker.Queues;
using Sinew.Broker.Storage;

namespace Sinew.Broker.Hosting;

/// <summary>A running broker.</summary>
public sealed class BrokerHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly BrokerContext _context;
    private readonly DataDirectoryLock _lock;

    private BrokerHost(WebApplication app, BrokerContext context, IPEndPoint protocol, IPEndPoint http, string dataDirectory,
        DataDirectoryLock directoryLock)
    {
        _app = app;
        _lock = directoryLock;
        _context = context;
        ProtocolEndPoint = protocol;
        HttpEndPoint = http;
        DataDirectory = dataDirectory;
    }

    /// <summary>Where the protocol listener is bound (the real port when 0 was asked for).</summary>
    public IPEndPoint ProtocolEndPoint { get; }

    /// <summary>Where the HTTP endpoints are bound.</summary>
    public IPEndPoint HttpEndPoint { get; }

    /// <summary>The absolute data directory.</summary>
    public string DataDirectory { get; }

    /// <summary>The broker's state, for tests that reach below the protocol.</summary>
    internal BrokerContext Context => _context;

    /// <summary>Completes when the broker has shut down (after <see cref="StopAsync"/> or a signal).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Builds and starts a broker with <paramref name="options"/>.</summary>
    /// <param name="options">Effective configuration.</param>
    /// <param name="configureLogging">Adjusts logging; by default logs go to standard error.</param>
    public static Task<BrokerHost> StartAsync(BrokerOptions options, Action<ILoggingBuilder>? configureLogging = null,
        CancellationToken cancellationToken = default) =>
        StartAsync(options, configureLogging, verificationGate: null, cancellationToken);

    /// <summary>Builds and starts a broker whose verification at start waits for
    /// <paramref name="verificationGate"/>, so tests can see the broker before its queues are verified.</summary>
    internal static async Task<BrokerHost> StartAsync(BrokerOptions options, Action<ILoggingBuilder>? configureLogging,
        Task? verificationGate, CancellationToken cancellationToken = default)
    {
        var dataDirectory = Path.GetFullPath(options.Storage.DataDir);
        Directory.CreateDirectory(dataDirectory);
        var directoryLock = DataDirectoryLock.Acquire(dataDirectory);
        try
        {
            return await StartLockedAsync(options, dataDirectory, directoryLock, configureLogging, verificationGate ?? Task.CompletedTask,
                cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            directoryLock.Dispose();
            throw;
        }
    }

    private static async Task<BrokerHost> StartLockedAsync(BrokerOptions options, string dataDirectory, DataDirectoryLock directoryLock,
        Action<ILoggingBuilder>? configureLogging, Task verificationGate, CancellationToken cancellationToken)
    {
        // The content root must not be the data directory: the host watches its content root for
        // configuration changes, and every segment write would wake that watcher. Sinew reads no
        // ASP.NET configuration files, so the configuration sources are cleared too.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        configureLogging?.Invoke(builder.Logging);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(options.Shutdown.TimeoutMs + 5_000));

        var protocolEndpoint = ConfigSchema.ParseEndpoint(options.Listener.Protocol);
        var httpEndpoint = ConfigSchema.ParseEndpoint(options.Listener.Http);
        ListenOptions? protocolListen = null;
        ListenOptions? httpListen = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(protocolEndpoint, listen =>
            {
                protocolListen = listen;
                listen.UseConnectionHandler<SinewConnectionHandler>();
            });
            kestrel.Listen(httpEndpoint, listen =>
            {
                httpListen = listen;
                listen.Protocols = HttpProtocols.Http1;
            });
        });

        var registry = Metrics.NewCustomRegistry();
        DotNetStats.Register(registry);
        var metrics = new BrokerMetrics(registry);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(metrics);
        builder.Services.AddSingleton(sp =>
        {
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Sinew.Broker");
            var services = new BrokerServices(options, TimeProvider.System, metrics, logger);
            var queues = new QueueRegistry(dataDirectory, services);
            var runtime = RuntimeState.Load(dataDirectory);
            services.DeadLetters = new DeadLetterRouter(queues, runtime, services);
            return new BrokerContext(options, services, queues, runtime, new SessionRegistry(),
                new StartupVerification(queues, services, verificationGate), BrokerIdentity(dataDirectory));
        });
        builder.Services.AddHostedService<BrokerLifecycle>();

        var app = builder.Build();
        var context = app.Services.GetRequiredService<BrokerContext>();
        try
        {
            await IndexAsync(context, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            context.Verification.Dispose();
            context.Services.Dispose();
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        registry.AddBeforeCollectCallback(() =>
        {
            metrics.Observe(context.Registry.Census());
            foreach (var slot in context.Registry.Slots.Where(s => s.IsLoaded))
            {
                slot.Queue.Metrics.Observe(slot.Queue.Stats);
            }
        });
        MapHttp(app, context, registry);

        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var protocol = protocolListen!.IPEndPoint!;
        context.ProtocolEndpoint = protocol.ToString();
        return new BrokerHost(app, context, protocol, httpListen!.IPEndPoint!, dataDirectory, directoryLock);
    }

    // Runs before anything listens, so no request reaches a queue before the index, and a refusal comes
    // before serving; outside the host's own start, so a refusal is one clear error, not a logged stack trace.
    private static async Task IndexAsync(BrokerContext context, CancellationToken cancellationToken)
    {
        var count = context.Registry.Index();
        context.Services.Logger.QueuesIndexed(count, Path.GetFullPath(context.Options.Storage.DataDir));
        if (context.Options.Recovery.OnCorruption == "refuse")
        {
            // Refusing must happen before serving, so every queue is verified now rather than in the background.
            await context.Verification.VerifyBeforeServingAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Shuts down gracefully: refuses new connections, ends subscriptions, returns unsettled
    /// deliveries, flushes and snapshots every partition.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _lock.Dispose();
    }

    // A stable identity per data directory, so a restarted broker is recognisably the same one.
    private static string BrokerIdentity(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, "broker-id");
        if (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }

        var id = "broker-" + Guid.NewGuid().ToString("N")[..12];
        AtomicFile.Write(path, id);
        return id;
    }

    private static void MapHttp(WebApplication app, BrokerContext context, CollectorRegistry registry)
    {
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", () => Readiness(context));
        app.MapMetrics("/metrics", registry);

        var admin = app.MapGroup("/admin").RequireConfiguredUser(context.Options.Auth);
        admin.MapGet("/queues", () => Results.Json(context.Registry.Slots
            .OrderBy(s => s.Name.Topic, StringComparer.Ordinal)
            .Select(s => new
            {
                topic = s.Name.Topic,
                group = s.Name.Group,
                partitions = s.Settings.Partitions,
                dead_letter = s.Settings.DeadLetter.Kind.ToString().ToLowerInvariant(),
                max_retries = s.Settings.MaxRetries,
                default_ttl_ms = s.Settings.DefaultTtlMs,
                lease_ms = s.Settings.LeaseMs,
                loaded = s.IsLoaded,
                partition_stats = s.IsLoaded ? s.Queue.Stats.Select(p => new
                {
                    index = p.Index,
                    unsettled = p.Unsettled,
                    ready = p.Ready,
                    delayed = p.Delayed,
                    inflight = p.Inflight,
                    next_offset = p.NextOffset,
                    consumers = p.Consumers,
                    quarantine = p.Quarantine,
                }) : null,
            })));

        admin.MapGet("/dead-letter-target", () => context.Runtime.GlobalDeadLetterTarget is { } target
            ? Results.Json(new { topic = target.Topic, group = target.Group })
            : Results.Json(new { topic = (string?)null, group = (string?)null }));
        admin.MapPut("/dead-letter-target", async (HttpRequest request) =>
        {
            JsonElement body;
            try
            {
                body = await JsonSerializer.DeserializeAsync<JsonElement>(request.Body).ConfigureAwait(false);
            }
            catch (JsonException e)
            {
                return Results.BadRequest(new { error = $"the body is not JSON: {e.Message}" });
            }

            if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("topic", out var topic) || topic.ValueKind != JsonValueKind.String)
            {
                return Results.BadRequest(new { error = "expected {\"topic\": \"…\", \"group\": \"…\" (optional)}" });
            }

            try
            {
                var group = body.TryGetProperty("group", out var g) && g.ValueKind == JsonValueKind.String ? g.GetString() : null;
                var name = PublishValidator.QueueName(topic.GetString()!, group);
                context.Runtime.SetGlobalDeadLetterTarget(name);
                return Results.Json(new { topic = name.Topic, group = name.Group });
            }
            catch (BrokerErrorException e)
            {
                return Results.BadRequest(new { error = e.Message });
            }
        });
        admin.MapDelete("/dead-letter-target", () =>
        {
            context.Runtime.SetGlobalDeadLetterTarget(null);
            return Results.NoContent();
        });
    }

    // Ready means every partition of every queue has been verified and none is quarantined. The body says
    // what stands in the way: how much is not yet verified, and each quarantine with its file and reason.
    private static IResult Readiness(BrokerContext context)
    {
        var problems = new List<string>();
        var quarantined = new List<object>();
        if (!context.Started)
        {
            problems.Add("starting");
        }

        var census = context.Registry.Census();
        if (census.QueuesUnverified > 0)
        {
            problems.Add($"{census.PartitionsUnverified} of {census.Partitions} partition(s), in {census.QueuesUnverified} queue(s), not yet verified");
        }

        foreach (var queue in context.Registry.QuarantinedQueues.OrderBy(q => q.Directory, StringComparer.Ordinal))
        {
            var file = context.Registry.Describe(queue.File);
            problems.Add(queue.Name is { } name
                ? $"queue {name} is quarantined: {file}: {queue.Reason}"
                : $"the queue in {context.Registry.Describe(queue.Directory)} is quarantined: {file}: {queue.Reason}");
            quarantined.Add(new { topic = queue.Name?.Topic, group = queue.Name?.Group, file, reason = queue.Reason });
        }

        foreach (var ((queue, partition), reason) in context.Services.QuarantinedPartitions.OrderBy(p => p.Key.Queue.ToString(), StringComparer.Ordinal))
        {
            problems.Add($"partition {partition} of queue {queue} is quarantined: {reason}");
            quarantined.Add(new { topic = queue.Topic, group = queue.Group, partition, reason });
        }

        foreach (var (_, reason) in context.Services.ParkedPartitions.OrderBy(p => p.Key.Queue.ToString(), StringComparer.Ordinal))
        {
            problems.Add(reason);
        }

        if (context.Services.DiskSpace.LowReason is { } diskLow)
        {
            problems.Add(diskLow);
        }

        var verification = new
        {
            queues = census.Queues,
            queues_verified = census.QueuesVerified,
            partitions = census.Partitions,
            partitions_verified = census.PartitionsVerified,
        };
        return problems.Count == 0
            ? Results.Json(new { ready = true, verification })
            : Results.Json(new { ready = false, problems, verification, quarantined }, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>Start-up (the verification in the background, unless it already ran before serving) and the
    /// graceful shutdown sequence.</summary>
    private sealed class BrokerLifecycle(BrokerContext context) : IHostedLifecycleService
    {
        private int _stopping;
        private int _stopped;

        public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        /// <summary>Runs before any hosted service stops, Kestrel included, so clients are told their
        /// subscriptions end before their connections go.</summary>
        public async Task StoppingAsync(CancellationToken cancellationToken)
        {
            // Like StopAsync, this runs again when a stopped host is disposed.
            if (Interlocked.Exchange(ref _stopping, 1) != 0)
            {
                return;
            }

            context.Services.Logger.ShuttingDown(context.Sessions.Count);
            await context.Sessions.CloseAllAsync(TimeSpan.FromMilliseconds(context.Options.Shutdown.TimeoutMs / 2)).ConfigureAwait(false);
        }

        public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (context.Options.Recovery.OnCorruption != "refuse")
            {
                context.Verification.Start();
            }

            context.Started = true;
            return Task.CompletedTask;
        }

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            // The host may be stopped more than once (a signal, then disposal); shut down only once.
            if (Interlocked.Exchange(ref _stopped, 1) != 0)
            {
                return;
            }

            var timeout = TimeSpan.FromMilliseconds(context.Options.Shutdown.TimeoutMs);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout / 2);
            // Verification first: it must not load a queue while the loaded ones are being closed.
            await context.Verification.StopAsync(deadline.Token).ConfigureAwait(false);
            await context.Services.Maintenance.StopAsync().ConfigureAwait(false);
            foreach (var slot in context.Registry.Slots.Where(s => s.IsLoaded))
            {
                await slot.Queue.CloseAsync(deadline.Token).ConfigureAwait(false);
            }

            context.Verification.Dispose();
            context.Services.Dispose();
            context.Services.Logger.ShutdownComplete();
        }
    }
}
