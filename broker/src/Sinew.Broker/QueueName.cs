// A queue's address: a topic and an optional group (a namespace, not a consumer group), and the names of the
// queues the broker owns, which break the naming rules on purpose so that no client can declare them.
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

    /// <summary>The broker's own dead-letter queue (specification section 8.7): the global dead-letter target
    /// until an operator sets another.</summary>
    public static QueueName DeadLetters { get; } = new("$dead-letters", null);

    public string Topic { get; }

    public string? Group { get; }

    /// <summary>Whether the broker owns the queue: it creates it itself, and clients may subscribe to it and
    /// settle its messages but never declare it or publish to it.</summary>
    public bool IsBrokerOwned => this == DeadLetters;

    /// <summary>A queue name as a client or an operator gives it, held to the naming rules; a name that breaks
    /// them is an <c>invalid</c> error naming the field and the rule. With <paramref name="brokerOwned"/>, the
    /// name of a queue the broker owns is accepted too (for the requests that may name one: Subscribe).</summary>
    public static QueueName Parse(string topic, string? group, bool brokerOwned = false)
    {
        if (NameRules.Validate(topic) is { } problem
            && !(brokerOwned && problem == NameProblem.ReservedPrefix && new QueueName(topic, group).IsBrokerOwned))
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
