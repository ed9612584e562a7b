// A queue directory the broker does not serve, and why.
namespace Sinew.Broker.Queues;

/// <summary>A queue directory the broker does not serve: its queue.json is missing or damaged, or loading the
/// queue failed. Nothing in it is changed or replaced until an operator repairs it.</summary>
/// <param name="Directory">The queue directory.</param>
/// <param name="File">The file at fault (queue.json, or the directory itself when loading failed).</param>
/// <param name="Reason">What is wrong with it.</param>
/// <param name="Name">The queue's name when the file still says it.</param>
internal sealed record QuarantinedQueue(string Directory, string File, string Reason, QueueName? Name);
