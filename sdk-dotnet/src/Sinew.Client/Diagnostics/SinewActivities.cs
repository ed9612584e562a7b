// Spans for publishing and processing, with the attributes of the OpenTelemetry messaging conventions.
using System.Diagnostics;
using Sinew.Client.Internal;
using Sinew.Client.Routing;
using Sinew.Protocol.Messages;

namespace Sinew.Client.Diagnostics;

internal static class SinewActivities
{
    public static readonly ActivitySource Source = new(SinewDiagnostics.ActivitySourceName, ClientVersion.Value);

    /// <summary>A Producer span for a publish of <paramref name="count"/> messages, or null when nobody listens.</summary>
    public static Activity? StartPublish(QueueKey queue, int count)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity($"publish {queue.Topic}", ActivityKind.Producer);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", "sinew");
            activity.SetTag("messaging.operation.type", "send");
            activity.SetTag("messaging.operation.name", "publish");
            activity.SetTag("messaging.destination.name", queue.Topic);
            if (queue.Group is not null)
            {
                activity.SetTag("messaging.sinew.group", queue.Group);
            }

            if (count != 1)
            {
                activity.SetTag("messaging.batch.message_count", count);
            }
        }

        return activity;
    }

    /// <summary>A Consumer span for processing one delivery, parented to the publisher's span when the message
    /// carried its context. It does not become <see cref="Activity.Current"/>: deliveries are handed out by an
    /// enumerator, whose ambient context would not reach the caller's loop body anyway.</summary>
    public static Activity? StartProcess(QueueKey queue, DeliveredMessage message, ActivityContext parent)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var previous = Activity.Current;
        var activity = Source.StartActivity($"process {queue.Topic}", ActivityKind.Consumer, parent);
        Activity.Current = previous;
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", "sinew");
            activity.SetTag("messaging.operation.type", "process");
            activity.SetTag("messaging.destination.name", queue.Topic);
            activity.SetTag("messaging.destination.partition.id", message.Partition.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity.SetTag("messaging.message.id", message.DeliveryId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity.SetTag("messaging.message.body.size", message.Payload.Length);
            activity.SetTag("messaging.sinew.offset", message.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity.SetTag("messaging.sinew.attempt", (int)Math.Min(message.Attempt, int.MaxValue));
            if (queue.Group is not null)
            {
                activity.SetTag("messaging.sinew.group", queue.Group);
            }
        }

        return activity;
    }

    public static void RecordFailure(Activity? activity, Exception error)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetStatus(ActivityStatusCode.Error, error.Message);
        if (error is SinewException sinew)
        {
            activity.SetTag("error.type", sinew.Code);
        }
        else
        {
            activity.SetTag("error.type", error.GetType().FullName);
        }
    }
}
