// Microbenchmarks of the broker's hot paths, without sockets: appending, the publish-deliver-ack cycle, and
// the frames a session encodes and decodes. Run in Release: `dotnet run -c Release -- --filter '*'`
// (any BenchmarkDotNet argument works). See README.md for what each measures and its allocation budget.
using BenchmarkDotNet.Running;
using Sinew.Broker.Benchmarks;

BenchmarkSwitcher.FromAssembly(typeof(BenchmarkConfig).Assembly).Run(args, new BenchmarkConfig());
