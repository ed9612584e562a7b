// The catalogue of declared queues. At start it indexes queue directories (settings only); each queue's
// partitions are then recovered once, by the start-up verification or by the first request, whichever
// comes first. A queue directory that cannot be indexed or loaded is quarantined on its own: the broker
// serves every other queue, and requests for that queue's name answer quarantined. Every declared queue is
// also in the routing catalogue, which clients are sent as their topology.
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Sinew.Broker.Diagnostics;
using Sinew.Broker.Engine;
using Sinew.Broker.Storage;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Naming;
using Sinew.Protocol.Timing;

namespace Sinew.Broker.Queues;

internal sealed partial class QueueRegistry
{
    private const string PendingFileName = QueueFile.FileName + ".tmp";

    private readonly ConcurrentDictionary<QueueName, QueueSlot> _slots = new();
    // Quarantined queue directories by directory name, and by queue name where the file still says it. A
    // name maps to one directory (DirectoryName), so a request for a name whose file is unreadable is
    // still recognised.
    private readonly ConcurrentDictionary<string, QuarantinedQueue> _quarantined = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<QueueName, QuarantinedQueue> _quarantinedNames = new();
    private readonly object _declareLock = new();
    private readonly string _dataDir;
    private readonly string _root;
    private readonly BrokerServices _services;
    private int _failedLoads;

    public QueueRegistry(string dataDir, BrokerServices services, RuntimeState runtime)
    {
        _dataDir = dataDir;
        _root = Path.Combine(dataDir, "queues");
        _services = services;
        DeadLetters = new DeadLetterRouter(this, runtime, services);
        Directory.CreateDirectory(_root);
    }

    /// <summary>Moves dead messages into their target queues, declaring targets that do not exist yet.</summary>
    public DeadLetterRouter DeadLetters { get; }

    /// <summary>What clients route by: every declared queue with its partitioning, under a generation.</summary>
    public RoutingCatalogue Catalogue { get; } = new();

    public IEnumerable<QueueSlot> Slots => _slots.Values;

    /// <summary>Queue directories quarantined as a whole.</summary>
    public IEnumerable<QuarantinedQueue> QuarantinedQueues => _quarantined.Values;

    /// <summary>Reads every queue's settings from disk without loading its partitions. A directory whose
    /// queue.json is missing or damaged is quarantined, or, when the broker is configured to refuse to
    /// start on corruption, throws <see cref="InvalidDataException"/> naming the file.</summary>
    public int Index()
    {
        foreach (var directory in Directory.GetDirectories(_root).Order(StringComparer.Ordinal))
        {
            if (FinishedDeletion(directory))
            {
                continue;
            }

            var file = Path.Combine(directory, QueueFile.FileName);
            if (!File.Exists(file))
            {
                // A declare creates the directory, then queue.json, and only then any partition data. So a
                // directory with nothing else in it is a declare a crash interrupted: it was never
                // confirmed, stored nothing, and declaring the name again completes it. It is left alone
                // (deleting it would gain nothing). Anything more means the file was lost.
                if (Contents(directory) is { Count: > 0 } held)
                {
                    Quarantine(new QuarantinedQueue(directory, file,
                        $"missing, but the directory still holds {string.Join(", ", held)}", null), atStart: true);
                }

                continue;
            }

            QueueName name;
            QueueSettings settings;
            ulong routingVersion;
            try
            {
                (name, settings, routingVersion) = QueueFile.Read(file);
            }
            catch (InvalidDataException e)
            {
                Quarantine(new QuarantinedQueue(directory, file, e.Message, null), atStart: true);
                continue;
            }

            if (DirectoryName(name) is var expected && expected != Path.GetFileName(directory))
            {
                Quarantine(new QuarantinedQueue(directory, file,
                    $"names queue {name}, whose directory is {expected}, not this one", name), atStart: true);
                continue;
            }

            if (ExtraPartitions(directory, settings.Partitions) is { Count: > 0 } extra)
            {
                Quarantine(new QuarantinedQueue(directory, file,
                    $"declares {settings.Partitions} partition(s), but the directory also holds {string.Join(", ", extra)}", name), atStart: true);
                continue;
            }

            _slots[name] = NewSlot(name, settings, routingVersion, directory);
        }

        CreateMissingBrokerOwnedQueues();
        // The broker's own queues are part of every catalogue from the start, not a change: they do not count toward
        // the first generation, which stays the number of declared queues.
        Catalogue.Load(_slots.Values.Select(EntryOf), generation: _slots.Keys.Count(name => !name.IsBrokerOwned));
        return _slots.Count;
    }

    /// <summary>The queue if it is declared (loading it on first use), otherwise null. Throws a quarantined
    /// error for a queue that cannot be served.</summary>
    public Queue? TryGet(QueueName name) => TryGetSlot(name) is { } slot ? Load(slot) : null;

    /// <summary>The queue, or a not_found error that says how to fix it.</summary>
    public Queue Get(QueueName name) => Load(GetSlot(name));

    /// <summary>The declared queue's slot, without loading it, or a not_found error that says how to fix it.
    /// Throws a quarantined error for a name whose directory could not be indexed.</summary>
    public QueueSlot GetSlot(QueueName name) =>
        TryGetSlot(name) ?? throw new BrokerErrorException(ErrorCode.NotFound,
            $"queue {name} does not exist; declare it first",
            name.Group is null
                ? new Dictionary<string, string> { ["topic"] = name.Topic }
                : new Dictionary<string, string> { ["topic"] = name.Topic, ["group"] = name.Group });

    private QueueSlot? TryGetSlot(QueueName name)
    {
        if (_slots.TryGetValue(name, out var slot))
        {
            return slot;
        }

        return QuarantineOf(name) is { } quarantined ? throw QuarantinedError(name, quarantined) : null;
    }

    /// <summary>Loads the slot's queue, or returns it when already loaded. Loading happens once; if it fails,
    /// the queue is quarantined and this throws a quarantined error, now and on every later call.</summary>
    public Queue Load(QueueSlot slot)
    {
        if (slot.Quarantine is { } quarantined)
        {
            throw QuarantinedError(slot.Name, quarantined);
        }

        try
        {
            return slot.Queue;
        }
        catch (Exception e) when (e is not (BrokerErrorException or OutOfMemoryException))
        {
            var failure = new QuarantinedQueue(slot.Directory, slot.Directory, $"loading the queue failed: {e.Message}", slot.Name);
            lock (_declareLock)
            {
                if (slot.Quarantine is null)
                {
                    slot.Quarantine = failure;
                    Quarantine(failure, atStart: false);
                    Interlocked.Increment(ref _failedLoads);
                }
            }

            throw QuarantinedError(slot.Name, slot.Quarantine!);
        }
    }

    /// <summary>Counts queues and partitions, verified or not, for readiness and metrics.</summary>
    public QueueCensus Census()
    {
        int queues = 0, verified = 0, unverified = 0;
        long partitions = 0, partitionsVerified = 0, partitionsUnverified = 0;
        foreach (var slot in _slots.Values)
        {
            queues++;
            partitions += slot.Settings.Partitions;
            if (slot.IsLoaded)
            {
                verified++;
                partitionsVerified += slot.Settings.Partitions;
            }
            else if (slot.Quarantine is null)
            {
                unverified++;
                partitionsUnverified += slot.Settings.Partitions;
            }
        }

        // A queue whose load failed has a slot as well as its quarantine entry; one whose directory could not
        // be indexed has only the entry.
        var quarantined = _quarantined.Count;
        var withoutSlot = quarantined - Volatile.Read(ref _failedLoads);
        return new QueueCensus(queues + withoutSlot, verified, unverified, quarantined, partitions, partitionsVerified, partitionsUnverified);
    }

    /// <summary>A path inside the data directory as operators and clients see it: relative to the data directory.</summary>
    public string Describe(string path) => Path.GetRelativePath(_dataDir, path);

    /// <summary>Creates a queue or confirms an existing one with the same effective settings.</summary>
    public (QueueSlot Slot, bool Created) Declare(QueueName name, QueueDeclaration request)
    {
        var settings = Resolve(request);
        lock (_declareLock)
        {
            if (_slots.TryGetValue(name, out var existing))
            {
                if (existing.Quarantine is { } failed)
                {
                    throw QuarantinedError(name, failed);
                }

                var difference = FirstDifference(existing.Settings, settings);
                if (difference is { } d)
                {
                    throw new BrokerErrorException(ErrorCode.Conflict,
                        $"queue {name} already exists with {d.Field} = {d.Existing}, not {d.Requested}; declare it with the same settings or use another name",
                        new Dictionary<string, string> { ["field"] = d.Field, ["existing"] = d.Existing, ["requested"] = d.Requested });
                }

                return (existing, false);
            }

            if (QuarantineOf(name) is { } quarantined)
            {
                throw QuarantinedError(name, quarantined);
            }

            var slot = Create(name, settings);
            // Inside the declare lock, so generations follow the order of declares; before the reply, so a client
            // told of the queue can already be sent a topology that holds it.
            Catalogue.Put(EntryOf(slot));
            return (slot, true);
        }
    }

    /// <summary>Makes a new queue's directory and queue.json and its slot (not yet in the catalogue). A directory
    /// that already holds data the index did not account for is quarantined instead.</summary>
    private QueueSlot Create(QueueName name, QueueSettings settings)
    {
        var directory = Path.Combine(_root, DirectoryName(name));
        if (Directory.Exists(directory))
        {
            // Never a fresh queue over data the index did not account for (files put there while the
            // broker runs): the data stays as it is, and the name answers quarantined.
            if (Contents(directory) is { Count: > 0 } held)
            {
                var unindexed = new QuarantinedQueue(directory, Path.Combine(directory, QueueFile.FileName),
                    $"the directory holds {string.Join(", ", held)}, which the broker did not index at start", name);
                Quarantine(unindexed, atStart: false);
                throw QuarantinedError(name, unindexed);
            }
        }
        else
        {
            // The new directory's entry in queues/ must be durable too, or a power cut could take the
            // whole queue with it even though queue.json itself was fsynced.
            DirectorySync.CreateDirectory(directory);
        }

        QueueFile.Write(Path.Combine(directory, QueueFile.FileName), name, settings, QueueFile.FirstRoutingVersion);
        var slot = NewSlot(name, settings, QueueFile.FirstRoutingVersion, directory);
        _slots[name] = slot;
        _services.Logger.QueueDeclared(name, settings.Partitions);
        return slot;
    }

    /// <summary>The effective settings for a declare request: given values checked, absent ones defaulted. The
    /// defaults come from the broker's configuration, which holds them to the same ranges.</summary>
    public QueueSettings Resolve(QueueDeclaration request)
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
                DeadLetterDestination.Discard => DeadLetterSettings.Discard,
                DeadLetterDestination.Global => new DeadLetterSettings(DeadLetterDestination.Global),
                _ => ResolveTarget(policy),
            };
        }
        else
        {
            deadLetter = defaults.DeadLetter == "discard" ? DeadLetterSettings.Discard : new DeadLetterSettings(DeadLetterDestination.Global);
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

    private static DeadLetterSettings ResolveTarget(DeadLetterSettings policy)
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

        return new DeadLetterSettings(DeadLetterDestination.Queue, topic, group);
    }

    /// <summary>Declares a queue with default settings (discarding its own dead letters) unless it exists;
    /// used for dead-letter targets that were never declared.</summary>
    public Queue GetOrDeclareTarget(QueueName name)
    {
        if (TryGet(name) is { } queue)
        {
            return queue;
        }

        var (slot, _) = Declare(name, name.IsBrokerOwned ? BrokerOwnedDeclaration : new QueueDeclaration(DeadLetter: DeadLetterSettings.Discard));
        return Load(slot);
    }

    /// <summary>How the broker declares its own queue: one partition (a dead-letter queue is read by few consumers
    /// and gains nothing from spreading; order across sources is kept), discarding its own dead letters so
    /// nothing loops, an unlimited retry budget so that nothing reaches that discard by failures, and the configured
    /// defaults for the rest.</summary>
    private static QueueDeclaration BrokerOwnedDeclaration =>
        new(Partitions: 1, DeadLetter: DeadLetterSettings.Discard, MaxRetries: BrokerOwnedMaxRetries);

    /// <summary>The largest retry budget a queue can have: a dead-letter reader that keeps crashing must not make the
    /// broker discard the dead letters it was meant to keep.</summary>
    private const uint BrokerOwnedMaxRetries = uint.MaxValue - 1;

    /// <summary>Creates the queues the broker owns (today <see cref="QueueName.DeadLetters"/>) when the index did not
    /// find them; an existing one is kept as it is. A quarantined one is reported and left alone: dead letters bound
    /// for it wait in their queues.</summary>
    private void CreateMissingBrokerOwnedQueues()
    {
        var name = QueueName.DeadLetters;
        if (_slots.ContainsKey(name))
        {
            return;
        }

        if (QuarantineOf(name) is { } quarantined)
        {
            _services.Logger.BrokerQueueUnavailable(name, $"{Describe(quarantined.File)}: {quarantined.Reason}");
            return;
        }

        try
        {
            Create(name, Resolve(BrokerOwnedDeclaration));
        }
        catch (BrokerErrorException e)
        {
            _services.Logger.BrokerQueueUnavailable(name, e.Message);
        }
    }

    private QuarantinedQueue? QuarantineOf(QueueName name) =>
        _quarantinedNames.TryGetValue(name, out var byName) ? byName
        : _quarantined.TryGetValue(DirectoryName(name), out var byDirectory) ? byDirectory
        : null;

    private void Quarantine(QuarantinedQueue quarantined, bool atStart)
    {
        if (atStart && _services.Options.Recovery.OnCorruption == "refuse")
        {
            throw new InvalidDataException($"{quarantined.File}: {quarantined.Reason}");
        }

        _quarantined[Path.GetFileName(quarantined.Directory)] = quarantined;
        if (quarantined.Name is { } name)
        {
            _quarantinedNames.TryAdd(name, quarantined);
        }

        _services.Logger.QueueQuarantined(quarantined.Directory, quarantined.File, quarantined.Reason);
    }

    private BrokerErrorException QuarantinedError(QueueName name, QuarantinedQueue quarantined) =>
        new(ErrorCode.Quarantined,
            $"queue {name} is quarantined: {Describe(quarantined.File)}: {quarantined.Reason}. An operator must repair it.",
            name.Group is null
                ? new Dictionary<string, string> { ["topic"] = name.Topic }
                : new Dictionary<string, string> { ["topic"] = name.Topic, ["group"] = name.Group });

    // What a queue directory holds besides an unfinished queue.json.
    private static List<string> Contents(string directory) =>
        [.. Directory.EnumerateFileSystemEntries(directory)
            .Select(entry => Path.GetFileName(entry))
            .Where(entry => entry != PendingFileName)
            .Order(StringComparer.Ordinal)];

    // Partition directories beyond the declared count: the file no longer matches the data.
    private static List<string> ExtraPartitions(string directory, uint partitions) =>
        [.. Directory.EnumerateDirectories(directory, "p*")
            .Select(entry => Path.GetFileName(entry))
            .Where(entry => uint.TryParse(entry.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index >= partitions)
            .Order(StringComparer.Ordinal)];

    private static CatalogueEntry EntryOf(QueueSlot slot) =>
        new(CatalogueEntryKind.Queue, slot.Name, slot.Settings.Partitions, slot.RoutingVersion);

    private QueueSlot NewSlot(QueueName name, QueueSettings settings, ulong routingVersion, string directory) =>
        new(name, settings, routingVersion, directory, () =>
        {
            var queue = new Queue(name, settings, directory, _services, DeadLetters);
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
                DeadLetterDestination.Queue => $"queue {new QueueName(d.Topic!, d.Group)}",
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
}
