// sinew-apidoc: writes the C# API reference of the documentation site as Markdown pages.
//
//   sinew-apidoc --xml PATH/Sinew.Client.xml --out docs-site/docs/api/csharp [--assembly Sinew.Client] [--link-base /api/csharp]
//
// The pages come from the compiler's XML documentation file (the comments) and reflection over the
// assembly (which types and members are public, and their exact declarations).
using System.Reflection;
using Sinew.ApiDoc;

string? xml = null;
string? output = null;
var assemblyName = "Sinew.Client";
var linkBase = "/api/csharp";
for (var i = 0; i < args.Length; i++)
{
    var value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--xml" when value is not null:
            xml = value;
            i++;
            break;
        case "--out" when value is not null:
            output = value;
            i++;
            break;
        case "--assembly" when value is not null:
            assemblyName = value;
            i++;
            break;
        case "--link-base" when value is not null:
            linkBase = value;
            i++;
            break;
        default:
            Console.Error.WriteLine($"sinew-apidoc: unexpected argument '{args[i]}'");
            Console.Error.WriteLine("usage: sinew-apidoc --xml FILE --out DIR [--assembly NAME] [--link-base /api/csharp]");
            return 2;
    }
}

if (xml is null || output is null)
{
    Console.Error.WriteLine("usage: sinew-apidoc --xml FILE --out DIR [--assembly NAME] [--link-base /api/csharp]");
    return 2;
}

if (!File.Exists(xml))
{
    Console.Error.WriteLine($"sinew-apidoc: {xml} does not exist; build the project with GenerateDocumentationFile first");
    return 1;
}

var assembly = Assembly.Load(new AssemblyName(assemblyName));
var docs = XmlDocs.Load(xml);
var pages = new ApiPages(assembly, docs, linkBase);
pages.Write(output);
Console.WriteLine($"sinew-apidoc: {pages.Types.Count} public types, {pages.DocumentedMembers} documented members of {assemblyName} -> {Path.GetFullPath(output)}");
foreach (var missing in pages.Undocumented)
{
    Console.WriteLine($"  no documentation comment: {missing}");
}

return 0;
