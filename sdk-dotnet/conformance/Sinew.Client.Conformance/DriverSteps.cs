// The steps of the driver protocol, each carried out with the public API of Sinew.Client, and the named
// handles (clients, publishers, subscriptions, deliveries) they create and use.
using System.Reflection;
using System.Text.Json.Nodes;

namespace Sinew.Client.Conformance;

internal sealed partial class DriverSteps
{
    /// <summary>The broker a <c>connect</c> step without an endpoint uses.</summary>
    public const string BrokerVariable = "SINEW_BROKER";

    private const int DefaultReceiveTimeoutMs = 5000;

    private readonly TextWriter _log;
    private readonly Dictionary<string, Func<Request, Task<JsonObject>>> _steps;
    private readonly Dictionary<string, SinewClient> _clients = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Publisher> _publishers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SubscriptionHandle> _subscriptions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Delivery> _deliveries = new(StringComparer.Ordinal);

    public DriverSteps(TextWriter log)
    {
        _log = log;
        _steps = new Dictionary<string, Func<Request, Task<JsonObject>>>(StringComparer.Ordinal)
        {
            ["describe"] = DescribeAsync,
            ["reset"] = ResetAsync,
            ["connect"] = ConnectAsync,
            ["close_client"] = CloseClientAsync,
            ["declare_queue"] = DeclareQueueAsync,
            ["create_publisher"] = CreatePublisherAsync,
            ["publish"] = PublishAsync,
            ["publish_many"] = PublishManyAsync,
            ["reliable_publish"] = ReliablePublishAsync,
            ["subscribe"] = SubscribeAsync,
            ["receive"] = ReceiveAsync,
            ["iterate"] = IterateAsync,
            ["receive_none"] = ReceiveNoneAsync,
            ["ack"] = r => SettleAsync(r, d => d.AckAsync()),
            ["fail"] = r => SettleAsync(r, d => d.FailAsync(r.OptionalString("reason"))),
            ["retry"] = r => SettleAsync(r, d => d.RetryAsync(r.OptionalString("reason"))),
            ["retry_after"] = r => SettleAsync(r, d => d.RetryAfterAsync(TimeSpan.FromMilliseconds(r.Integer("delay_ms")), r.OptionalString("reason"))),
            ["extend_lease"] = r => SettleAsync(r, d => d.ExtendLeaseAsync(r.OptionalInteger("by_ms") is { } by ? TimeSpan.FromMilliseconds(by) : null)),
            ["unsubscribe"] = UnsubscribeAsync,
            ["subscription_end"] = SubscriptionEndAsync,
            ["topology"] = TopologyAsync,
            ["catalogue"] = CatalogueAsync,
            ["next_catalogue_change"] = NextCatalogueChangeAsync,
        };
    }

    /// <summary>The package version of Sinew.Client, without the build's commit suffix.</summary>
    public static string ClientVersion
    {
        get
        {
            var assembly = typeof(SinewClient).Assembly;
            var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                          ?? assembly.GetName().Version?.ToString(3) ?? "0.0.0";
            var plus = version.IndexOf('+', StringComparison.Ordinal);
            return plus < 0 ? version : version[..plus];
        }
    }

    public bool TryGet(string name, out Func<JsonObject, Task<JsonObject>> step)
    {
        if (_steps.TryGetValue(name, out var typed))
        {
            step = json => typed(new Request(json));
            return true;
        }

        step = null!;
        return false;
    }

    public void Log(string message) => _log.WriteLine($"sinew-conformance driver (csharp): {message}");

    /// <summary>Closes every client the steps opened and forgets every handle.</summary>
    public async Task CloseEverythingAsync()
    {
        var clients = _clients.ToList();
        _clients.Clear();
        _publishers.Clear();
        _subscriptions.Clear();
        _deliveries.Clear();
        await Task.WhenAll(clients.Select(async entry =>
        {
            try
            {
                await entry.Value.CloseAsync().ConfigureAwait(false);
            }
            catch (SinewException e)
            {
                Log($"closing client {entry.Key} failed: {e.Message}");
            }
        })).ConfigureAwait(false);
    }

    private Task<JsonObject> DescribeAsync(Request request) => Task.FromResult(new JsonObject
    {
        ["client"] = "csharp",
        ["version"] = ClientVersion,
        ["steps"] = new JsonArray([.. _steps.Keys.Select(k => (JsonNode)k)]),
    });

    private async Task<JsonObject> ResetAsync(Request request)
    {
        await CloseEverythingAsync().ConfigureAwait(false);
        return [];
    }

    private async Task<JsonObject> ConnectAsync(Request request)
    {
        var name = request.String("client");
        if (_clients.ContainsKey(name))
        {
            throw new DriverException($"a client named \"{name}\" already exists");
        }

        var endpoint = request.OptionalString("endpoint") ?? Environment.GetEnvironmentVariable(BrokerVariable);
        if (string.IsNullOrEmpty(endpoint))
        {
            throw new DriverException($"no endpoint was given and {BrokerVariable} is not set");
        }

        var options = new SinewClientOptions
        {
            Endpoints = [endpoint],
            OnError = error => Log($"client {name}: {ErrorResults.TypeName(error)} {error.Code}: {error.Message}"),
        };
        var username = request.OptionalString("username");
        var password = request.OptionalString("password");
        if (username is not null || password is not null)
        {
            options.Credentials = SinewCredentials.Plain(username ?? string.Empty, password ?? string.Empty);
        }

        if (request.OptionalString("client_name") is { } clientName)
        {
            options.ClientName = clientName;
        }

        if (request.OptionalInteger("connect_timeout_ms") is { } connectTimeoutMs)
        {
            options.ConnectTimeout = TimeSpan.FromMilliseconds(connectTimeoutMs);
        }

        var client = await SinewClient.ConnectAsync(options).ConfigureAwait(false);
        _clients[name] = client;
        return new JsonObject { ["server_id"] = client.ServerInfo?.ServerId };
    }

    private async Task<JsonObject> CloseClientAsync(Request request)
    {
        var client = Handle(_clients, "client", request);
        _clients.Remove(request.String("client"));
        await client.CloseAsync().ConfigureAwait(false);
        return [];
    }

    private async Task<JsonObject> DeclareQueueAsync(Request request)
    {
        var client = Handle(_clients, "client", request);
        DeadLetterPolicy? deadLetter = null;
        if (request.OptionalObject("dead_letter") is { } policy)
        {
            var spec = new Request(policy);
            deadLetter = spec.OptionalString("kind") switch
            {
                "discard" => DeadLetterPolicy.Discard,
                "global" => DeadLetterPolicy.Global,
                "queue" => DeadLetterPolicy.ToQueue(spec.String("topic"), spec.OptionalString("group")),
                var kind => throw new DriverException($"unknown dead_letter kind \"{kind}\""),
            };
        }

        var info = await client.DeclareQueueAsync(request.String("topic"), new QueueOptions
        {
            Group = request.OptionalString("group"),
            Partitions = ToInt32(request.OptionalInteger("partitions"), "partitions"),
            DeadLetter = deadLetter,
            MaxRetries = ToInt32(request.OptionalInteger("max_retries"), "max_retries"),
            DefaultTtl = Milliseconds(request.OptionalInteger("default_ttl_ms")),
            Lease = Milliseconds(request.OptionalInteger("lease_ms")),
        }).ConfigureAwait(false);

        return new JsonObject
        {
            ["created"] = info.Created,
            ["partitions"] = info.Partitions,
            ["max_retries"] = info.MaxRetries,
            ["default_ttl_ms"] = info.DefaultTtl is { } ttl ? WholeMilliseconds(ttl) : null,
            ["lease_ms"] = WholeMilliseconds(info.Lease),
            ["dead_letter"] = new JsonObject
            {
                ["kind"] = info.DeadLetter.Kind switch
                {
                    DeadLetterKind.Discard => "discard",
                    DeadLetterKind.Global => "global",
                    DeadLetterKind.Queue => "queue",
                    var other => other.ToString().ToLowerInvariant(),
                },
                ["topic"] = info.DeadLetter.Topic,
                ["group"] = info.DeadLetter.Group,
            },
        };
    }

    private Task<JsonObject> CreatePublisherAsync(Request request)
    {
        var client = Handle(_clients, "client", request);
        var name = request.String("publisher");
        _publishers[name] = client.CreatePublisher(request.String("topic"), new PublisherOptions { Group = request.OptionalString("group") });
        return Task.FromResult(new JsonObject());
    }

    private async Task<JsonObject> PublishAsync(Request request)
    {
        var publisher = Handle(_publishers, "publisher", request);
        var message = Messages.Build(request["message"]);
        switch (request.OptionalString("mode") ?? "confirmed")
        {
            case "confirmed":
                return Messages.Receipt(await publisher.PublishAsync(message).ConfigureAwait(false));
            case "unconfirmed":
                await publisher.PublishUnconfirmedAsync(message).ConfigureAwait(false);
                return [];
            case "pipelined":
                var confirmation = await publisher.PublishWithConfirmationAsync(message).ConfigureAwait(false);
                return Messages.Receipt(await confirmation.WaitAsync().ConfigureAwait(false));
            case var mode:
                throw new DriverException($"unknown publish mode \"{mode}\"");
        }
    }

    private async Task<JsonObject> PublishManyAsync(Request request)
    {
        var publisher = Handle(_publishers, "publisher", request);
        var messages = Messages.BuildAll(request.Array("messages"));
        switch (request.OptionalString("mode") ?? "pipelined")
        {
            case "batch":
                return Messages.Receipts(await publisher.PublishBatchAsync(messages).ConfigureAwait(false));
            case "pipelined":
                // Every message is handed to the connection before any confirmation is awaited.
                var confirmations = new List<PublishConfirmation>(messages.Count);
                foreach (var message in messages)
                {
                    confirmations.Add(await publisher.PublishWithConfirmationAsync(message).ConfigureAwait(false));
                }

                return Messages.Receipts(await Task.WhenAll(confirmations.Select(c => c.Completion)).ConfigureAwait(false));
            case var mode:
                throw new DriverException($"unknown publish_many mode \"{mode}\"");
        }
    }

    private async Task<JsonObject> ReliablePublishAsync(Request request)
    {
        var client = Handle(_clients, "client", request);
        var messages = Messages.BuildAll(request.Array("messages"));
        var options = new ReliablePublisherOptions { Group = request.OptionalString("group"), ProducerId = request.OptionalString("producer_id") };
        if (request.OptionalInteger("first_sequence") is { } firstSequence)
        {
            options = options with { FirstSequence = firstSequence >= 0 ? (ulong)firstSequence : throw new DriverException("\"first_sequence\" is negative") };
        }

        var publisher = client.CreateReliablePublisher(request.String("topic"), options);
        await using (publisher.ConfigureAwait(false))
        {
            var receipts = new List<PublishReceipt>(messages.Count);
            foreach (var message in messages)
            {
                receipts.Add(await publisher.PublishAsync(message).ConfigureAwait(false));
            }

            return Messages.Receipts(receipts);
        }
    }

    private async Task<JsonObject> SubscribeAsync(Request request)
    {
        var client = Handle(_clients, "client", request);
        var name = request.String("subscription");
        var ackMode = request.OptionalString("ack_mode") switch
        {
            null or "manual" => AckMode.Manual,
            "auto" => AckMode.Auto,
            var other => throw new DriverException($"unknown ack_mode \"{other}\""),
        };
        var subscription = await client.SubscribeAsync(request.String("topic"), new SubscribeOptions
        {
            Group = request.OptionalString("group"),
            Prefetch = ToInt32(request.OptionalInteger("prefetch"), "prefetch") ?? SubscribeOptions.DefaultPrefetch,
            AckMode = ackMode,
            Partition = ToInt32(request.OptionalInteger("partition"), "partition"),
        }).ConfigureAwait(false);
        _subscriptions[name] = new SubscriptionHandle(subscription);
        return [];
    }

    private async Task<JsonObject> ReceiveAsync(Request request)
    {
        var handle = Handle(_subscriptions, "subscription", request);
        var name = request.String("delivery");
        var timeoutMs = request.OptionalInteger("timeout_ms") ?? DefaultReceiveTimeoutMs;
        var delivery = await NextAsync(handle, timeoutMs).ConfigureAwait(false)
                       ?? throw new OperationTimeoutException($"No delivery arrived within {timeoutMs} ms.");
        var receivedAtMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        _deliveries[name] = delivery;
        return Messages.Delivery(delivery, receivedAtMs);
    }

    /// <summary>Takes one delivery the way an application does, with <c>await foreach</c>, and leaves the loop with
    /// <c>break</c>: the subscription stays open.</summary>
    private async Task<JsonObject> IterateAsync(Request request)
    {
        var handle = Handle(_subscriptions, "subscription", request);
        var name = request.String("delivery");
        var timeoutMs = request.OptionalInteger("timeout_ms") ?? DefaultReceiveTimeoutMs;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(Math.Max(0, timeoutMs)));
        Delivery? taken = null;
        try
        {
            await foreach (var delivery in handle.Subscription.WithCancellation(timeout.Token).ConfigureAwait(false))
            {
                taken = delivery;
                break;
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new OperationTimeoutException($"No delivery arrived within {timeoutMs} ms.");
        }

        if (taken is null)
        {
            throw new DriverException(handle.Unsubscribed ? "the subscription was closed by unsubscribe" : "the subscription ended quietly");
        }

        _deliveries[name] = taken;
        return Messages.Delivery(taken, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    private async Task<JsonObject> ReceiveNoneAsync(Request request)
    {
        var handle = Handle(_subscriptions, "subscription", request);
        var withinMs = request.OptionalInteger("within_ms") ?? 1000;
        if (await NextAsync(handle, withinMs).ConfigureAwait(false) is not { } delivery)
        {
            return [];
        }

        var result = Messages.Delivery(delivery, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        throw new DriverException($"a delivery arrived: {result.ToJsonString(DriverJson.Options)}");
    }

    private async Task<JsonObject> SettleAsync(Request request, Func<Delivery, Task> settle)
    {
        await settle(Handle(_deliveries, "delivery", request)).ConfigureAwait(false);
        return [];
    }

    private async Task<JsonObject> UnsubscribeAsync(Request request)
    {
        var handle = Handle(_subscriptions, "subscription", request);
        handle.Unsubscribed = true;
        await handle.Subscription.CloseAsync().ConfigureAwait(false);
        return [];
    }

    private async Task<JsonObject> SubscriptionEndAsync(Request request)
    {
        var handle = Handle(_subscriptions, "subscription", request);
        var timeoutMs = request.OptionalInteger("timeout_ms") ?? DefaultReceiveTimeoutMs;

        // Waiting for the end takes no delivery from the subscription: its reason is set when it ends, whether or
        // not deliveries are still waiting to be taken.
        try
        {
            await handle.Subscription.Completion.WaitAsync(TimeSpan.FromMilliseconds(Math.Max(0, timeoutMs))).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new OperationTimeoutException($"The subscription did not end within {timeoutMs} ms.");
        }

        if (handle.Subscription.EndReason is not { } reason)
        {
            throw new DriverException(handle.Unsubscribed
                ? "the subscription was closed by unsubscribe"
                : "the subscription ended without a reason");
        }

        // The exception carries the client's own stable code for the reason, the one iteration would raise.
        return new JsonObject { ["reason"] = new SubscriptionEndedException(reason, string.Empty).Code };
    }

    private async Task<JsonObject> TopologyAsync(Request request)
    {
        var topology = await Handle(_clients, "client", request).GetTopologyAsync().ConfigureAwait(false);
        return new JsonObject
        {
            ["queues"] = new JsonArray([.. topology.Channels.Where(c => c.Kind == ChannelKind.Queue).Select(c => (JsonNode)new JsonObject
            {
                ["topic"] = c.Topic,
                ["group"] = c.Group,
                ["partitions"] = c.Partitions,
            })]),
        };
    }

    /// <summary>The next delivery of the subscription, or null when none arrives within the time. Each call takes
    /// a fresh enumerator with its own deadline; leaving one early does not close the subscription.</summary>
    private static async Task<Delivery?> NextAsync(SubscriptionHandle handle, long timeoutMs)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(Math.Max(0, timeoutMs)));
        var deliveries = handle.Subscription.GetAsyncEnumerator(timeout.Token);
        await using (deliveries.ConfigureAwait(false))
        {
            try
            {
                return await deliveries.MoveNextAsync().ConfigureAwait(false)
                    ? deliveries.Current
                    : throw new DriverException(handle.Unsubscribed ? "the subscription was closed by unsubscribe" : "the subscription ended quietly");
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                return null;
            }
        }
    }

    private static T Handle<T>(Dictionary<string, T> handles, string kind, Request request)
    {
        var name = request.String(kind);
        return handles.TryGetValue(name, out var handle) ? handle : throw new DriverException($"no {kind} named \"{name}\" was created");
    }

    private static int? ToInt32(long? value, string name) => value switch
    {
        null => null,
        >= int.MinValue and <= int.MaxValue => (int)value.Value,
        _ => throw new DriverException($"\"{name}\" is out of range: {value}"),
    };

    private static TimeSpan? Milliseconds(long? value) => value is { } ms ? TimeSpan.FromMilliseconds(ms) : null;

    private static long WholeMilliseconds(TimeSpan value) => value.Ticks / TimeSpan.TicksPerMillisecond;

    /// <summary>A subscription and whether a step closed it on purpose.</summary>
    private sealed class SubscriptionHandle(Subscription subscription)
    {
        public Subscription Subscription { get; } = subscription;

        public bool Unsubscribed { get; set; }
    }
}
