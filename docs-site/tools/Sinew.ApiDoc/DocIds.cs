// Documentation comment IDs ("T:Sinew.Client.SinewClient", "M:...ConnectAsync(...)"): the keys of the
// compiler's XML documentation file, computed from reflection so each member finds its comment.
using System.Reflection;
using System.Text;

namespace Sinew.ApiDoc;

/// <summary>Computes the ID the C# compiler gives a type or member in its XML documentation file.</summary>
internal static class DocIds
{
    public static string For(Type type) => "T:" + TypeName(type);

    public static string For(MemberInfo member) => member switch
    {
        Type type => For(type),
        ConstructorInfo constructor => "M:" + TypeName(constructor.DeclaringType!) + "." + (constructor.IsStatic ? "#cctor" : "#ctor")
            + Parameters(constructor.GetParameters()),
        MethodInfo method => "M:" + TypeName(method.DeclaringType!) + "." + method.Name
            + (method.IsGenericMethodDefinition ? "``" + method.GetGenericArguments().Length : "")
            + Parameters(method.GetParameters())
            + (method.Name is "op_Implicit" or "op_Explicit" ? "~" + ParameterType(method.ReturnType) : ""),
        PropertyInfo property => "P:" + TypeName(property.DeclaringType!) + "." + property.Name + Parameters(property.GetIndexParameters()),
        FieldInfo field => "F:" + TypeName(field.DeclaringType!) + "." + field.Name,
        EventInfo @event => "E:" + TypeName(@event.DeclaringType!) + "." + @event.Name,
        _ => throw new ArgumentException($"no documentation ID for a {member.MemberType}", nameof(member)),
    };

    /// <summary>A type definition's name: namespace, declaring types joined by dots, arity after a backtick.</summary>
    private static string TypeName(Type type)
    {
        if (type.IsGenericType && !type.IsGenericTypeDefinition)
        {
            type = type.GetGenericTypeDefinition();
        }

        return (type.FullName ?? type.Name).Replace('+', '.');
    }

    private static string Parameters(ParameterInfo[] parameters) =>
        parameters.Length == 0 ? "" : "(" + string.Join(",", parameters.Select(p => ParameterType(p.ParameterType))) + ")";

    /// <summary>A type as it appears in a member's parameter list: constructed generics in braces, generic
    /// parameters by position (`0 for the type's, ``0 for the method's).</summary>
    private static string ParameterType(Type type)
    {
        if (type.IsByRef)
        {
            return ParameterType(type.GetElementType()!) + "@";
        }

        if (type.IsPointer)
        {
            return ParameterType(type.GetElementType()!) + "*";
        }

        if (type.IsArray)
        {
            var rank = type.GetArrayRank();
            var dimensions = rank == 1 ? "[]" : "[" + string.Join(",", Enumerable.Repeat("0:", rank)) + "]";
            return ParameterType(type.GetElementType()!) + dimensions;
        }

        if (type.IsGenericParameter)
        {
            return (type.DeclaringMethod is null ? "`" : "``") + type.GenericParameterPosition;
        }

        if (!type.IsGenericType)
        {
            return (type.FullName ?? type.Name).Replace('+', '.');
        }

        // A constructed generic, possibly nested in generic types: each level takes its share of the arguments.
        var arguments = type.GetGenericArguments();
        var levels = new List<Type>();
        for (var level = type.IsGenericTypeDefinition ? type : type.GetGenericTypeDefinition(); level is not null; level = level.DeclaringType)
        {
            levels.Insert(0, level);
        }

        var text = new StringBuilder(levels[0].Namespace is { Length: > 0 } ns ? ns + "." : "");
        var used = 0;
        for (var i = 0; i < levels.Count; i++)
        {
            if (i > 0)
            {
                text.Append('.');
            }

            var level = levels[i];
            var name = level.Name;
            var tick = name.IndexOf('`', StringComparison.Ordinal);
            var arity = tick < 0 ? 0 : int.Parse(name.AsSpan(tick + 1), System.Globalization.CultureInfo.InvariantCulture);
            text.Append(tick < 0 ? name : name[..tick]);
            if (arity > 0)
            {
                text.Append('{').AppendJoin(",", arguments.Skip(used).Take(arity).Select(ParameterType)).Append('}');
                used += arity;
            }
        }

        return text.ToString();
    }
}
