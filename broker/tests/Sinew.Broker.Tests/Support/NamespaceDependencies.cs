// Which namespaces of an assembly use which, read from the compiled code: signatures, fields, locals, catch
// clauses and every type, method and field an IL instruction names. What the compiler resolved is what counts,
// so a fully qualified name or a type reached through `var` is found as surely as one behind a using.
using System.Reflection;
using System.Reflection.Emit;

namespace Sinew.Broker.Tests.Support;

internal static class NamespaceDependencies
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance
        | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>For each namespace of <paramref name="assembly"/> under <paramref name="prefix"/>, every other
    /// namespace its code uses (in any assembly), with one type that makes the dependency, for messages.</summary>
    public static Dictionary<string, Dictionary<string, string>> Of(Assembly assembly, string prefix)
    {
        var graph = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var type in assembly.GetTypes())
        {
            var from = OwnNamespace(type);
            if (from is null || !(from == prefix || from.StartsWith(prefix + ".", StringComparison.Ordinal)))
            {
                continue;
            }

            if (!graph.TryGetValue(from, out var uses))
            {
                graph[from] = uses = new Dictionary<string, string>(StringComparer.Ordinal);
            }

            foreach (var used in TypesUsedBy(type))
            {
                if (OwnNamespace(used) is { } to && to != from)
                {
                    uses.TryAdd(to, $"{Name(type)} uses {Name(used)}");
                }
            }
        }

        return graph;
    }

    /// <summary>A cycle of namespaces in <paramref name="graph"/>, or null when there is none.</summary>
    public static List<string>? FindCycle(Dictionary<string, Dictionary<string, string>> graph)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        var path = new List<string>();

        List<string>? Visit(string node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (var next in graph.GetValueOrDefault(node)?.Keys ?? Enumerable.Empty<string>())
            {
                if (!graph.ContainsKey(next))
                {
                    continue;
                }

                if (state.GetValueOrDefault(next) == 1)
                {
                    return [.. path.SkipWhile(n => n != next), next];
                }

                if (state.GetValueOrDefault(next) == 0 && Visit(next) is { } cycle)
                {
                    return cycle;
                }
            }

            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }

        foreach (var node in graph.Keys.Order(StringComparer.Ordinal))
        {
            if (state.GetValueOrDefault(node) == 0 && Visit(node) is { } cycle)
            {
                return cycle;
            }
        }

        return null;
    }

    // Compiler-made types (closures, state machines, generated logging) count as their outermost declaring type.
    private static string? OwnNamespace(Type type)
    {
        while (type.IsArray || type.IsByRef || type.IsPointer)
        {
            type = type.GetElementType()!;
        }

        while (type.DeclaringType is { } outer && !type.IsGenericParameter)
        {
            type = outer;
        }

        return type.IsGenericParameter ? null : type.Namespace;
    }

    private static string Name(Type type) => type.FullName ?? type.Name;

    private static HashSet<Type> TypesUsedBy(Type type)
    {
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null || !found.Add(t))
            {
                return;
            }

            if (t.HasElementType)
            {
                Add(t.GetElementType());
            }

            if (t.IsGenericType && !t.IsGenericTypeDefinition)
            {
                Add(t.GetGenericTypeDefinition());
                foreach (var argument in t.GetGenericArguments())
                {
                    Add(argument);
                }
            }
        }

        Add(type.BaseType);
        foreach (var contract in type.GetInterfaces())
        {
            Add(contract);
        }

        foreach (var field in type.GetFields(Declared))
        {
            Add(field.FieldType);
        }

        foreach (var property in type.GetProperties(Declared))
        {
            Add(property.PropertyType);
        }

        foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            if (method is MethodInfo info)
            {
                Add(info.ReturnType);
            }

            foreach (var parameter in method.GetParameters())
            {
                Add(parameter.ParameterType);
            }

            foreach (var used in TypesInBody(type, method))
            {
                Add(used);
            }
        }

        return found;
    }

    private static IEnumerable<Type> TypesInBody(Type type, MethodBase method)
    {
        var body = method.GetMethodBody();
        if (body is null)
        {
            yield break;
        }

        foreach (var local in body.LocalVariables)
        {
            yield return local.LocalType;
        }

        foreach (var clause in body.ExceptionHandlingClauses)
        {
            if (clause.Flags == ExceptionHandlingClauseOptions.Clause)
            {
                yield return clause.CatchType!;
            }
        }

        var il = body.GetILAsByteArray() ?? [];
        var typeArguments = type.IsGenericType ? type.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var at = 0;
        while (at < il.Length)
        {
            short value = il[at++];
            if (value == 0xFE)
            {
                value = (short)(0xFE00 | il[at++]);
            }

            var opcode = OpCodesByValue[value];
            switch (opcode.OperandType)
            {
                case OperandType.InlineType:
                case OperandType.InlineTok:
                case OperandType.InlineMethod:
                case OperandType.InlineField:
                    var token = BitConverter.ToInt32(il, at);
                    at += 4;
                    foreach (var used in Resolve(method.Module, token, typeArguments, methodArguments))
                    {
                        yield return used;
                    }

                    break;
                case OperandType.InlineSwitch:
                    at += 4 + (4 * BitConverter.ToInt32(il, at));
                    break;
                default:
                    at += OperandSize(opcode.OperandType);
                    break;
            }
        }
    }

    private static IEnumerable<Type> Resolve(Module module, int token, Type[]? typeArguments, Type[]? methodArguments)
    {
        var member = module.ResolveMember(token, typeArguments, methodArguments);
        switch (member)
        {
            case Type t:
                yield return t;
                break;
            case MethodInfo m:
                yield return m.DeclaringType!;
                yield return m.ReturnType;
                if (m.IsGenericMethod)
                {
                    foreach (var argument in m.GetGenericArguments())
                    {
                        yield return argument;
                    }
                }

                break;
            case MemberInfo other when other.DeclaringType is { } declaring:
                yield return declaring;
                break;
        }
    }

    private static int OperandSize(OperandType type) => type switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        _ => 4,
    };
}
