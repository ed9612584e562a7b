// Holds the C# client's public surface to the shared names table, conformance/api-names.json, both ways: every C#
// name the table records exists, and every public type and member of Sinew.Client is in the table. A name added or
// renamed here fails until the table records it (and, by review, the TypeScript and Python clients follow).
//
// Members counted are those a type declares itself: public properties, fields, methods and events, without
// constructors, nested types, compiler-generated members (record plumbing such as EqualityContract and <Clone>$),
// property and event accessors, operators, an enum's value__ and the object overrides Equals, GetHashCode, ToString
// and Deconstruct, which every record has. Overloads count once.
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace Sinew.Client.Tests.Architecture;

public class ApiNamesTests
{
    private const string TableFile = "conformance/api-names.json";
    private const string Language = "csharp";

    private static readonly HashSet<string> ObjectOverrides = ["Equals", "GetHashCode", "ToString", "Deconstruct"];

    [Fact]
    public void Every_name_the_table_records_for_CSharp_exists()
    {
        var surface = PublicSurface();
        var missing = new List<string>();
        foreach (var (type, members) in TableEntries())
        {
            if (!surface.TryGetValue(type, out var actual))
            {
                missing.Add($"type {type}");
                continue;
            }

            missing.AddRange(members.Where(m => !actual.Contains(m)).Select(m => $"member {type}.{m}"));
        }

        Assert.True(missing.Count == 0,
            $"{TableFile} records C# names that Sinew.Client does not have (rename them in the table, or restore them in " +
            "sdk-dotnet/src/Sinew.Client):\n  " + string.Join("\n  ", missing));
    }

    [Fact]
    public void Every_public_name_of_Sinew_Client_is_in_the_table()
    {
        var table = TableEntries().ToDictionary(e => e.Type, e => e.Members);
        var extra = new List<string>();
        foreach (var (type, members) in PublicSurface())
        {
            if (!table.TryGetValue(type, out var recorded))
            {
                extra.Add($"type {type}");
                continue;
            }

            extra.AddRange(members.Where(m => !recorded.Contains(m)).Select(m => $"member {type}.{m}"));
        }

        Assert.True(extra.Count == 0,
            $"Sinew.Client has public names that {TableFile} does not record (add them under \"csharp\" in the table, next " +
            "to their TypeScript and Python names or null with a \"why\"):\n  " + string.Join("\n  ", extra));
    }

    [Fact]
    public void The_surface_reader_counts_declared_members_and_skips_record_plumbing()
    {
        var options = PublicSurface()[nameof(PublisherOptions)];
        Assert.Contains(nameof(PublisherOptions.Group), options);
        Assert.DoesNotContain("EqualityContract", options);
        Assert.DoesNotContain("<Clone>$", options);
        Assert.DoesNotContain("ToString", options);
        Assert.DoesNotContain("get_Group", options);
    }

    /// <summary>Every exported type of Sinew.Client by its simple name, with the members it declares.</summary>
    private static Dictionary<string, HashSet<string>> PublicSurface() =>
        typeof(SinewClient).Assembly.GetExportedTypes().ToDictionary(t => t.Name, DeclaredMembers);

    private static HashSet<string> DeclaredMembers(Type type) =>
    [
        .. type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => m is PropertyInfo or FieldInfo or MethodInfo or EventInfo)
            .Where(m => !m.IsDefined(typeof(CompilerGeneratedAttribute)))
            .Where(m => m is not MethodInfo { IsSpecialName: true })
            .Where(m => !(type.IsEnum && m.Name == "value__"))
            .Where(m => !ObjectOverrides.Contains(m.Name))
            .Select(m => m.Name),
    ];

    /// <summary>The table's C# types and their C# members; entries whose C# name is null are skipped.</summary>
    private static IEnumerable<(string Type, HashSet<string> Members)> TableEntries()
    {
        var table = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryFiles.Root, TableFile)))!;
        foreach (var entry in table["types"]!.AsArray())
        {
            if (entry![Language]?.GetValue<string>() is not { } type)
            {
                continue;
            }

            var members = entry["members"]?.AsArray()
                .Select(m => m![Language]?.GetValue<string>())
                .OfType<string>() ?? [];
            yield return (type, [.. members]);
        }
    }
}
