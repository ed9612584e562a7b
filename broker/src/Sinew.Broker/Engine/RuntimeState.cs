// Broker state an operator changes at run time (today: the global dead-letter target), persisted in the
// data directory so it survives restarts.
using System.Text.Json;
using Sinew.Broker.Storage;

namespace Sinew.Broker.Engine;

internal sealed class RuntimeState
{
    private readonly string _path;
    private readonly object _lock = new();
    private QueueName? _globalDeadLetterTarget;

    private RuntimeState(string path)
    {
        _path = path;
    }

    /// <summary>The global dead-letter target an operator set; null when none is, which means the broker's own
    /// <see cref="QueueName.DeadLetters"/>.</summary>
    public QueueName? GlobalDeadLetterTarget
    {
        get
        {
            lock (_lock)
            {
                return _globalDeadLetterTarget;
            }
        }
    }

    public static RuntimeState Load(string dataDir)
    {
        var state = new RuntimeState(Path.Combine(dataDir, "runtime.json"));
        if (File.Exists(state._path))
        {
            using var document = JsonDocument.Parse(File.ReadAllText(state._path));
            if (document.RootElement.TryGetProperty("global_dead_letter", out var target) && target.ValueKind == JsonValueKind.Object)
            {
                state._globalDeadLetterTarget = new QueueName(
                    target.GetProperty("topic").GetString()!,
                    target.TryGetProperty("group", out var group) ? group.GetString() : null);
            }
        }

        return state;
    }

    /// <summary>Sets or clears (back to the broker's own queue) the global dead-letter target and persists it before returning.</summary>
    public void SetGlobalDeadLetterTarget(QueueName? target)
    {
        lock (_lock)
        {
            var json = target is { } t
                ? JsonSerializer.Serialize(new { global_dead_letter = new { topic = t.Topic, group = t.Group } })
                : "{}";
            AtomicFile.Write(_path, json);
            _globalDeadLetterTarget = target;
        }
    }
}
