// The install test: every package in artifacts/packages installed the way a user installs it, in folders
// outside the repository (so nothing of the checkout leaks in), then the documentation's quickstart run in
// each language against the installed broker, and the installed conformance tool run against that broker
// with the installed clients' drivers.
//
//   dotnet cake --target=InstallTest
//
// Loaded by build.cake; uses its Step() and its root, packages, version, systemPython and tsDir settings.

Task("InstallTest")
    .Description("Installs every package from artifacts/packages into fresh folders, runs the quickstart in C#, TypeScript " +
        "and Python against the installed sinew-broker, and runs the installed sinew-conformance against it.")
    .IsDependentOn("Pack")
    .Does(() =>
{
    var work = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"sinew-install-test-{Guid.NewGuid():N}");
    var quickstart = $"{root}/docs-site/docs/snippets/quickstart";
    EnsureDirectoryExists(work);
    try
    {
        // A package cache of its own: the machine's cache may hold an older build of this same version.
        var nugetEnvironment = new Dictionary<string, string>
        {
            ["NUGET_PACKAGES"] = $"{work}/nuget-cache",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
        };

        // .NET tools, from the package folder.
        var tools = $"{work}/tools";
        foreach (var tool in new[] { "sinew-broker", "sinew-conformance" })
        {
            Step($"InstallTest: dotnet tool {tool}", "dotnet",
                $"tool install {tool} --version {version} --tool-path {tools} --add-source {packages}", work, nugetEnvironment);
        }

        // C#: a new console project that takes Sinew.Client from a local feed, with the quickstart as its program.
        var csharp = $"{work}/csharp-app";
        Step("InstallTest: C# project", "dotnet", $"new console --output {csharp} --name QuickstartApp", work, nugetEnvironment);
        System.IO.File.WriteAllText($"{csharp}/nuget.config", $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="sinew-local" value="{packages}" />
              </packageSources>
            </configuration>
            """);
        Step("InstallTest: C# package", "dotnet", $"add package Sinew.Client --version {version}", csharp, nugetEnvironment);
        CopyFile($"{quickstart}/quickstart.cs", $"{csharp}/Program.cs");
        Step("InstallTest: C# build", "dotnet", "build -c Release --nologo", csharp, nugetEnvironment);

        // TypeScript: the tarball installed into a new npm project, the quickstart compiled with tsc.
        var typescript = $"{work}/typescript-app";
        EnsureDirectoryExists(typescript);
        System.IO.File.WriteAllText($"{typescript}/package.json", """{ "name": "quickstart-app", "private": true, "type": "module" }""");
        var tarball = GetFiles($"{packages}/sinew-client-{version}.tgz").Single().FullPath;
        Step("InstallTest: npm package", "npm", $"install --no-audit --no-fund {tarball} typescript@~6.0 @types/node@^20", typescript);
        CopyFile($"{quickstart}/quickstart.ts", $"{typescript}/quickstart.ts");
        System.IO.File.WriteAllText($"{typescript}/tsconfig.json", """
            {
              "compilerOptions": {
                "target": "ES2022", "lib": ["ES2022"], "module": "NodeNext", "moduleResolution": "NodeNext",
                "types": ["node"], "strict": true, "skipLibCheck": false
              },
              "files": ["quickstart.ts"]
            }
            """);
        Step("InstallTest: tsc", $"{typescript}/node_modules/.bin/tsc", "-p tsconfig.json", typescript);

        // Python: the wheel installed into a new virtual environment. It sees the system's site packages only
        // for msgpack, the package's one dependency, because no package index is used.
        var venv = $"{work}/venv";
        Step("InstallTest: Python venv", systemPython, $"-m venv --system-site-packages {venv}", work);
        var wheel = GetFiles($"{packages}/sinew_client-{version}-py3-none-any.whl").Single().FullPath;
        Step("InstallTest: Python package", $"{venv}/bin/python", $"-m pip install --quiet --no-index {wheel}", work);
        CopyFile($"{quickstart}/quickstart.py", $"{work}/quickstart.py");

        // The installed broker, with a data directory of its own, on free ports.
        Information($"==> [InstallTest: broker] {tools}/sinew-broker --listen 127.0.0.1:0 --http 127.0.0.1:0 --data-dir {work}/data");
        using var broker = BrokerProcess.Start($"{tools}/sinew-broker",
            new[] { "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data-dir", $"{work}/data" }, work, TimeSpan.FromSeconds(60));
        var brokerEnvironment = new Dictionary<string, string> { ["SINEW_BROKER"] = broker.Protocol };
        Step("InstallTest: C# quickstart", "dotnet", "run -c Release --no-build", csharp,
            new Dictionary<string, string>(brokerEnvironment) { ["NUGET_PACKAGES"] = $"{work}/nuget-cache" });
        Step("InstallTest: TypeScript quickstart", "node", "quickstart.js", typescript, brokerEnvironment);
        Step("InstallTest: Python quickstart", $"{venv}/bin/python", "quickstart.py", work, brokerEnvironment);

        // The installed conformance tool against the installed broker, driving the installed clients: the C# driver
        // is the tool itself, the TypeScript one comes from the npm project (npx, run there), the Python one from
        // the virtual environment's python3 (first on PATH). Scenarios that restart the broker need a broker the
        // runner starts, so this run takes the ones that do not.
        var conformanceEnvironment = new Dictionary<string, string>
        {
            ["PATH"] = $"{venv}/bin:{Environment.GetEnvironmentVariable("PATH")}",
        };
        Step("InstallTest: conformance", $"{tools}/sinew-conformance",
            $"--broker {broker.Protocol} --scenario connection/* --scenario publish/* --scenario consume/ack-removes-the-message " +
            $"--report {work}/conformance", typescript, conformanceEnvironment);

        var code = broker.Stop();
        if (code != 0)
        {
            throw new CakeException($"Step 'InstallTest: broker' failed: the installed broker exited with code {code} on shutdown.");
        }
    }
    finally
    {
        DeleteDirectory(work, new DeleteDirectorySettings { Recursive = true, Force = true });
    }
});
