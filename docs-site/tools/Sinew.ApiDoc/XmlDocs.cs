// The compiler's XML documentation file: comments by ID, with <inheritdoc> resolved, rendered as Markdown.
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using System.Xml.XPath;

namespace Sinew.ApiDoc;

/// <summary>Turns a cref ("T:Sinew.Client.SinewClient", "M:…") into a Markdown link, or null when the
/// target has no page.</summary>
internal delegate string? CrefLinker(string cref, string text);

internal sealed partial class XmlDocs
{
    private readonly Dictionary<string, XElement> _members;

    private XmlDocs(Dictionary<string, XElement> members)
    {
        _members = members;
    }

    public static XmlDocs Load(string path)
    {
        var document = XDocument.Load(path, LoadOptions.PreserveWhitespace);
        var members = new Dictionary<string, XElement>(StringComparer.Ordinal);
        foreach (var member in document.Descendants("member"))
        {
            if (member.Attribute("name")?.Value is { } name)
            {
                members[name] = member;
            }
        }

        return new XmlDocs(members);
    }

    public int Count => _members.Count;

    /// <summary>The comment of <paramref name="id"/> with every &lt;inheritdoc&gt; replaced by what it
    /// inherits; <paramref name="inheritFrom"/> lists the IDs a plain &lt;inheritdoc/&gt; inherits from,
    /// nearest first (base members, then interface members).</summary>
    public XElement? Get(string id, IEnumerable<string>? inheritFrom = null) => Resolve(id, inheritFrom ?? [], depth: 0);

    private XElement? Resolve(string id, IEnumerable<string> inheritFrom, int depth)
    {
        if (!_members.TryGetValue(id, out var member))
        {
            return null;
        }

        var resolved = new XElement(member);
        foreach (var inherit in resolved.Descendants("inheritdoc").ToList())
        {
            // A cycle of inheritdoc references would never end; eight levels is far more than real code uses.
            var source = depth < 8
                ? inherit.Attribute("cref")?.Value is { } cref
                    ? Resolve(cref, [], depth + 1)
                    : inheritFrom.Select(i => Resolve(i, [], depth + 1)).FirstOrDefault(e => e is not null)
                : null;
            var inherited = new List<XNode>();
            if (source is not null)
            {
                if (inherit.Attribute("path")?.Value is { } path)
                {
                    inherited.AddRange(((IEnumerable<object>)source.XPathEvaluate(path.StartsWith('/') ? "." + path : path)).OfType<XElement>().Select(e => new XElement(e)));
                }
                else
                {
                    // Only what the member does not document itself is inherited.
                    inherited.AddRange(source.Elements().Where(e => !resolved.Elements(e.Name).Any(own => SameTarget(own, e))).Select(e => new XElement(e)));
                }
            }

            inherit.ReplaceWith(inherited);
        }

        return resolved;
    }

    private static bool SameTarget(XElement a, XElement b) =>
        (string?)a.Attribute("name") == (string?)b.Attribute("name") && (string?)a.Attribute("cref") == (string?)b.Attribute("cref");

    // ---- rendering ------------------------------------------------------------------------------------

    /// <summary>Renders the content of a documentation element as Markdown paragraphs.</summary>
    public static string Markdown(XElement? element, CrefLinker linker)
    {
        if (element is null)
        {
            return "";
        }

        var text = new StringBuilder();
        RenderNodes(element.Nodes(), text, linker);
        return Tidy(text.ToString());
    }

    /// <summary>Renders as one line, for table cells: paragraphs are joined with line breaks.</summary>
    public static string InlineMarkdown(XElement? element, CrefLinker linker) =>
        string.Join("<br>", Markdown(element, linker).Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(p => p.Replace('\n', ' ')))
            .Replace("|", "\\|", StringComparison.Ordinal);

    private static void RenderNodes(IEnumerable<XNode> nodes, StringBuilder text, CrefLinker linker)
    {
        foreach (var node in nodes)
        {
            switch (node)
            {
                case XText t:
                    text.Append(Escape(Whitespace().Replace(t.Value, " ")));
                    break;
                case XElement e:
                    RenderElement(e, text, linker);
                    break;
            }
        }
    }

    private static void RenderElement(XElement element, StringBuilder text, CrefLinker linker)
    {
        switch (element.Name.LocalName)
        {
            case "c":
                text.Append(Code(element.Value));
                break;
            case "code":
                text.Append("\n\n```csharp\n").Append(Dedent(element.Value)).Append("\n```\n\n");
                break;
            case "para":
                text.Append("\n\n");
                RenderNodes(element.Nodes(), text, linker);
                text.Append("\n\n");
                break;
            case "paramref" or "typeparamref":
                text.Append(Code(element.Attribute("name")?.Value ?? ""));
                break;
            case "see" or "seealso":
                RenderSee(element, text, linker);
                break;
            case "list":
                text.Append("\n\n");
                var number = 0;
                var ordered = element.Attribute("type")?.Value == "number";
                foreach (var item in element.Elements("item"))
                {
                    text.Append(ordered ? $"{++number}. " : "- ");
                    var term = item.Element("term");
                    var description = item.Element("description");
                    if (term is not null)
                    {
                        text.Append("**");
                        RenderNodes(term.Nodes(), text, linker);
                        text.Append("**");
                        if (description is not null)
                        {
                            text.Append(": ");
                        }
                    }

                    RenderNodes((description ?? (term is null ? item : new XElement("empty"))).Nodes(), text, linker);
                    text.Append('\n');
                }

                text.Append('\n');
                break;
            case "br":
                text.Append("<br>");
                break;
            case "b" or "strong":
                text.Append("**");
                RenderNodes(element.Nodes(), text, linker);
                text.Append("**");
                break;
            case "i" or "em":
                text.Append('*');
                RenderNodes(element.Nodes(), text, linker);
                text.Append('*');
                break;
            default:
                RenderNodes(element.Nodes(), text, linker);
                break;
        }
    }

    private static void RenderSee(XElement element, StringBuilder text, CrefLinker linker)
    {
        if (element.Attribute("langword")?.Value is { } keyword)
        {
            text.Append(Code(keyword));
            return;
        }

        if (element.Attribute("href")?.Value is { } href)
        {
            var label = element.Value.Trim();
            text.Append('[').Append(Escape(label.Length == 0 ? href : label)).Append("](").Append(href).Append(')');
            return;
        }

        if (element.Attribute("cref")?.Value is { } cref)
        {
            var label = element.Value.Trim();
            var shown = label.Length > 0 ? label : CrefDisplay(cref);
            text.Append(linker(cref, shown) ?? Code(shown));
        }
    }

    /// <summary>How a cref reads in prose: the type's or member's short name.</summary>
    public static string CrefDisplay(string cref)
    {
        var body = cref.Length > 2 && cref[1] == ':' ? cref[2..] : cref;
        var parameters = body.IndexOf('(', StringComparison.Ordinal);
        if (parameters >= 0)
        {
            body = body[..parameters];
        }

        body = Arity().Replace(body, "");
        var parts = body.Split('.');
        return cref.StartsWith("T:", StringComparison.Ordinal) || parts.Length < 2
            ? parts[^1]
            : parts[^2] + "." + parts[^1].Replace("#ctor", "ctor", StringComparison.Ordinal);
    }

    public static string Code(string value)
    {
        value = Whitespace().Replace(value, " ").Trim();
        var fence = value.Contains('`', StringComparison.Ordinal) ? "``" : "`";
        var pad = value.StartsWith('`') || value.EndsWith('`') ? " " : "";
        return fence + pad + value + pad + fence;
    }

    /// <summary>Escapes characters Markdown or the page's HTML would otherwise interpret.</summary>
    public static string Escape(string value)
    {
        var text = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            switch (c)
            {
                case '<':
                    text.Append("&lt;");
                    break;
                case '>':
                    text.Append("&gt;");
                    break;
                case '&':
                    text.Append("&amp;");
                    break;
                case '{':
                    // Vue would read a double brace in page text as an interpolation.
                    text.Append("&#123;");
                    break;
                case '}':
                    text.Append("&#125;");
                    break;
                case '\\' or '`' or '*' or '_' or '[' or ']' or '|' or '#':
                    text.Append('\\').Append(c);
                    break;
                default:
                    text.Append(c);
                    break;
            }
        }

        return text.ToString();
    }

    private static string Dedent(string code)
    {
        var lines = code.Replace("\r", "", StringComparison.Ordinal).Split('\n').ToList();
        while (lines.Count > 0 && string.IsNullOrWhiteSpace(lines[0]))
        {
            lines.RemoveAt(0);
        }

        while (lines.Count > 0 && string.IsNullOrWhiteSpace(lines[^1]))
        {
            lines.RemoveAt(lines.Count - 1);
        }

        var indent = lines.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join("\n", lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }

    /// <summary>Trims each paragraph and collapses runs of blank lines, leaving code blocks alone.</summary>
    private static string Tidy(string markdown)
    {
        var output = new StringBuilder();
        var inCode = false;
        var blank = true;
        foreach (var raw in markdown.Split('\n'))
        {
            if (raw.StartsWith("```", StringComparison.Ordinal))
            {
                inCode = !inCode;
                output.Append(raw).Append('\n');
                blank = false;
                continue;
            }

            if (inCode)
            {
                output.Append(raw).Append('\n');
                continue;
            }

            var line = raw.Trim();
            if (line.Length == 0)
            {
                if (!blank)
                {
                    output.Append('\n');
                }

                blank = true;
                continue;
            }

            output.Append(line).Append('\n');
            blank = false;
        }

        return output.ToString().Trim();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"`+\d+")]
    private static partial Regex Arity();
}
