// The catalogue of declared queues. At start it indexes queue directories (settings only); a queue's
// partitions are recovered on first use, so thousands of idle queues cost little memory and start time.
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Messages;
using Sinew.Protocol.Naming;
using Sinew.Protocol.Timing;

namespace Sinew.Broker.Queues;

/// <summary>A declared queue, loaded or not.</summary>
internal sealed class QueueSlot(QueueName name, QueueSettings settings, string directory, Func<Queue> load)
{
    private readonly Lazy<Queue> _queue = new(load, LazyThreadSafetyMode.ExecutionAndPublication);

    public QueueName Name { get; } = name;

    public QueueSettings Settings { get; } = settings;

    public string Directory { get; } = directory;

    public bool IsLoaded => _queue.IsValueCreated;

    public Queue Queue => _queue.Value;
}

internal sealed class QueueRegistry
{
    private readonly ConcurrentDictionary<QueueName, QueueSlot> _slots = new();
    private readonly object _declareLock = new();
    private readonly string _root;
    private readonly BrokerServices _services;
    private long _generation;

    public QueueRegistry(string dataDir, BrokerServices services)
    {
        _root = Path.Combine(dataDir, "queues");
        _services = services;
        Directory.CreateDirectory(_root);
    }

    /// <summary>Increases whenever a queue is declared; the topology generation.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public IEnumerable<QueueSlot> Slots => _slots.Values;

    /// <summary>Reads every queue's settings from disk without loading its partitions.</summary>
    public int Index()
    {
        foreach (var directory in Directory.GetDirectories(_root))
        {
            var file = Path.Combine(directory, "queue.json");
            if (!File.Exists(file))
            {
                continue;
            }

            var (name, settings) = ReadQueueFile(file);
            _slots[name] = NewSlot(name, settings, directory);
        }

        _generation = _slots.Count;
        return _slots.Count;
    }

    /// <summary>The queue if it is declared (loading it on first use), otherwise null.</summary>
    public Queue? TryGet(QueueName name) => _slots.TryGetValue(name, out var slot) ? slot.Queue : null;

    /// <summary>The queue, or a not_found error that says how to fix it.</summary>
    public Queue Get(QueueName name) =>
        TryGet(name) ?? throw new BrokerErrorException(ErrorCode.NotFound,
            $"queue {name} does not exist; declare it first",
            name.Group is null
                ? new Dictionary<string, string> { ["topic"] = name.Topic }
                : new Dictionary<string, string> { ["topic"] = name.Topic, ["group"] = name.Group });

    /// <summary>Creates a queue or confirms an existing one with the same effective settings.</summary>
    public (QueueSlot Slot, bool Created) Declare(QueueName name, DeclareQueue request)
    {
        var settings = Resolve(request);
        lock (_declareLock)
        {
            if (_slots.TryGetValue(name, out var existing))
            {
                var difference = FirstDifference(existing.Settings, settings);
                if (difference is { } d)
                {
                    throw new BrokerErrorException(ErrorCode.Conflict,
                        $"queue {name} already exists with {d.Field} = {d.Existing}, not {d.Requested}; declare it with the same settings or use another name",
                        new Dictionary<string, string> { ["field"] = d.Field, ["existing"] = d.Existing, ["requested"] = d.Requested });
                }

                return (existing, false);
            }

            var directory = Path.Combine(_root, DirectoryName(name));
            Directory.CreateDirectory(directory);
            WriteQueueFile(Path.Combine(directory, "queue.json"), name, settings);
            var slot = NewSlot(name, settings, directory);
            _slots[name] = slot;
            Interlocked.Increment(ref _generation);
            _services.Logger.QueueDeclared(name, settings.Partitions);
            return (slot, true);
        }
    }

    /// <summary>The effective settings for a declare request: given values checked, absent ones defaulted. The
    /// defaults come from the broker's configuration, which holds them to the same ranges.</summary>
    public QueueSettings Resolve(DeclareQueue request)
    {
        var defaults = _services.Options.Queues;
        var partitions = request.Partitions ?? defaults.Partitions;
        if (partitions < 1 || partitions > defaults.MaxPartitions)
        {
            throw BrokerErrorException.Invalid("partitions", $"a queue has 1 to {defaults.MaxPartitions} partitions, not {partitions}");
        }

        DeadLetterSettings deadLetter;
        if (request.DeadLetter is { } policy)
        {
            deadLetter = policy.Kind switch
            {
                DeadLetterKind.Discard => DeadLetterSettings.Discard,
                DeadLetterKind.Global => new DeadLetterSettings(DeadLetterKind.Global),
                _ => ResolveTarget(policy),
            };
        }
        else
        {
            deadLetter = defaults.DeadLetter == "discard" ? DeadLetterSettings.Discard : new DeadLetterSettings(DeadLetterKind.Global);
        }

        DurationValidator.Check(DurationField.QueueLease, request.LeaseMs, 0,
            request.LeaseMs < DurationLimits.MinLeaseMs
                ? $"a lease of {request.LeaseMs} ms is too short; the minimum is {DurationLimits.MinLeaseMs} ms"
                : $"a lease of {request.LeaseMs} ms is too long; the maximum is {DurationValidator.Describe(DurationLimits.MaxLeaseMs)} (extend the leases of long jobs instead)");
        DurationValidator.Check(DurationField.QueueDefaultTtl, request.DefaultTtlMs, 0,
            request.DefaultTtlMs is 0
                ? "a default TTL of 0 would expire every message at once; leave it absent for no expiry"
                : $"a default TTL of {request.DefaultTtlMs} ms is too long; the maximum is {DurationValidator.Describe(DurationLimits.MaxTtlMs)} (leave it absent for no expiry)");
        var lease = request.LeaseMs ?? defaults.LeaseMs;

        var ttl = request.DefaultTtlMs ?? (defaults.TtlMs == 0 ? null : defaults.TtlMs);
        return new QueueSettings(partitions, deadLetter, request.MaxRetries ?? defaults.MaxRetries, ttl, lease);
    }

    private static DeadLetterSettings ResolveTarget(DeadLetterPolicy policy)
    {
        if (policy.Topic is not { } topic)
        {
            throw BrokerErrorException.Invalid("dead_letter.topic", "a dead-letter policy of kind queue needs the target queue's topic");
        }

        if (NameRules.Validate(topic) is { } problem)
        {
            throw BrokerErrorException.Invalid("dead_letter.topic", $"the dead-letter topic is not a valid name ({problem.WireName()})", problem.WireName());
        }

        var group = GroupNames.Normalise(policy.Group);
        if (group is not null && NameRules.Validate(group) is { } groupProblem)
        {
            throw BrokerErrorException.Invalid("dead_letter.group", $"the dead-letter group is not a valid name ({groupProblem.WireName()})", groupProblem.WireName());
        }

        return new DeadLetterSettings(DeadLetterKind.Queue, topic, group);
    }

    /// <summary>Declares a queue with default settings (discarding its own dead letters) unless it exists;
    /// used for dead-letter targets that were never declared.</summary>
    public Queue GetOrDeclareTarget(QueueName name)
    {
        if (TryGet(name) is { } queue)
        {
            return queue;
        }

        var (slot, _) = Declare(name, new DeclareQueue(name.Topic, name.Group, DeadLetter: new DeadLetterPolicy(DeadLetterKind.Discard)));
        return slot.Queue;
    }

    private QueueSlot NewSlot(QueueName name, QueueSettings settings, string directory) =>
        new(name, settings, directory, () =>
        {
            var queue = new Queue(name, settings, directory, _services);
            queue.Load();
            return queue;
        });

    private static (string Field, string Existing, string Requested)? FirstDifference(QueueSettings existing, QueueSettings requested)
    {
        static string Show(object? value) => value switch
        {
            null => "none",
            DeadLetterSettings d => d.Kind switch
            {
                DeadLetterKind.Queue => $"queue {new QueueName(d.Topic!, d.Group)}",
                _ => d.Kind.ToString().ToLowerInvariant(),
            },
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };

        if (existing.Partitions != requested.Partitions)
        {
            return ("partitions", Show(existing.Partitions), Show(requested.Partitions));
        }

        if (existing.DeadLetter != requested.DeadLetter)
        {
            return ("dead_letter", Show(existing.DeadLetter), Show(requested.DeadLetter));
        }

        if (existing.MaxRetries != requested.MaxRetries)
        {
            return ("max_retries", Show(existing.MaxRetries), Show(requested.MaxRetries));
        }

        if (existing.DefaultTtlMs != requested.DefaultTtlMs)
        {
            return ("default_ttl_ms", Show(existing.DefaultTtlMs), Show(requested.DefaultTtlMs));
        }

        if (existing.LeaseMs != requested.LeaseMs)
        {
            return ("lease_ms", Show(existing.LeaseMs), Show(requested.LeaseMs));
        }

        return null;
    }

    // A readable, file-system-safe prefix plus a hash of the exact name, since names may hold any
    // Unicode and must not collide after sanitising.
    private static string DirectoryName(QueueName name)
    {
        var exact = Encoding.UTF8.GetBytes(name.Topic + "\n" + (name.Group ?? ""));
        var hash = Convert.ToHexStringLower(SHA256.HashData(exact).AsSpan(0, 8));
        var readable = new StringBuilder();
        foreach (var c in (name.Group is null ? name.Topic : name.Group + "." + name.Topic).Take(48))
        {
            readable.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        }

        return $"{readable}-{hash}";
    }

    private static void WriteQueueFile(string path, QueueName name, QueueSettings settings)
    {
        var json = new JsonObject
        {
            ["topic"] = name.Topic,
            ["group"] = name.Group,
            ["partitions"] = settings.Partitions,
            ["dead_letter"] = new JsonObject
            {
                ["kind"] = settings.DeadLetter.Kind.ToString().ToLowerInvariant(),
                ["topic"] = settings.DeadLetter.Topic,
                ["group"] = settings.DeadLetter.Group,
            },
            ["max_retries"] = settings.MaxRetries,
            ["default_ttl_ms"] = settings.DefaultTtlMs,
            ["lease_ms"] = settings.LeaseMs,
        };
        AtomicFile.Write(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private static (QueueName Name, QueueSettings Settings) ReadQueueFile(string path)
    {
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var deadLetter = json["dead_letter"]!.AsObject();
        var kind = Enum.Parse<DeadLetterKind>((string)deadLetter["kind"]!, ignoreCase: true);
        return (new QueueName((string)json["topic"]!, (string?)json["group"]),
            new QueueSettings(
                (uint)json["partitions"]!,
                kind == DeadLetterKind.Discard ? DeadLetterSettings.Discard : new DeadLetterSettings(kind, (string?)deadLetter["topic"], (string?)deadLetter["group"]),
                (uint)json["max_retries"]!,
                (ulong?)json["default_ttl_ms"],
                (ulong)json["lease_ms"]!));
    }
}
