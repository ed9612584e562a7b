// The Sinew build: bootstraps the toolchains, builds, tests and packs the broker and the three SDKs.
//
//   dotnet tool restore && dotnet cake --target=Test     (the default target)
//
// Every step prints the command it runs; a failing step stops the build and names the step.

#load "build/broker.cake"
#load "build/docs.cake"
#load "build/install-test.cake"

var target = Argument("target", "Test");
var configuration = Argument("configuration", "Release");

var root = MakeAbsolute(Directory(".")).FullPath;
var artifacts = $"{root}/artifacts";
var testResults = $"{artifacts}/test-results";
var packages = $"{artifacts}/packages";
var tsDir = $"{root}/sdk-typescript";
var pyDir = $"{root}/sdk-python";
var venv = $"{root}/.venv";
var venvPython = $"{venv}/bin/python";
var solution = $"{root}/Sinew.slnx";
var brokerDll = $"{root}/broker/src/Sinew.Broker.Host/bin/{configuration}/net10.0/sinew-broker.dll";
var conformanceDll = $"{root}/conformance/src/Sinew.Conformance/bin/{configuration}/net10.0/sinew-conformance.dll";
var examplesDll = $"{root}/sdk-dotnet/examples/Sinew.Client.Examples/bin/{configuration}/net10.0/sinew-examples.dll";
var exitAfterDemo = Argument("exit-after-demo", false);
var version = XmlPeek($"{root}/version.props", "/Project/PropertyGroup/SinewVersion");

// Debian packages that provide the Python toolchain offline (PyPI is not required for development).
var debianPythonPackages = new[]
{
    "python3-venv", "python3-msgpack", "python3-pytest", "python3-pytest-asyncio",
    "python3-build", "python3-hatchling", "python3-mypy", "python3-hypothesis",
};
var systemPython = FileExists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

// Environment every test process gets: where to write the per-language wire-vector summary.
var testEnvironment = new Dictionary<string, string> { ["SINEW_TEST_SUMMARY_DIR"] = testResults };

void Step(string step, string tool, string arguments, string workingDirectory = null,
    IDictionary<string, string> environment = null)
{
    var where = workingDirectory is null || workingDirectory == root ? "" : $"   (in {workingDirectory.Replace(root + "/", "")})";
    Information($"==> [{step}] {tool} {arguments}{where}");
    var settings = new ProcessSettings
    {
        Arguments = arguments,
        WorkingDirectory = workingDirectory ?? root,
        EnvironmentVariables = environment,
    };
    var exitCode = StartProcess(tool, settings);
    if (exitCode != 0)
    {
        throw new CakeException($"Step '{step}' failed: `{tool} {arguments}` exited with code {exitCode}.");
    }
}

bool Succeeds(string tool, string arguments)
{
    var settings = new ProcessSettings { Arguments = arguments, RedirectStandardOutput = true, RedirectStandardError = true };
    using var process = StartAndReturnProcess(tool, settings);
    process.WaitForExit();
    return process.GetExitCode() == 0;
}

bool IsRoot() => Succeeds("sh", "-c \"test $(id -u) -eq 0\"");

void PrintWireVectorSummaries()
{
    var missing = new List<string>();
    Information("");
    Information("Wire vectors, per language:");
    foreach (var language in new[] { "csharp", "typescript", "python" })
    {
        var file = $"{testResults}/wire-vectors-{language}.txt";
        if (FileExists(file))
        {
            Information("  " + System.IO.File.ReadAllText(file).Trim());
        }
        else
        {
            missing.Add(language);
        }
    }

    if (missing.Count > 0)
    {
        throw new CakeException($"Step 'WireVectors' failed: no wire-vector summary from {string.Join(", ", missing)}.");
    }
}

void ClearWireVectorSummaries()
{
    EnsureDirectoryExists(testResults);
    foreach (var file in GetFiles($"{testResults}/wire-vectors-*.txt"))
    {
        DeleteFile(file);
    }
}

Task("Bootstrap")
    .Description("Restores .NET tools, installs npm packages and prepares the Python virtual environment.")
    .Does(() =>
{
    Step("Bootstrap: .NET tools", "dotnet", "tool restore");

    var lockFile = $"{tsDir}/package-lock.json";
    var installedLock = $"{tsDir}/node_modules/.package-lock.json";
    if (FileExists(installedLock) && System.IO.File.GetLastWriteTimeUtc(installedLock) >= System.IO.File.GetLastWriteTimeUtc(lockFile))
    {
        Information("==> [Bootstrap: npm] node_modules is up to date with package-lock.json");
    }
    else
    {
        Step("Bootstrap: npm", "npm", "ci --no-audit --no-fund", tsDir);
    }

    var imports = "import venv, msgpack, pytest, pytest_asyncio, build, hatchling, mypy, hypothesis";
    if (!Succeeds(systemPython, $"-c \"{imports}\""))
    {
        var install = $"apt-get install -y {string.Join(" ", debianPythonPackages)}";
        if (IsRoot() && Succeeds("sh", "-c \"command -v apt-get\""))
        {
            Step("Bootstrap: Python packages", "apt-get", "update");
            Step("Bootstrap: Python packages", "apt-get", install.Substring("apt-get ".Length));
        }
        else
        {
            throw new CakeException(
                $"Step 'Bootstrap: Python packages' failed: {systemPython} lacks the Python toolchain. Install it with:\n    sudo {install}");
        }
    }

    if (!FileExists(venvPython))
    {
        Step("Bootstrap: Python venv", systemPython, $"-m venv --system-site-packages {venv}");
    }

    Step("Bootstrap: Python venv", venvPython, $"-m pip install --quiet --no-build-isolation --no-index -e {pyDir}");
});

Task("Build")
    .Description("Builds the .NET solution and the TypeScript package.")
    .IsDependentOn("Bootstrap")
    .Does(() =>
{
    Step("Build: .NET", "dotnet", $"build {solution} -c {configuration} --nologo");
    Step("Build: TypeScript", "npm", "run build", tsDir);
});

Task("WireVectors")
    .Description("Checks the wire vectors against their generator and runs them in C#, TypeScript and Python.")
    .IsDependentOn("Build")
    .Does(() =>
{
    ClearWireVectorSummaries();
    Step("WireVectors: generator", venvPython, "tools/vectorgen/generate.py --check");
    Step("WireVectors: protocol code generator", venvPython, "tools/protogen/generate.py --check");
    Step("WireVectors: C#", "dotnet",
        $"test sdk-dotnet/tests/Sinew.Protocol.Tests -c {configuration} --no-build --nologo --blame-hang-timeout 5m " +
        $"--results-directory {testResults}", root, testEnvironment);
    Step("WireVectors: TypeScript", "npm", "run test:vectors", tsDir, testEnvironment);
    Step("WireVectors: Python", venvPython, "-m pytest -q tests/wire", pyDir, testEnvironment);
    PrintWireVectorSummaries();
});

Task("TestSuites")
    .Description("Every language's test suites and type checks, the conformance gate and the main job's demo.")
    .IsDependentOn("Build")
    .Does(() =>
{
    ClearWireVectorSummaries();
    CheckVersions();
    Step("Test: wire-vector generator", venvPython, "tools/vectorgen/generate.py --check");
    Step("Test: protocol code generator", venvPython, "tools/protogen/generate.py --check");
    Step("Test: .NET", "dotnet",
        $"test {solution} -c {configuration} --no-build --nologo --blame-hang-timeout 5m --results-directory {testResults}",
        root, testEnvironment);
    Step("Test: TypeScript typecheck", "npm", "run typecheck", tsDir);
    Step("Test: TypeScript", "npm", "test", tsDir, testEnvironment);
    Step("Test: Python typecheck", venvPython, "-m mypy --strict src", pyDir);
    Step("Test: Python", venvPython, "-m pytest -q", pyDir, testEnvironment);
    RunConformance("Test: conformance");
    TestMainJobDemo();
    PrintWireVectorSummaries();
});

Task("Pack")
    .Description("Packs the NuGet packages, the npm tarball and the Python wheel and sdist into artifacts/packages.")
    .IsDependentOn("Build")
    .Does(() =>
{
    CheckVersions();
    EnsureDirectoryExists(packages);
    Step("Pack: NuGet", "dotnet", $"pack {solution} -c {configuration} --no-build --nologo -o {packages}");
    Step("Pack: npm", "npm", $"pack --pack-destination {packages}", tsDir);
    Step("Pack: Python", venvPython, $"-m build --no-isolation -x --outdir {packages} {pyDir}");
    Information($"Packages in {packages}:");
    foreach (var file in GetFiles($"{packages}/*"))
    {
        Information("  " + file.GetFilename());
    }
});

// The demo: each client's example runs against the same broker.
void RunDemo(string endpoint)
{
    var environment = new Dictionary<string, string> { ["SINEW_BROKER"] = endpoint };
    Step("Demo: C# examples", "dotnet", $"{examplesDll} all", root, environment);
    Step("Demo: TypeScript example", "node", "examples/consume.mjs", tsDir, environment);
    Step("Demo: Python example", venvPython, "examples/consume_with_retry.py", pyDir, environment);
}

// The main job's demo as a test: the same steps against a broker on free ports with a throwaway data
// directory, so it can run next to a broker already using the default ports.
void TestMainJobDemo()
{
    var dataDir = $"{artifacts}/demo-data";
    if (DirectoryExists(dataDir))
    {
        DeleteDirectory(dataDir, new DeleteDirectorySettings { Recursive = true, Force = true });
    }

    Information($"==> [Test: main job] dotnet {brokerDll} --listen 127.0.0.1:0 --http 127.0.0.1:0 --data-dir {dataDir}");
    using var broker = BrokerProcess.Start("dotnet",
        new[] { brokerDll, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data-dir", dataDir }, root, TimeSpan.FromSeconds(60));
    RunDemo(broker.Protocol);
    var code = broker.Stop();
    if (code != 0)
    {
        throw new CakeException($"Step 'Test: main job' failed: the broker exited with code {code} on shutdown.");
    }
}

Task("Run")
    .Description("The main job: the broker with its default settings (127.0.0.1:7420, data in ./sinew-data), " +
        "the demo in C#, TypeScript and Python against it, then the broker keeps running until Ctrl-C.")
    .IsDependentOn("Build")
    .Does(() =>
{
    Information($"==> [Run: broker] dotnet {brokerDll}");
    using var broker = BrokerProcess.Start("dotnet", new[] { brokerDll }, root, TimeSpan.FromSeconds(60));
    Information($"==> [Run: broker] ready: protocol {broker.Protocol}, HTTP http://{broker.Http}, data in {root}/sinew-data");
    RunDemo(broker.Protocol);
    if (exitAfterDemo)
    {
        var code = broker.Stop();
        if (code != 0)
        {
            throw new CakeException($"Step 'Run: broker' failed: the broker exited with code {code} on shutdown.");
        }

        return;
    }

    Information("");
    Information($"The broker is running: clients connect to {broker.Protocol}; health, readiness and metrics are at");
    Information($"http://{broker.Http}/healthz, /readyz and /metrics (http://{broker.Http}/ lists every path). Press Ctrl-C to stop it.");
    // Ctrl-C reaches the broker too (same process group) and it shuts down gracefully; the build stays
    // alive to wait for that and say how it ended, instead of dying first.
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        Information("Ctrl-C: waiting for the broker to shut down gracefully...");
    };
    var exitCode = broker.WaitForExit();
    Information($"The broker stopped (exit code {exitCode}).");
});

Task("Conformance")
    .Description("Runs every conformance scenario through the three clients against a fresh local broker; " +
        "fails on any failing or missing scenario. Reports land in artifacts/conformance.")
    .IsDependentOn("Build")
    .Does(() =>
{
    RunConformance("Conformance");
});

// Every scenario through every client against a broker the runner starts; the gate fails the step.
void RunConformance(string step) => Step(step, "dotnet", $"{conformanceDll} --report {artifacts}/conformance");

// The conformance run in TestSuites feeds the docs' parity page, so the docs come after it.
Task("Test")
    .Description("Everything (the default target): TestSuites, then the documentation site's tests, then the install test.")
    .IsDependentOn("TestSuites")
    .IsDependentOn("DocsTest")
    .IsDependentOn("InstallTest");

Task("Default").IsDependentOn("Test");

// The release version lives in version.props; the npm and Python manifests must declare the same one.
void CheckVersions()
{
    var npmVersion = System.Text.Json.JsonDocument.Parse(System.IO.File.ReadAllText($"{tsDir}/package.json"))
        .RootElement.GetProperty("version").GetString();
    var pyproject = System.IO.File.ReadAllText($"{pyDir}/pyproject.toml");
    var pyVersion = System.Text.RegularExpressions.Regex.Match(pyproject, "(?m)^version\\s*=\\s*\"([^\"]+)\"").Groups[1].Value;
    var mismatches = new List<string>();
    if (npmVersion != version) mismatches.Add($"sdk-typescript/package.json has {npmVersion}");
    if (pyVersion != version) mismatches.Add($"sdk-python/pyproject.toml has {pyVersion}");
    if (mismatches.Count > 0)
    {
        throw new CakeException($"Step 'versions' failed: version.props says {version}, but {string.Join("; ", mismatches)}.");
    }

    Information($"==> [versions] every package is version {version}");
}

RunTarget(target);
