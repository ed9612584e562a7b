// Every type a compiled type refers to: in its base type, interfaces and generic constraints, in the signatures of
// its fields, properties, events and methods, and in its method bodies (locals and every type, method and field the
// IL names). What the layering and public-surface tests read the compiled assembly with.
using System.Reflection;
using System.Reflection.Emit;

namespace Sinew.Client.Tests.Architecture;

internal static class TypeReferences
{
    private const BindingFlags Declared =
        BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly OpCode[] OneByte = new OpCode[256];
    private static readonly OpCode[] TwoByte = new OpCode[256];

#pragma warning disable CA1810 // The opcode tables are filled from OpCodes' fields, which an initializer cannot express.
    static TypeReferences()
#pragma warning restore CA1810
    {
        foreach (var field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var code = (OpCode)field.GetValue(null)!;
            var value = (ushort)code.Value;
            if (code.Size == 1)
            {
                OneByte[value] = code;
            }
            else
            {
                TwoByte[value & 0xFF] = code;
            }
        }
    }

    /// <summary>Where each referenced type is mentioned in <paramref name="type"/>, as "where: type" pairs. Nested
    /// types (compiler-generated state machines and closures included) are separate types; callers walk them too.</summary>
    public static IEnumerable<(string Where, Type Referenced)> Of(Type type)
    {
        var found = new List<(string, Type)>();
        void Add(string where, Type? referenced)
        {
            if (referenced is not null)
            {
                found.Add((where, referenced));
            }
        }

        Add("base type", type.BaseType);
        foreach (var implemented in type.GetInterfaces())
        {
            Add("interface", implemented);
        }

        foreach (var parameter in type.IsGenericTypeDefinition ? type.GetGenericArguments() : [])
        {
            foreach (var constraint in parameter.GetGenericParameterConstraints())
            {
                Add($"constraint on {parameter.Name}", constraint);
            }
        }

        foreach (var field in type.GetFields(Declared))
        {
            Add($"field {field.Name}", field.FieldType);
        }

        foreach (var property in type.GetProperties(Declared))
        {
            Add($"property {property.Name}", property.PropertyType);
        }

        foreach (var @event in type.GetEvents(Declared))
        {
            Add($"event {@event.Name}", @event.EventHandlerType);
        }

        foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            var where = $"{(method.IsConstructor ? "constructor" : "method " + method.Name)}";
            if (method is MethodInfo info)
            {
                Add($"{where} return", info.ReturnType);
            }

            foreach (var parameter in method.GetParameters())
            {
                Add($"{where} parameter {parameter.Name}", parameter.ParameterType);
            }

            foreach (var (what, referenced) in InBody(type, method))
            {
                Add($"{where} body ({what})", referenced);
            }
        }

        return found;
    }

    /// <summary>The type itself, and the types it is built from: element types, generic definitions and arguments.</summary>
    public static IEnumerable<Type> Expand(Type type)
    {
        yield return type;
        if (type.HasElementType)
        {
            foreach (var inner in Expand(type.GetElementType()!))
            {
                yield return inner;
            }
        }

        if (type.IsConstructedGenericType)
        {
            yield return type.GetGenericTypeDefinition();
            foreach (var argument in type.GetGenericArguments())
            {
                foreach (var inner in Expand(argument))
                {
                    yield return inner;
                }
            }
        }
    }

    private static IEnumerable<(string What, Type Referenced)> InBody(Type type, MethodBase method)
    {
        var body = method.GetMethodBody();
        if (body is null)
        {
            yield break;
        }

        foreach (var local in body.LocalVariables)
        {
            yield return ("local", local.LocalType);
        }

        var il = body.GetILAsByteArray() ?? [];
        var typeArguments = type.IsGenericTypeDefinition ? type.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethodDefinition ? method.GetGenericArguments() : null;
        var position = 0;
        while (position < il.Length)
        {
            var code = il[position] == 0xFE ? TwoByte[il[++position]] : OneByte[il[position]];
            position++;
            var operand = position;
            position += OperandSize(code.OperandType, il, operand);
            if (code.OperandType is not (OperandType.InlineType or OperandType.InlineTok or OperandType.InlineMethod or OperandType.InlineField))
            {
                continue;
            }

            var token = BitConverter.ToInt32(il, operand);
            var member = method.Module.ResolveMember(token, typeArguments, methodArguments);
            foreach (var referenced in TypesOf(member))
            {
                yield return (code.Name ?? "IL", referenced);
            }
        }
    }

    private static IEnumerable<Type> TypesOf(MemberInfo? member)
    {
        switch (member)
        {
            case Type type:
                yield return type;
                break;
            case FieldInfo field:
                yield return field.DeclaringType!;
                yield return field.FieldType;
                break;
            case MethodBase method:
                yield return method.DeclaringType!;
                if (method is MethodInfo info)
                {
                    yield return info.ReturnType;
                    if (info.IsGenericMethod)
                    {
                        foreach (var argument in info.GetGenericArguments())
                        {
                            yield return argument;
                        }
                    }
                }

                foreach (var parameter in method.GetParameters())
                {
                    yield return parameter.ParameterType;
                }

                break;
        }
    }

    private static int OperandSize(OperandType operand, byte[] il, int at) => operand switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, at)),
        _ => 4,
    };
}
