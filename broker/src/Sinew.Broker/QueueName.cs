// A queue's address: a topic and an optional group (a namespace, not a consumer group).
using Sinew.Protocol.Naming;

namespace Sinew.Broker;

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

    /// <summary>A queue name as a client or an operator gives it, held to the naming rules; a name that breaks
    /// them is an <c>invalid</c> error naming the field and the rule.</summary>
    public static QueueName Parse(string topic, string? group)
    {
        if (NameRules.Validate(topic) is { } problem)
        {
            throw BrokerErrorException.Invalid("topic", $"'{topic}' is not a valid topic: {problem.Describe()}", problem.WireName());
        }

        var name = new QueueName(topic, group);
        if (name.Group is { } g && NameRules.Validate(g) is { } groupProblem)
        {
            throw BrokerErrorException.Invalid("group", $"'{g}' is not a valid group: {groupProblem.Describe()}", groupProblem.WireName());
        }

        return name;
    }

    public override string ToString() => Group is null ? Topic : $"{Topic} (group {Group})";
}
