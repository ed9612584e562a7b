// A queue's address: a topic and an optional group (a namespace, not a consumer group).
using Sinew.Protocol.Naming;

namespace Sinew.Broker.Queues;

/// <summary>Topic plus optional group. The group is normalised: "" and "default" mean no group.</summary>
internal readonly record struct QueueName
{
    public QueueName(string topic, string? group)
    {
        Topic = topic;
        Group = GroupNames.Normalise(group);
    }

    public string Topic { get; }

    public string? Group { get; }

    public override string ToString() => Group is null ? Topic : $"{Topic} (group {Group})";
}
