// A test collection run on its own, after the parallel ones: for tests whose assertions depend on timers
// firing roughly on time (heartbeats, backoff), which a machine busy with every other test cannot promise.
namespace Sinew.Client.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitive
{
    public const string Name = "Timing-sensitive";
}
