// A queue's settings file, queue.json: written once when the queue is declared, read at every start. It also
// keeps the queue's routing version; a file written before the version was kept has none, which means 1.
// Reading checks everything a declare checks (types, names, ranges), so a damaged or hand-edited file is
// reported with what is wrong instead of failing somewhere later.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sinew.Broker.Storage;
using Sinew.Protocol.Naming;

namespace Sinew.Broker.Queues;

internal static class QueueFile
{
    /// <summary>The file's name inside a queue directory.</summary>
    public const string FileName = "queue.json";

    // The largest partition count any configuration allows. A queue declared under a higher
    // queues.max_partitions than the current one stays readable: that limit applies to new declares.
    private const uint MaxPartitions = 65_536;

    /// <summary>The routing version of a new queue, and of one whose file predates the field.</summary>
    public const ulong FirstRoutingVersion = 1;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes the file atomically: after a crash it is either absent or complete.</summary>
    public static void Write(string path, QueueName name, QueueSettings settings, ulong routingVersion)
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
            ["routing_version"] = routingVersion,
        };
        AtomicFile.Write(path, json.ToJsonString(Indented));
    }

    /// <summary>Reads and checks the file. Throws <see cref="InvalidDataException"/> whose message says
    /// what is wrong (the caller names the file).</summary>
    public static (QueueName Name, QueueSettings Settings, ulong RoutingVersion) Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"cannot be read: {e.Message}", e);
        }

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(text);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"not valid JSON: {e.Message}", e);
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"holds a JSON {Kind(root)}, not an object");
        }

        var topic = Name(root, "topic", required: true, brokerOwned: true)!;
        var name = new QueueName(topic, Name(root, "group", required: false));
        if (NameRules.Validate(topic) is { } reserved && !name.IsBrokerOwned)
        {
            throw new InvalidDataException($"\"topic\" is \"{topic}\", which is not a valid name ({reserved.WireName()})");
        }

        var partitions = (uint)Unsigned(root, "partitions", 1, MaxPartitions)!.Value;
        var deadLetter = DeadLetter(Member(root, "dead_letter", JsonValueKind.Object));
        var maxRetries = (uint)Unsigned(root, "max_retries", 0, uint.MaxValue)!.Value;
        var ttl = Unsigned(root, "default_ttl_ms", 1, ulong.MaxValue, required: false);
        var lease = Unsigned(root, "lease_ms", 100, ulong.MaxValue)!.Value;
        var routingVersion = Unsigned(root, "routing_version", FirstRoutingVersion, ulong.MaxValue, required: false) ?? FirstRoutingVersion;
        return (name, new QueueSettings(partitions, deadLetter, maxRetries, ttl, lease), routingVersion);
    }

    private static DeadLetterSettings DeadLetter(JsonElement policy)
    {
        var kind = Member(policy, "kind", JsonValueKind.String, "dead_letter.").GetString() switch
        {
            "discard" => DeadLetterDestination.Discard,
            "global" => DeadLetterDestination.Global,
            "queue" => DeadLetterDestination.Queue,
            var other => throw new InvalidDataException($"\"dead_letter.kind\" is \"{other}\", not discard, global or queue"),
        };
        return kind switch
        {
            DeadLetterDestination.Discard => DeadLetterSettings.Discard,
            DeadLetterDestination.Global => new DeadLetterSettings(DeadLetterDestination.Global),
            _ => new DeadLetterSettings(DeadLetterDestination.Queue, Name(policy, "topic", required: true, "dead_letter."),
                GroupNames.Normalise(Name(policy, "group", required: false, "dead_letter."))),
        };
    }

    private static JsonElement Member(JsonElement parent, string field, JsonValueKind kind, string prefix = "")
    {
        if (!parent.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw new InvalidDataException($"\"{prefix}{field}\" is missing");
        }

        return value.ValueKind == kind
            ? value
            : throw new InvalidDataException($"\"{prefix}{field}\" is a {Kind(value)} ({value.GetRawText()}), not a {Kind(kind)}");
    }

    // A topic or group name, held to the same rule as names a client sends; with brokerOwned, the topic of a queue the
    // broker owns passes here (the caller checks the whole name once the group is known).
    private static string? Name(JsonElement parent, string field, bool required, string prefix = "", bool brokerOwned = false)
    {
        if (!required && (!parent.TryGetProperty(field, out var present) || present.ValueKind == JsonValueKind.Null))
        {
            return null;
        }

        var name = Member(parent, field, JsonValueKind.String, prefix).GetString()!;
        if (!required && GroupNames.Normalise(name) is null)
        {
            return null;
        }

        if (brokerOwned && new QueueName(name, null).IsBrokerOwned)
        {
            return name;
        }

        return NameRules.Validate(name) is { } problem
            ? throw new InvalidDataException($"\"{prefix}{field}\" is \"{name}\", which is not a valid name ({problem.WireName()})")
            : name;
    }

    private static ulong? Unsigned(JsonElement parent, string field, ulong min, ulong max, bool required = true)
    {
        if (!required && (!parent.TryGetProperty(field, out var present) || present.ValueKind == JsonValueKind.Null))
        {
            return null;
        }

        var element = Member(parent, field, JsonValueKind.Number);
        if (!element.TryGetUInt64(out var value) || value < min || value > max)
        {
            var range = max == ulong.MaxValue ? $"at least {min}" : $"from {min} to {max.ToString(CultureInfo.InvariantCulture)}";
            throw new InvalidDataException($"\"{field}\" is {element.GetRawText()}, not a whole number {range}");
        }

        return value;
    }

    private static string Kind(JsonElement element) => Kind(element.ValueKind);

    private static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
