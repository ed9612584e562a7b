// C# declarations rebuilt from reflection: type names with keywords, generics and nullable annotations,
// and the one-line declaration shown at the top of each type and member.
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

namespace Sinew.ApiDoc;

/// <summary>A type reference split into pieces, so a renderer can link the pieces that have pages.</summary>
/// <param name="Text">The text of this piece.</param>
/// <param name="Target">The documented type the piece names, if any.</param>
internal readonly record struct TypePiece(string Text, Type? Target);

internal sealed class Signatures
{
    private static readonly Dictionary<Type, string> Keywords = new()
    {
        [typeof(void)] = "void", [typeof(object)] = "object", [typeof(string)] = "string", [typeof(bool)] = "bool",
        [typeof(byte)] = "byte", [typeof(sbyte)] = "sbyte", [typeof(short)] = "short", [typeof(ushort)] = "ushort",
        [typeof(int)] = "int", [typeof(uint)] = "uint", [typeof(long)] = "long", [typeof(ulong)] = "ulong",
        [typeof(float)] = "float", [typeof(double)] = "double", [typeof(decimal)] = "decimal", [typeof(char)] = "char",
        [typeof(nint)] = "nint", [typeof(nuint)] = "nuint",
    };

    private readonly NullabilityInfoContext _nullability = new();

    /// <summary>The C# spelling of a type, in pieces.</summary>
    public static List<TypePiece> Pieces(Type type, NullabilityInfo? nullability = null)
    {
        var pieces = new List<TypePiece>();
        Append(pieces, type, nullability);
        return pieces;
    }

    public static string Name(Type type, NullabilityInfo? nullability = null) => string.Concat(Pieces(type, nullability).Select(p => p.Text));

    private static void Append(List<TypePiece> pieces, Type type, NullabilityInfo? nullability)
    {
        if (type.IsByRef)
        {
            Append(pieces, type.GetElementType()!, nullability?.ElementType ?? nullability);
            return;
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            Append(pieces, underlying, nullability?.GenericTypeArguments.FirstOrDefault());
            pieces.Add(new TypePiece("?", null));
            return;
        }

        if (type.IsArray)
        {
            Append(pieces, type.GetElementType()!, nullability?.ElementType);
            pieces.Add(new TypePiece("[" + new string(',', type.GetArrayRank() - 1) + "]", null));
            AppendNullableMark(pieces, type, nullability);
            return;
        }

        if (type.IsGenericParameter)
        {
            pieces.Add(new TypePiece(type.Name, null));
            AppendNullableMark(pieces, type, nullability);
            return;
        }

        if (Keywords.TryGetValue(type, out var keyword))
        {
            pieces.Add(new TypePiece(keyword, null));
            AppendNullableMark(pieces, type, nullability);
            return;
        }

        var arguments = type.IsGenericType ? type.GetGenericArguments() : [];
        if (type.IsGenericType && type.FullName?.StartsWith("System.ValueTuple`", StringComparison.Ordinal) == true)
        {
            pieces.Add(new TypePiece("(", null));
            for (var i = 0; i < arguments.Length; i++)
            {
                if (i > 0)
                {
                    pieces.Add(new TypePiece(", ", null));
                }

                Append(pieces, arguments[i], nullability?.GenericTypeArguments.ElementAtOrDefault(i));
            }

            pieces.Add(new TypePiece(")", null));
            return;
        }

        var definition = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        pieces.Add(new TypePiece(SimpleName(definition), definition));
        if (arguments.Length > 0)
        {
            // Arguments that belong to declaring types are not repeated on the nested type's name.
            var own = arguments.Skip(type.DeclaringType is { IsGenericType: true } outer ? outer.GetGenericArguments().Length : 0).ToArray();
            var offset = arguments.Length - own.Length;
            if (own.Length > 0)
            {
                pieces.Add(new TypePiece("<", null));
                for (var i = 0; i < own.Length; i++)
                {
                    if (i > 0)
                    {
                        pieces.Add(new TypePiece(", ", null));
                    }

                    Append(pieces, own[i], nullability?.GenericTypeArguments.ElementAtOrDefault(offset + i));
                }

                pieces.Add(new TypePiece(">", null));
            }
        }

        AppendNullableMark(pieces, type, nullability);
    }

    private static void AppendNullableMark(List<TypePiece> pieces, Type type, NullabilityInfo? nullability)
    {
        if (!type.IsValueType && nullability?.ReadState == NullabilityState.Nullable)
        {
            pieces.Add(new TypePiece("?", null));
        }
    }

    /// <summary>A type's name without namespace or arity, with its declaring types (Outer.Inner).</summary>
    public static string SimpleName(Type type)
    {
        var name = type.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        if (tick >= 0)
        {
            name = name[..tick];
        }

        return type.DeclaringType is { } declaring && !type.IsGenericParameter ? SimpleName(declaring) + "." + name : name;
    }

    /// <summary>The display name of a type with its type parameters: <c>PendingRequest&lt;T&gt;</c>.</summary>
    public static string DisplayName(Type type)
    {
        var name = SimpleName(type);
        var own = type.GetGenericArguments().Skip(type.DeclaringType?.GetGenericArguments().Length ?? 0).ToArray();
        return own.Length == 0 ? name : name + "<" + string.Join(", ", own.Select(a => a.Name)) + ">";
    }

    public static string Kind(Type type)
    {
        if (type.IsEnum)
        {
            return "enum";
        }

        if (type.IsInterface)
        {
            return "interface";
        }

        if (typeof(Delegate).IsAssignableFrom(type.BaseType))
        {
            return "delegate";
        }

        var record = IsRecord(type);
        if (type.IsValueType)
        {
            return record ? "record struct" : "struct";
        }

        return record ? "record" : "class";
    }

    /// <summary>Records have a compiler-generated <c>EqualityContract</c> (classes) or a compiler-generated
    /// <c>PrintMembers</c> (structs).</summary>
    public static bool IsRecord(Type type)
    {
        const BindingFlags all = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly;
        return type.GetProperty("EqualityContract", all)?.GetMethod?.IsDefined(typeof(CompilerGeneratedAttribute)) == true
            || type.GetMethod("PrintMembers", all)?.IsDefined(typeof(CompilerGeneratedAttribute)) == true;
    }

    // ---- declarations ---------------------------------------------------------------------------------

    public string Declaration(Type type)
    {
        var text = new StringBuilder(type.IsPublic || type.IsNestedPublic ? "public " : "protected ");
        var kind = Kind(type);
        if (kind == "delegate")
        {
            var invoke = type.GetMethod("Invoke")!;
            text.Append("delegate ").Append(Name(invoke.ReturnType, _nullability.Create(invoke.ReturnParameter))).Append(' ')
                .Append(DisplayName(type).Split('.')[^1]).Append(ParameterList(invoke.GetParameters(), extension: false)).Append(';');
            return text.ToString();
        }

        if (type is { IsAbstract: true, IsSealed: true })
        {
            text.Append("static ");
        }
        else if (type is { IsAbstract: true, IsInterface: false })
        {
            text.Append("abstract ");
        }
        else if (type is { IsSealed: true, IsValueType: false })
        {
            text.Append("sealed ");
        }

        if (type.IsValueType && !type.IsEnum && type.IsDefined(typeof(IsReadOnlyAttribute)))
        {
            text.Append("readonly ");
        }

        text.Append(kind).Append(' ').Append(DisplayName(type).Split('.')[^1]);
        var bases = new List<string>();
        if (type.IsEnum)
        {
            var underlying = Enum.GetUnderlyingType(type);
            if (underlying != typeof(int))
            {
                bases.Add(Name(underlying));
            }
        }
        else
        {
            if (type.BaseType is { } baseType && baseType != typeof(object) && baseType != typeof(ValueType))
            {
                bases.Add(Name(baseType));
            }

            var inherited = type.BaseType?.GetInterfaces() ?? [];
            bases.AddRange(type.GetInterfaces()
                .Where(i => !inherited.Contains(i) && IsVisible(i))
                .Select(i => Name(i))
                .Order(StringComparer.Ordinal));
        }

        if (bases.Count > 0)
        {
            text.Append(" : ").AppendJoin(", ", bases);
        }

        return text.ToString();
    }

    public string Declaration(MemberInfo member) => member switch
    {
        ConstructorInfo constructor => Access(constructor) + (constructor.IsStatic ? "static " : "")
            + DisplayName(constructor.DeclaringType!).Split('.')[^1].Split('<')[0] + ParameterList(constructor.GetParameters(), extension: false) + ";",
        MethodInfo method => MethodDeclaration(method),
        PropertyInfo property => PropertyDeclaration(property),
        FieldInfo field => FieldDeclaration(field),
        EventInfo @event => Access(@event.AddMethod!) + Modifiers(@event.AddMethod!) + "event "
            + Name(@event.EventHandlerType!, _nullability.Create(@event)) + " " + @event.Name + ";",
        _ => member.Name,
    };

    private string MethodDeclaration(MethodInfo method)
    {
        var text = new StringBuilder(Access(method)).Append(Modifiers(method));
        var returnType = Name(method.ReturnType, _nullability.Create(method.ReturnParameter));
        if (method.Name is "op_Implicit" or "op_Explicit")
        {
            text.Append(method.Name == "op_Implicit" ? "implicit" : "explicit").Append(" operator ").Append(returnType);
        }
        else
        {
            text.Append(returnType).Append(' ');
            text.Append(Operators.TryGetValue(method.Name, out var op) ? "operator " + op : method.Name);
            if (method.IsGenericMethodDefinition)
            {
                text.Append('<').AppendJoin(", ", method.GetGenericArguments().Select(a => a.Name)).Append('>');
            }
        }

        text.Append(ParameterList(method.GetParameters(), method.IsDefined(typeof(ExtensionAttribute)))).Append(';');
        return text.ToString();
    }

    private string PropertyDeclaration(PropertyInfo property)
    {
        var accessor = property.GetMethod ?? property.SetMethod!;
        var text = new StringBuilder(Access(accessor)).Append(Modifiers(accessor));
        if (property.IsDefined(typeof(RequiredMemberAttribute)))
        {
            text.Append("required ");
        }

        text.Append(Name(property.PropertyType, _nullability.Create(property))).Append(' ');
        var index = property.GetIndexParameters();
        text.Append(index.Length == 0 ? property.Name : "this" + ParameterList(index, extension: false).Replace('(', '[').Replace(')', ']'));
        text.Append(" {");
        if (property.GetMethod is { } get && IsVisible(get))
        {
            text.Append(" get;");
        }

        if (property.SetMethod is { } set && IsVisible(set))
        {
            var init = set.ReturnParameter.GetRequiredCustomModifiers().Contains(typeof(IsExternalInit));
            text.Append(set.IsFamily || set.IsFamilyOrAssembly ? " protected" : "").Append(init ? " init;" : " set;");
        }

        return text.Append(" }").ToString();
    }

    private string FieldDeclaration(FieldInfo field)
    {
        var text = new StringBuilder(field.IsPublic ? "public " : "protected ");
        if (field.IsLiteral)
        {
            text.Append("const ");
        }
        else
        {
            text.Append(field.IsStatic ? "static " : "").Append(field.IsInitOnly ? "readonly " : "");
        }

        text.Append(Name(field.FieldType, _nullability.Create(field))).Append(' ').Append(field.Name);
        if (field.IsLiteral)
        {
            text.Append(" = ").Append(Literal(field.GetRawConstantValue(), field.FieldType));
        }

        return text.Append(';').ToString();
    }

    private string ParameterList(ParameterInfo[] parameters, bool extension)
    {
        var text = new StringBuilder("(");
        for (var i = 0; i < parameters.Length; i++)
        {
            var parameter = parameters[i];
            if (i > 0)
            {
                text.Append(", ");
            }

            if (i == 0 && extension)
            {
                text.Append("this ");
            }

            text.Append(ParameterPrefix(parameter));
            text.Append(Name(parameter.ParameterType, _nullability.Create(parameter))).Append(' ').Append(parameter.Name);
            if (parameter.HasDefaultValue)
            {
                text.Append(" = ").Append(Literal(parameter.RawDefaultValue, parameter.ParameterType));
            }
        }

        return text.Append(')').ToString();
    }

    public static string ParameterPrefix(ParameterInfo parameter)
    {
        if (parameter.IsDefined(typeof(ParamArrayAttribute)))
        {
            return "params ";
        }

        if (!parameter.ParameterType.IsByRef)
        {
            return "";
        }

        return parameter.IsOut ? "out " : parameter.IsIn ? "in " : "ref ";
    }

    /// <summary>A constant or default value as C# source.</summary>
    public static string Literal(object? value, Type type)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        return value switch
        {
            null when type.IsValueType && Nullable.GetUnderlyingType(type) is null => "default",
            null => "null",
            DBNull or Missing => "default",
            string s => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"",
            bool b => b ? "true" : "false",
            char c => "'" + c + "'",
            _ when target.IsEnum => EnumLiteral(target, value),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "default",
        };
    }

    private static string EnumLiteral(Type type, object value)
    {
        var name = Enum.GetName(type, value);
        return name is null
            ? "(" + SimpleName(type) + ")" + Convert.ToString(value, CultureInfo.InvariantCulture)
            : SimpleName(type) + "." + name;
    }

    private static string Access(MethodBase method) => method.IsPublic ? "public " : "protected ";

    private static string Modifiers(MethodInfo method)
    {
        if (method.DeclaringType!.IsInterface)
        {
            return method.IsStatic ? "static " : "";
        }

        if (method.IsStatic)
        {
            return "static ";
        }

        if (method.IsAbstract)
        {
            return "abstract ";
        }

        if (method.IsVirtual && !method.IsFinal)
        {
            return method.GetBaseDefinition() != method ? "override " : "virtual ";
        }

        if (method.IsVirtual && method.GetBaseDefinition() != method && method.GetBaseDefinition().DeclaringType!.IsClass)
        {
            return "sealed override ";
        }

        return "";
    }

    public static bool IsVisible(MethodBase method) => method.IsPublic || method.IsFamily || method.IsFamilyOrAssembly;

    public static bool IsVisible(Type type) =>
        type.IsGenericParameter || (type.IsNested ? (type.IsNestedPublic || type.IsNestedFamily || type.IsNestedFamORAssem) && IsVisible(type.DeclaringType!) : type.IsPublic);

    private static readonly Dictionary<string, string> Operators = new(StringComparer.Ordinal)
    {
        ["op_Equality"] = "==", ["op_Inequality"] = "!=", ["op_LessThan"] = "<", ["op_GreaterThan"] = ">",
        ["op_LessThanOrEqual"] = "<=", ["op_GreaterThanOrEqual"] = ">=", ["op_Addition"] = "+", ["op_Subtraction"] = "-",
        ["op_Multiply"] = "*", ["op_Division"] = "/", ["op_Modulus"] = "%", ["op_UnaryNegation"] = "-", ["op_UnaryPlus"] = "+",
        ["op_LogicalNot"] = "!", ["op_BitwiseAnd"] = "&", ["op_BitwiseOr"] = "|", ["op_ExclusiveOr"] = "^", ["op_OnesComplement"] = "~",
        ["op_Increment"] = "++", ["op_Decrement"] = "--", ["op_True"] = "true", ["op_False"] = "false",
    };

    /// <summary>The heading text of a member: its name, with parameter types for methods and constructors.</summary>
    public static string Heading(MemberInfo member) => member switch
    {
        ConstructorInfo constructor => SimpleName(constructor.DeclaringType!).Split('.')[^1] + "(" + string.Join(", ", constructor.GetParameters().Select(p => Name(p.ParameterType))) + ")",
        MethodInfo method => (Operators.TryGetValue(method.Name, out var op) ? "operator " + op : method.Name is "op_Implicit" or "op_Explicit" ? method.Name[3..].ToLowerInvariant() + " operator " + Name(method.ReturnType) : method.Name)
            + (method.IsGenericMethodDefinition ? "<" + string.Join(", ", method.GetGenericArguments().Select(a => a.Name)) + ">" : "")
            + "(" + string.Join(", ", method.GetParameters().Select(p => Name(p.ParameterType))) + ")",
        PropertyInfo { } property when property.GetIndexParameters().Length > 0 => "this[" + string.Join(", ", property.GetIndexParameters().Select(p => Name(p.ParameterType))) + "]",
        _ => member.Name,
    };

    public NullabilityInfo Nullability(ParameterInfo parameter) => _nullability.Create(parameter);

    public NullabilityInfo Nullability(PropertyInfo property) => _nullability.Create(property);

    public NullabilityInfo Nullability(FieldInfo field) => _nullability.Create(field);
}
