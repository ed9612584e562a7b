// Keeps the specification page honest: its op, record, enum and error tables must equal the
// registry, and each op section must name exactly the vectors that pin the op.
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Sinew.Protocol.Tests;

public partial class SpecificationTests
{
    private static readonly Lazy<string[]> SpecLines = new(() =>
        File.ReadAllLines(Path.Combine(Path.GetDirectoryName(VectorFiles.Root)!, "docs-site", "docs", "reference", "protocol.md")));

    private static readonly JsonObject Registry = VectorFiles.Protocol;

    [Fact]
    public void Every_op_has_a_section_whose_table_matches_the_registry()
    {
        foreach (var op in Registry["ops"]!.AsArray())
        {
            var name = (string)op!["name"]!;
            var heading = $"### {name} (0x{(int)op["opcode"]!:X2})";
            var section = Section(heading);
            var expected = Fields(op["fields"]!.AsArray());
            if (expected.Count == 0)
            {
                Assert.Contains(section, line => line.Contains("Empty body", StringComparison.Ordinal));
            }

            Assert.Equal(expected, TableFields(section));
        }
    }

    [Fact]
    public void Every_record_has_a_section_whose_table_matches_the_registry()
    {
        foreach (var (name, fields) in Registry["records"]!.AsObject())
        {
            Assert.Equal(Fields(fields!.AsArray()), TableFields(Section($"### Record {name}")));
        }
    }

    [Fact]
    public void Every_enum_has_a_section_whose_table_matches_the_registry()
    {
        foreach (var (name, values) in Registry["enums"]!.AsObject())
        {
            var expected = values!.AsObject().Select(p => $"{(int)p.Value!} {p.Key}").ToList();
            var rows = Section($"### Enum {name}")
                .Select(line => EnumRow().Match(line))
                .Where(m => m.Success)
                .Select(m => $"{m.Groups[1].Value} {m.Groups[2].Value}")
                .ToList();
            Assert.Equal(expected, rows);
        }
    }

    [Fact]
    public void The_error_code_table_matches_the_registry()
    {
        var expected = Registry["errors"]!.AsArray()
            .Select(e => $"{(int)e!["code"]!} {(string)e["name"]!} {((bool)e["retryable"]! ? "yes" : "no")} {((bool)e["closes_connection"]! ? "yes" : "no")}")
            .ToList();
        var rows = Section("### 5.2 Error codes")
            .Select(line => ErrorRow().Match(line))
            .Where(m => m.Success)
            .Select(m => $"{m.Groups[1].Value} {m.Groups[2].Value} {m.Groups[3].Value} {m.Groups[4].Value}")
            .ToList();
        Assert.Equal(expected, rows);
    }

    [Fact]
    public void Every_op_section_names_exactly_the_vectors_of_that_op()
    {
        var listed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var op in Registry["ops"]!.AsArray())
        {
            var name = (string)op!["name"]!;
            var vectorLine = string.Join(" ", Section($"### {name} (0x{(int)op["opcode"]!:X2})")
                .SkipWhile(l => !l.StartsWith("Vectors:", StringComparison.Ordinal))
                .TakeWhile(l => l.Length > 0));
            foreach (Match m in VectorId().Matches(vectorLine))
            {
                listed[m.Groups[1].Value] = name;
            }
        }

        var positive = VectorFiles.Positive.ToDictionary(v => (string)v["id"]!, v => (string)v["op"]!);
        foreach (var (id, op) in listed)
        {
            Assert.True(positive.TryGetValue(id, out var actualOp), $"the specification names vector {id}, which does not exist");
            Assert.Equal(op, actualOp);
        }

        foreach (var (id, _) in positive.Where(p => !p.Key.StartsWith("decoding/", StringComparison.Ordinal)))
        {
            Assert.True(listed.ContainsKey(id), $"vector {id} is not named in its op's section of the specification");
        }
    }

    [Fact]
    public void The_limits_table_states_every_duration_limit_of_the_registry()
    {
        var stated = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in Section("### 7.4 Limits"))
        {
            foreach (Match m in StatedLimit().Matches(line))
            {
                stated[m.Groups[1].Value] = long.Parse(m.Groups[2].Value.Replace(" ", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        var durations = Registry["limits"]!.AsObject().Where(p => p.Key.EndsWith("_ms", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(durations);
        foreach (var (name, value) in durations)
        {
            Assert.True(stated.TryGetValue(name, out var number), $"section 7.4 does not state `{name}` = its value");
            Assert.Equal((long)value!, number);
        }
    }

    private static List<string> Fields(JsonArray fields) =>
        fields.Select(f => $"{(string)f!["name"]!} {SpecType((string)f["type"]!)} {((bool?)f["optional"] == true ? "optional" : "required")}").ToList();

    private static string SpecType(string type) => type switch
    {
        _ when type.StartsWith("list:record:", StringComparison.Ordinal) => $"list of {type[12..]}",
        _ when type.StartsWith("list:", StringComparison.Ordinal) => $"list of {type[5..]}",
        _ when type.StartsWith("record:", StringComparison.Ordinal) => type[7..],
        _ when type.StartsWith("enum:", StringComparison.Ordinal) => type[5..],
        _ => type,
    };

    private static List<string> TableFields(IEnumerable<string> section) =>
        section.Select(line => FieldRow().Match(line))
            .Where(m => m.Success)
            .Select(m => $"{m.Groups[1].Value} {LinkText().Replace(m.Groups[2].Value.Trim(), "$1")} {m.Groups[3].Value}")
            .ToList();

    private static List<string> Section(string heading)
    {
        var lines = SpecLines.Value;
        var start = Array.FindIndex(lines, l => l == heading);
        Assert.True(start >= 0, $"the specification has no section '{heading}'");
        return lines.Skip(start + 1).TakeWhile(l => !l.StartsWith('#')).ToList();
    }

    [GeneratedRegex(@"^\| \d+ \| `([a-z_0-9]+)` \| ([^|]+) \| (required|optional) \|")]
    private static partial Regex FieldRow();

    [GeneratedRegex(@"\[([A-Za-z]+)\]\([^)]*\)")]
    private static partial Regex LinkText();

    [GeneratedRegex(@"^\| (\d+) \| `([a-z_]+)` \|")]
    private static partial Regex EnumRow();

    [GeneratedRegex(@"^\| (\d+) \| `([a-z_]+)` \| \**(yes|no)\** \| (yes|no) \|")]
    private static partial Regex ErrorRow();

    [GeneratedRegex(@"`([a-z0-9-]+/[a-z0-9/-]+)`")]
    private static partial Regex VectorId();

    [GeneratedRegex(@"`([a-z_]+_ms)` = (\d[\d ]*\d)")]
    private static partial Regex StatedLimit();
}
