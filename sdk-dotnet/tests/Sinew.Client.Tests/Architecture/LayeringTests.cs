// The client's floor plan, read from the compiled assembly: the connection engine, routing, the client core and the
// helpers below the public handles never refer to a handle, so no dependency points upward.
using System.Reflection;

namespace Sinew.Client.Tests.Architecture;

public class LayeringTests
{
    /// <summary>The namespaces below the public handles.</summary>
    private static readonly string[] Below =
    [
        "Sinew.Client.Connection",
        "Sinew.Client.Routing",
        "Sinew.Client.Core",
        "Sinew.Client.Internal",
        "Sinew.Client.Errors",
        "Sinew.Client.Diagnostics",
    ];

    /// <summary>The public handles and the results only they hand out.</summary>
    private static readonly Type[] Handles =
    [
        typeof(SinewClient),
        typeof(Publisher),
        typeof(ReliablePublisher),
        typeof(Subscription),
        typeof(Delivery),
        typeof(PublishReceipt),
        typeof(PublishConfirmation),
    ];

    [Fact]
    public void Nothing_below_the_public_handles_refers_to_one()
    {
        var lower = TypesIn(Below).ToList();
        Assert.Contains(lower, t => t.Namespace == "Sinew.Client.Core");

        var upward = (
            from type in lower
            from reference in TypeReferences.Of(type)
            from mentioned in TypeReferences.Expand(reference.Referenced)
            where Handles.Contains(mentioned)
            select $"{type.FullName} → {mentioned.Name} ({reference.Where})").Distinct().ToList();

        Assert.True(upward.Count == 0, "Dependencies from below the handles up to them:\n" + string.Join("\n", upward));
    }

    [Fact]
    public void The_connection_engine_refers_to_neither_routing_nor_the_core()
    {
        var engine = TypesIn(["Sinew.Client.Connection"]);
        var upward = (
            from type in engine
            from reference in TypeReferences.Of(type)
            from mentioned in TypeReferences.Expand(reference.Referenced)
            where mentioned.Assembly == typeof(SinewClient).Assembly && mentioned.Namespace is "Sinew.Client.Routing" or "Sinew.Client.Core"
            select $"{type.FullName} → {mentioned.FullName} ({reference.Where})").Distinct().ToList();

        Assert.True(upward.Count == 0, "Dependencies from the connection engine upward:\n" + string.Join("\n", upward));
    }

    [Fact]
    public void Routing_refers_to_nothing_of_the_core()
    {
        var routing = TypesIn(["Sinew.Client.Routing"]);
        var upward = (
            from type in routing
            from reference in TypeReferences.Of(type)
            from mentioned in TypeReferences.Expand(reference.Referenced)
            where mentioned.Assembly == typeof(SinewClient).Assembly && mentioned.Namespace == "Sinew.Client.Core"
            select $"{type.FullName} → {mentioned.FullName} ({reference.Where})").Distinct().ToList();

        Assert.True(upward.Count == 0, "Dependencies from routing up to the core:\n" + string.Join("\n", upward));
    }

    [Fact]
    public void The_check_sees_references_in_method_bodies()
    {
        // A handle named only inside a method body, as `new Delivery(...)` would be, must count as a reference.
        var references = TypeReferences.Of(typeof(BodyOnlyReference)).SelectMany(r => TypeReferences.Expand(r.Referenced));
        Assert.Contains(typeof(Subscription), references);
    }

    private static IEnumerable<Type> TypesIn(IReadOnlyCollection<string> namespaces) =>
        typeof(SinewClient).Assembly.GetTypes().Where(t => t.Namespace is { } name && namespaces.Contains(name));

    private static class BodyOnlyReference
    {
        public static string Describe(object value) => value is Subscription ? "a subscription" : "something else";
    }
}
