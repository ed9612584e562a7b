// The public surface of Sinew.Client, read from the compiled assembly: no public signature exposes the protocol's
// types or anything the application cannot see (the connection engine, routing, the client core).
using System.Reflection;

namespace Sinew.Client.Tests.Architecture;

public class PublicSurfaceTests
{
    private const BindingFlags Declared =
        BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    [Fact]
    public void No_public_signature_exposes_a_protocol_type_or_a_type_the_application_cannot_see()
    {
        var exported = typeof(SinewClient).Assembly.GetExportedTypes();
        Assert.Contains(typeof(Delivery), exported);

        var leaks = (
            from type in exported
            from reference in Signatures(type)
            from mentioned in TypeReferences.Expand(reference.Referenced)
            where Leaks(mentioned)
            select $"{type.FullName}: {reference.Where} exposes {mentioned.FullName}").Distinct().ToList();

        Assert.True(leaks.Count == 0, "Public signatures exposing internals:\n" + string.Join("\n", leaks));
    }

    [Fact]
    public void The_check_sees_an_internal_interface_on_a_public_type()
    {
        var references = Signatures(typeof(LeakyHandle)).SelectMany(r => TypeReferences.Expand(r.Referenced));
        Assert.Contains(references, Leaks);
    }

    /// <summary>Protocol types (the wire messages, framing, codecs) and every type not visible outside the assembly
    /// that declares it; generic parameters are placeholders, not types.</summary>
    private static bool Leaks(Type type) =>
        !type.IsGenericParameter && (type.Namespace?.StartsWith("Sinew.Protocol", StringComparison.Ordinal) == true || !type.IsVisible);

    /// <summary>What the application sees of a type: its base type, interfaces and generic constraints, and the
    /// signatures of its public and protected members.</summary>
    private static IEnumerable<(string Where, Type Referenced)> Signatures(Type type)
    {
        if (type.BaseType is { } baseType)
        {
            yield return ("base type", baseType);
        }

        foreach (var implemented in type.GetInterfaces())
        {
            yield return ("interface", implemented);
        }

        foreach (var parameter in type.IsGenericTypeDefinition ? type.GetGenericArguments() : [])
        {
            foreach (var constraint in parameter.GetGenericParameterConstraints())
            {
                yield return ($"constraint on {parameter.Name}", constraint);
            }
        }

        foreach (var field in type.GetFields(Declared).Where(f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly))
        {
            yield return ($"field {field.Name}", field.FieldType);
        }

        foreach (var property in type.GetProperties(Declared).Where(p => p.GetAccessors(nonPublic: true).Any(Visible)))
        {
            yield return ($"property {property.Name}", property.PropertyType);
        }

        foreach (var @event in type.GetEvents(Declared).Where(e => e.AddMethod is { } add && Visible(add)))
        {
            yield return ($"event {@event.Name}", @event.EventHandlerType!);
        }

        foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)).Where(Visible))
        {
            var where = method.IsConstructor ? "constructor" : $"method {method.Name}";
            if (method is MethodInfo info)
            {
                yield return ($"{where} return", info.ReturnType);
                foreach (var argument in info.IsGenericMethodDefinition ? info.GetGenericArguments() : [])
                {
                    foreach (var constraint in argument.GetGenericParameterConstraints())
                    {
                        yield return ($"{where} constraint on {argument.Name}", constraint);
                    }
                }
            }

            foreach (var parameter in method.GetParameters())
            {
                yield return ($"{where} parameter {parameter.Name}", parameter.ParameterType);
            }
        }
    }

    private static bool Visible(MethodBase method) => method.IsPublic || method.IsFamily || method.IsFamilyOrAssembly;

    private interface IHidden;

    /// <summary>A public-looking type with an internal interface, as a client class implementing a connection callback
    /// interface would be.</summary>
    private sealed class LeakyHandle : IHidden;
}
