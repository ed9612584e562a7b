// How the benchmarks run: the defaults, in this process (no generated project to restore and build, which the
// offline package feed makes slow), with allocations measured per operation. A job given on the command line
// (`--job short`) runs in this process too.
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Sinew.Broker.Benchmarks;

internal sealed class BenchmarkConfig : ManualConfig
{
    public BenchmarkConfig()
    {
        Add(DefaultConfig.Instance);
        AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).AsDefault());
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}
