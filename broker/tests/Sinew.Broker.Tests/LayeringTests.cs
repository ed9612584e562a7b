// The broker's layers, as broker/src/Sinew.Broker/README.md draws them, checked against the compiled code:
// each namespace uses only the ones below it, and the engine never sees a wire message.
using Sinew.Broker.Tests.Support;

namespace Sinew.Broker.Tests;

public class LayeringTests
{
    private const string Root = "Sinew.Broker";
    private const string Configuration = "Sinew.Broker.Configuration";
    private const string Security = "Sinew.Broker.Security";
    private const string Diagnostics = "Sinew.Broker.Diagnostics";
    private const string Storage = "Sinew.Broker.Storage";
    private const string Engine = "Sinew.Broker.Engine";
    private const string Queues = "Sinew.Broker.Queues";
    private const string Network = "Sinew.Broker.Network";
    private const string Http = "Sinew.Broker.Http";
    private const string Hosting = "Sinew.Broker.Hosting";

    // Which broker namespaces each one may use. The same table is in the README.
    private static readonly Dictionary<string, string[]> MayUse = new(StringComparer.Ordinal)
    {
        [Root] = [],
        [Configuration] = [],
        [Security] = [],
        [Diagnostics] = [Root],
        [Storage] = [Root, Diagnostics],
        [Engine] = [Root, Configuration, Diagnostics, Storage],
        [Queues] = [Root, Configuration, Diagnostics, Storage, Engine],
        [Network] = [Root, Configuration, Security, Diagnostics, Storage, Engine, Queues],
        [Http] = [Root, Configuration, Security, Diagnostics, Storage, Engine, Queues],
        [Hosting] = [Root, Configuration, Security, Diagnostics, Storage, Engine, Queues, Network, Http],
    };

    // The engine and what it stands on: none of it may touch the protocol's messages or frames.
    private static readonly string[] BelowTheWire = [Root, Configuration, Diagnostics, Storage, Engine, Queues];

    private static readonly string[] WireNamespaces = ["Sinew.Protocol.Messages", "Sinew.Protocol.Framing", "Sinew.Protocol.Encoding"];

    private static readonly Dictionary<string, Dictionary<string, string>> Graph =
        NamespaceDependencies.Of(typeof(Sinew.Broker.Hosting.BrokerHost).Assembly, Root);

    [Fact]
    public void Every_broker_namespace_is_in_the_layer_table()
    {
        Assert.Empty(Graph.Keys.Except(MayUse.Keys).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void No_namespace_uses_one_above_it_or_beside_it()
    {
        var violations = Graph
            .SelectMany(from => from.Value
                .Where(to => to.Key.StartsWith(Root, StringComparison.Ordinal) && MayUse.ContainsKey(to.Key)
                    && !MayUse.GetValueOrDefault(from.Key, []).Contains(to.Key))
                .Select(to => $"{from.Key} -> {to.Key} ({to.Value})"))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(violations.Count == 0, "layer violations:\n" + string.Join("\n", violations) + "\n\n" + Describe());
    }

    [Fact]
    public void The_namespaces_form_no_cycle()
    {
        var cycle = NamespaceDependencies.FindCycle(Graph);
        Assert.True(cycle is null, $"cycle: {string.Join(" -> ", cycle ?? [])}");
    }

    [Fact]
    public void The_engine_never_sees_a_wire_message()
    {
        var violations = BelowTheWire
            .SelectMany(from => Graph.GetValueOrDefault(from, [])
                .Where(to => WireNamespaces.Contains(to.Key))
                .Select(to => $"{from} -> {to.Key} ({to.Value})"))
            .ToList();
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    private static string Describe() => string.Join("\n", Graph
        .OrderBy(n => n.Key, StringComparer.Ordinal)
        .Select(n => $"{n.Key} -> {string.Join(", ", n.Value.Keys.Where(k => k.StartsWith(Root, StringComparison.Ordinal)).Order(StringComparer.Ordinal))}"));
}
