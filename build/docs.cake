// The documentation site (docs-site/): generates the pages that come from the code, builds the VitePress
// site with its frozen versions, and tests it in a browser with the code samples run against a broker.
//
//   dotnet cake --target=Docs       builds docs-site/.vitepress/dist
//   dotnet cake --target=DocsTest   builds it, then runs docs-site/tests/Sinew.Docs.Tests
//
// Loaded by build.cake; uses its Step(), Succeeds(), IsRoot() and its root, artifacts, testResults,
// configuration and venvPython settings (read inside the tasks, once build.cake has set them).

// Debian packages the docs need beyond the build's: Sphinx and its JSON builder for the Python API
// reference, Chromium for the browser tests.
var docsPythonPackages = new[] { "python3-sphinx", "python3-sphinxcontrib.serializinghtml" };
var docsChromium = "/usr/bin/chromium";

void EnsureDebianPackages(string step, string[] packages, Func<bool> present, string what)
{
    if (present())
    {
        return;
    }

    var install = $"apt-get install -y {string.Join(" ", packages)}";
    if (IsRoot() && Succeeds("sh", "-c \"command -v apt-get\""))
    {
        Step(step, "apt-get", "update");
        Step(step, "apt-get", install.Substring("apt-get ".Length));
        return;
    }

    throw new CakeException($"Step '{step}' failed: {what} is missing. Install it with:\n    sudo {install}");
}

Task("Docs")
    .Description("Builds the documentation site: API references, configuration reference and conformance pages generated from the code, then every version of the site.")
    .IsDependentOn("Build")
    .Does(() =>
{
    var site = $"{root}/docs-site";
    var brokerDll = $"{root}/broker/src/Sinew.Broker.Host/bin/{configuration}/net10.0/sinew-broker.dll";
    var conformanceDll = $"{root}/conformance/src/Sinew.Conformance/bin/{configuration}/net10.0/sinew-conformance.dll";
    var clientXml = $"{root}/sdk-dotnet/src/Sinew.Client/bin/{configuration}/net10.0/Sinew.Client.xml";

    var lockFile = $"{site}/package-lock.json";
    var installedLock = $"{site}/node_modules/.package-lock.json";
    if (FileExists(installedLock) && System.IO.File.GetLastWriteTimeUtc(installedLock) >= System.IO.File.GetLastWriteTimeUtc(lockFile))
    {
        Information("==> [Docs: npm] node_modules is up to date with package-lock.json");
    }
    else
    {
        Step("Docs: npm", "npm", "ci --no-audit --no-fund", site);
    }

    EnsureDebianPackages("Docs: Python packages", docsPythonPackages,
        () => Succeeds(venvPython, "-c \"import sphinx, sphinxcontrib.serializinghtml\""), "Sphinx (with its JSON builder)");

    // C#: no API documentation generator can be installed here, so the site has its own (tools/Sinew.ApiDoc).
    Step("Docs: C# API reference", "dotnet", $"build {site}/tools/Sinew.ApiDoc -c {configuration} --nologo");
    Step("Docs: C# API reference", "dotnet",
        $"{site}/tools/Sinew.ApiDoc/bin/{configuration}/net10.0/sinew-apidoc.dll --xml {clientXml} --out {site}/docs/api/csharp");
    Step("Docs: TypeScript API reference", "node", "scripts/typescript-api.mjs", site);
    Step("Docs: Python API reference", "node", $"scripts/python-api.mjs --python {venvPython}", site);
    Step("Docs: configuration reference", "node", $"scripts/config-reference.mjs --broker {brokerDll}", site);
    Step("Docs: conformance pages", "node",
        $"scripts/conformance-pages.mjs --scenarios {root}/conformance/scenarios --reports {artifacts}/conformance --conformance {conformanceDll}", site);
    Step("Docs: site", "node", "scripts/build-site.mjs", site);
});

Task("DocsTest")
    .Description("Tests the built documentation site in Chromium and runs every code sample against a real broker; screenshots land in artifacts/docs-screenshots.")
    .IsDependentOn("Docs")
    .Does(() =>
{
    EnsureDebianPackages("DocsTest: Chromium", new[] { "chromium" }, () => FileExists(docsChromium), docsChromium);
    EnsureDirectoryExists(testResults);
    Step("DocsTest", "dotnet",
        $"test docs-site/tests/Sinew.Docs.Tests -c {configuration} --nologo --blame-hang-timeout 10m --results-directory {testResults}");
});
