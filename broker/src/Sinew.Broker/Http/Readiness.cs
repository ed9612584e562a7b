// GET /readyz. Ready means the broker has started, every partition of every queue has been verified, none is
// quarantined or parked, and the disk has room. The body says what stands in the way: how much is not yet
// verified, and each quarantine with its file and reason.
using Microsoft.AspNetCore.Http;
using Sinew.Broker.Engine;
using Sinew.Broker.Queues;

namespace Sinew.Broker.Http;

internal static class Readiness
{
    public static IResult Report(BrokerServices services, QueueRegistry registry, bool serving)
    {
        var problems = new List<string>();
        var quarantined = new List<object>();
        if (!serving)
        {
            problems.Add("starting");
        }

        var census = registry.Census();
        if (census.QueuesUnverified > 0)
        {
            problems.Add($"{census.PartitionsUnverified} of {census.Partitions} partition(s), in {census.QueuesUnverified} queue(s), not yet verified");
        }

        foreach (var queue in registry.QuarantinedQueues.OrderBy(q => q.Directory, StringComparer.Ordinal))
        {
            var file = registry.Describe(queue.File);
            problems.Add(queue.Name is { } name
                ? $"queue {name} is quarantined: {file}: {queue.Reason}"
                : $"the queue in {registry.Describe(queue.Directory)} is quarantined: {file}: {queue.Reason}");
            quarantined.Add(new { topic = queue.Name?.Topic, group = queue.Name?.Group, file, reason = queue.Reason });
        }

        foreach (var ((queue, partition), reason) in services.QuarantinedPartitions.OrderBy(p => p.Key.Queue.ToString(), StringComparer.Ordinal))
        {
            problems.Add($"partition {partition} of queue {queue} is quarantined: {reason}");
            quarantined.Add(new { topic = queue.Topic, group = queue.Group, partition, reason });
        }

        foreach (var (_, reason) in services.ParkedPartitions.OrderBy(p => p.Key.Queue.ToString(), StringComparer.Ordinal))
        {
            problems.Add(reason);
        }

        if (services.DiskSpace.LowReason is { } diskLow)
        {
            problems.Add(diskLow);
        }

        var verification = new
        {
            queues = census.Queues,
            queues_verified = census.QueuesVerified,
            partitions = census.Partitions,
            partitions_verified = census.PartitionsVerified,
        };
        return problems.Count == 0
            ? Results.Json(new { ready = true, verification })
            : Results.Json(new { ready = false, problems, verification, quarantined }, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
