// Writes the reference: an index page, one page per public type (declaration, comment, members), and the
// sidebar the site's navigation reads.
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;

namespace Sinew.ApiDoc;

internal sealed class ApiPages
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly Assembly _assembly;
    private readonly XmlDocs _docs;
    private readonly string _linkBase;
    private readonly Signatures _signatures = new();
    private readonly Dictionary<Type, string> _slugs = [];
    private readonly Dictionary<string, (string Slug, string? Anchor)> _targets = new(StringComparer.Ordinal);

    public ApiPages(Assembly assembly, XmlDocs docs, string linkBase)
    {
        _assembly = assembly;
        _docs = docs;
        _linkBase = linkBase.TrimEnd('/');
        Types = [.. assembly.GetExportedTypes()
            .Where(t => !t.IsDefined(typeof(CompilerGeneratedAttribute)))
            .OrderBy(t => t.Namespace, StringComparer.Ordinal)
            .ThenBy(Signatures.SimpleName, StringComparer.Ordinal)];

        foreach (var type in Types)
        {
            var slug = Slug(type, withNamespace: false);
            _slugs[type] = _slugs.ContainsValue(slug) ? Slug(type, withNamespace: true) : slug;
        }

        foreach (var type in Types)
        {
            _targets[DocIds.For(type)] = (_slugs[type], null);
            if (type.IsEnum)
            {
                // Enum values share one table on their type's page.
                foreach (var value in type.GetFields(BindingFlags.Public | BindingFlags.Static))
                {
                    _targets[DocIds.For(value)] = (_slugs[type], null);
                }
            }

            foreach (var member in Members(type))
            {
                _targets[DocIds.For(member)] = (_slugs[type], Anchor(member));
            }
        }
    }

    public IReadOnlyList<Type> Types { get; }

    public int DocumentedMembers { get; private set; }

    public List<string> Undocumented { get; } = [];

    /// <summary>Writes every page into <paramref name="directory"/>, replacing what an earlier run left there.</summary>
    public void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var stale in Directory.GetFiles(directory, "*.md").Concat(Directory.GetFiles(directory, "sidebar.json")))
        {
            File.Delete(stale);
        }

        foreach (var type in Types)
        {
            File.WriteAllText(Path.Combine(directory, _slugs[type] + ".md"), TypePage(type));
        }

        File.WriteAllText(Path.Combine(directory, "index.md"), IndexPage());
        File.WriteAllText(Path.Combine(directory, "sidebar.json"), Sidebar());
    }

    // ---- pages ----------------------------------------------------------------------------------------

    private string IndexPage()
    {
        var name = _assembly.GetName();
        var text = new StringBuilder();
        text.Append("---\ntitle: C# API reference\n---\n\n");
        text.Append("# C# API reference: ").Append(name.Name).Append("\n\n");
        text.Append("Every public type of the `").Append(name.Name).Append("` package (version ")
            .Append(name.Version?.ToString(3)).Append("), generated from its documentation comments. ")
            .Append("Install it with `dotnet add package ").Append(name.Name).Append("`; the [client API overview](../../reference/client-api.md) ")
            .Append("shows how the same concepts are named in TypeScript and Python.\n\n");
        foreach (var ns in Types.GroupBy(t => t.Namespace ?? ""))
        {
            text.Append("## ").Append(ns.Key).Append("\n\n");
            foreach (var group in ns.GroupBy(Group).OrderBy(g => GroupOrder(g.Key)))
            {
                text.Append("### ").Append(group.Key).Append("\n\n| type | summary |\n|---|---|\n");
                foreach (var type in group)
                {
                    text.Append("| [").Append(XmlDocs.Escape(Signatures.DisplayName(type))).Append("](./").Append(_slugs[type]).Append(".md) | ")
                        .Append(XmlDocs.InlineMarkdown(Comment(type)?.Element("summary"), Link)).Append(" |\n");
                }

                text.Append('\n');
            }
        }

        return text.ToString();
    }

    private string TypePage(Type type)
    {
        var comment = Comment(type);
        var kind = Signatures.Kind(type);
        var text = new StringBuilder();
        text.Append("---\ntitle: ").Append(Signatures.DisplayName(type)).Append(' ').Append(kind).Append("\n---\n\n");
        text.Append("# ").Append(XmlDocs.Escape(Signatures.DisplayName(type))).Append(' ').Append(kind).Append("\n\n");
        text.Append("Namespace: `").Append(type.Namespace).Append("` · Assembly: `").Append(_assembly.GetName().Name).Append("`\n\n");
        text.Append("```csharp\n").Append(_signatures.Declaration(type)).Append("\n```\n\n");
        AppendComment(text, comment, type);
        if (comment is null)
        {
            Undocumented.Add(DocIds.For(type));
        }

        if (type.IsEnum)
        {
            AppendEnumValues(text, type);
            return text.ToString();
        }

        var nested = type.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic).Where(_slugs.ContainsKey).ToList();
        if (nested.Count > 0)
        {
            text.Append("## Nested types\n\n| type | summary |\n|---|---|\n");
            foreach (var inner in nested)
            {
                text.Append("| ").Append(Link(DocIds.For(inner), Signatures.DisplayName(inner))).Append(" | ")
                    .Append(XmlDocs.InlineMarkdown(Comment(inner)?.Element("summary"), Link)).Append(" |\n");
            }

            text.Append('\n');
        }

        foreach (var section in Members(type).GroupBy(Section).OrderBy(g => SectionOrder(g.Key)))
        {
            text.Append("## ").Append(section.Key).Append("\n\n");
            foreach (var member in section)
            {
                AppendMember(text, member);
            }
        }

        return text.ToString();
    }

    private void AppendMember(StringBuilder text, MemberInfo member)
    {
        var comment = _docs.Get(DocIds.For(member), InheritsFrom(member));
        if (comment is null || !comment.HasElements)
        {
            // A parameterless constructor usually is the one the compiler supplies, which cannot carry a comment.
            if (member is not ConstructorInfo { IsStatic: false } constructor || constructor.GetParameters().Length > 0)
            {
                Undocumented.Add(DocIds.For(member));
            }
        }
        else
        {
            DocumentedMembers++;
        }

        text.Append("### ").Append(XmlDocs.Escape(Signatures.Heading(member))).Append(" {#").Append(Anchor(member)).Append("}\n\n");
        text.Append("```csharp\n").Append(_signatures.Declaration(member)).Append("\n```\n\n");
        AppendComment(text, comment, member);

        var parameters = member switch
        {
            MethodBase method => method.GetParameters(),
            PropertyInfo property => property.GetIndexParameters(),
            _ => [],
        };
        if (parameters.Length > 0)
        {
            text.Append("| parameter | type | description |\n|---|---|---|\n");
            foreach (var parameter in parameters)
            {
                var description = comment?.Elements("param").FirstOrDefault(p => (string?)p.Attribute("name") == parameter.Name);
                text.Append("| `").Append(parameter.Name).Append("` | ").Append(Signatures.ParameterPrefix(parameter))
                    .Append(TypeLink(parameter.ParameterType, _signatures.Nullability(parameter))).Append(" | ")
                    .Append(XmlDocs.InlineMarkdown(description, Link)).Append(" |\n");
            }

            text.Append('\n');
        }

        if (comment?.Element("returns") is { } returns && XmlDocs.Markdown(returns, Link) is { Length: > 0 } returnText)
        {
            text.Append("**Returns:** ").Append(returnText).Append("\n\n");
        }

        var exceptions = comment?.Elements("exception").ToList() ?? [];
        if (exceptions.Count > 0)
        {
            text.Append("| exception | when |\n|---|---|\n");
            foreach (var exception in exceptions)
            {
                var cref = (string?)exception.Attribute("cref") ?? "";
                text.Append("| ").Append(Link(cref, XmlDocs.CrefDisplay(cref)) ?? XmlDocs.Code(XmlDocs.CrefDisplay(cref))).Append(" | ")
                    .Append(XmlDocs.InlineMarkdown(exception, Link)).Append(" |\n");
            }

            text.Append('\n');
        }
    }

    private void AppendComment(StringBuilder text, XElement? comment, MemberInfo subject)
    {
        if (comment is null)
        {
            return;
        }

        foreach (var part in new[] { "summary", "remarks" })
        {
            if (XmlDocs.Markdown(comment.Element(part), Link) is { Length: > 0 } body)
            {
                text.Append(body).Append("\n\n");
            }
        }

        if (subject is Type { IsGenericType: true } generic)
        {
            foreach (var parameter in generic.GetGenericArguments())
            {
                var description = comment.Elements("typeparam").FirstOrDefault(p => (string?)p.Attribute("name") == parameter.Name);
                if (description is not null)
                {
                    text.Append("- `").Append(parameter.Name).Append("`: ").Append(XmlDocs.InlineMarkdown(description, Link)).Append('\n');
                }
            }

            text.Append('\n');
        }

        foreach (var example in comment.Elements("example"))
        {
            text.Append("**Example**\n\n").Append(XmlDocs.Markdown(example, Link)).Append("\n\n");
        }
    }

    private void AppendEnumValues(StringBuilder text, Type type)
    {
        text.Append("## Values\n\n| name | value | description |\n|---|---|---|\n");
        foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var comment = _docs.Get(DocIds.For(field));
            if (comment is null)
            {
                Undocumented.Add(DocIds.For(field));
            }
            else
            {
                DocumentedMembers++;
            }

            text.Append("| `").Append(field.Name).Append("` | ")
                .Append(Convert.ToString(field.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture)).Append(" | ")
                .Append(XmlDocs.InlineMarkdown(comment?.Element("summary"), Link)).Append(" |\n");
        }

        text.Append('\n');
    }

    private string Sidebar()
    {
        var groups = Types.GroupBy(Group).OrderBy(g => GroupOrder(g.Key)).Select(g => new
        {
            text = g.Key,
            collapsed = true,
            items = g.Select(t => new { text = Signatures.DisplayName(t), link = $"{_linkBase}/{_slugs[t]}" }).ToArray(),
        });
        var root = new
        {
            text = "C# (" + _assembly.GetName().Name + ")",
            collapsed = true,
            items = new object[] { new { text = "Overview", link = _linkBase + "/" } }.Concat(groups).ToArray(),
        };
        return JsonSerializer.Serialize(root, Indented) + "\n";
    }

    // ---- members, links and names ---------------------------------------------------------------------

    /// <summary>The members a type declares that callers outside the assembly can use.</summary>
    private static List<MemberInfo> Members(Type type)
    {
        if (type.IsEnum || Signatures.Kind(type) == "delegate")
        {
            return [];
        }

        var record = Signatures.IsRecord(type);
        return [.. type.GetMembers(Declared)
            .Where(m => !m.IsDefined(typeof(CompilerGeneratedAttribute)))
            .Where(m => m switch
            {
                ConstructorInfo c => Signatures.IsVisible(c) && !(record && c.GetParameters() is [{ } only] && only.ParameterType == type)
                    && !(type.IsValueType && c.GetParameters().Length == 0),
                MethodInfo method => Signatures.IsVisible(method) && (!method.IsSpecialName || method.Name.StartsWith("op_", StringComparison.Ordinal)),
                PropertyInfo property => (property.GetMethod is { } g && Signatures.IsVisible(g)) || (property.SetMethod is { } s && Signatures.IsVisible(s)),
                FieldInfo field => (field.IsPublic || field.IsFamily || field.IsFamilyOrAssembly) && !field.IsSpecialName,
                EventInfo e => e.AddMethod is { } add && Signatures.IsVisible(add),
                _ => false,
            })
            .OrderBy(m => m.Name, StringComparer.Ordinal)
            .ThenBy(m => m is MethodBase method ? method.GetParameters().Length : 0)];
    }

    /// <summary>Where a plain &lt;inheritdoc/&gt; looks: the overridden member, then interface members it implements.</summary>
    private static IEnumerable<string> InheritsFrom(MemberInfo member)
    {
        if (member is not MethodInfo method)
        {
            yield break;
        }

        if (method.GetBaseDefinition() is { } baseDefinition && baseDefinition != method)
        {
            yield return DocIds.For(baseDefinition);
        }

        foreach (var contract in method.DeclaringType!.GetInterfaces())
        {
            var map = method.DeclaringType.GetInterfaceMap(contract);
            for (var i = 0; i < map.TargetMethods.Length; i++)
            {
                if (map.TargetMethods[i] == method)
                {
                    yield return DocIds.For(map.InterfaceMethods[i].IsGenericMethod ? map.InterfaceMethods[i].GetGenericMethodDefinition() : map.InterfaceMethods[i]);
                }
            }
        }
    }

    private XElement? Comment(Type type) => _docs.Get(DocIds.For(type));

    private string? Link(string cref, string text)
    {
        if (!_targets.TryGetValue(cref, out var target))
        {
            return null;
        }

        return "[" + XmlDocs.Escape(text) + "](./" + target.Slug + ".md" + (target.Anchor is { } anchor ? "#" + anchor : "") + ")";
    }

    private string TypeLink(Type type, NullabilityInfo? nullability) =>
        string.Concat(Signatures.Pieces(type, nullability).Select(piece =>
            piece.Target is { } target && _slugs.TryGetValue(target, out var slug)
                ? "[" + XmlDocs.Escape(piece.Text) + "](./" + slug + ".md)"
                : XmlDocs.Escape(piece.Text)));

    private static string Anchor(MemberInfo member)
    {
        var heading = Signatures.Heading(member);
        var slug = new StringBuilder();
        foreach (var c in heading.ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                slug.Append(c);
            }
            else if (slug.Length > 0 && slug[^1] != '-')
            {
                slug.Append('-');
            }
        }

        var prefix = member switch
        {
            ConstructorInfo => "ctor-",
            MethodInfo { Name: var name } when name.StartsWith("op_", StringComparison.Ordinal) => "op-",
            _ => "",
        };
        return prefix + slug.ToString().Trim('-');
    }

    private static string Slug(Type type, bool withNamespace)
    {
        var name = Signatures.SimpleName(type).Replace('.', '-');
        var arity = type.GetGenericArguments().Length - (type.DeclaringType?.GetGenericArguments().Length ?? 0);
        var slug = arity > 0 ? $"{name}-{arity}" : name;
        return withNamespace ? (type.Namespace ?? "global").Replace('.', '-') + "-" + slug : slug;
    }

    private static string Group(Type type)
    {
        var kind = Signatures.Kind(type);
        return kind switch
        {
            "enum" => "Enums",
            "interface" => "Interfaces",
            "delegate" => "Delegates",
            "struct" or "record struct" => "Structs",
            _ when typeof(Exception).IsAssignableFrom(type) => "Exceptions",
            _ => "Classes",
        };
    }

    private static int GroupOrder(string group) => Array.IndexOf(["Classes", "Structs", "Interfaces", "Enums", "Delegates", "Exceptions"], group);

    private static string Section(MemberInfo member) => member switch
    {
        ConstructorInfo => "Constructors",
        PropertyInfo => "Properties",
        MethodInfo { Name: var name } when name.StartsWith("op_", StringComparison.Ordinal) => "Operators",
        MethodInfo => "Methods",
        EventInfo => "Events",
        _ => "Fields",
    };

    private static int SectionOrder(string section) => Array.IndexOf(["Constructors", "Fields", "Properties", "Methods", "Events", "Operators"], section);
}
