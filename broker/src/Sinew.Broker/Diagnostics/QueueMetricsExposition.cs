// Writes the per-queue families in the Prometheus text exposition format (version 0.0.4), with the names, help
// texts and labels they had as prometheus-net metrics.
using System.Globalization;
using System.Text;

namespace Sinew.Broker.Diagnostics;

internal static class QueueMetricsExposition
{
    private static readonly DeadLetterReason[] Reasons = [DeadLetterReason.RetriesExhausted, DeadLetterReason.TerminalNack, DeadLetterReason.Expired];

    public static void Write(TextWriter writer, IEnumerable<QueueMetrics> all)
    {
        var queues = all.OrderBy(q => q.Name.Topic, StringComparer.Ordinal).ThenBy(q => q.Name.Group ?? "", StringComparer.Ordinal).ToList();
        Family(writer, queues, "sinew_messages_published_total", "counter", "Messages appended to queues.", q => q.Published.Value);
        Family(writer, queues, "sinew_messages_delivered_total", "counter", "Deliveries sent to consumers.", q => q.Delivered.Value);
        Family(writer, queues, "sinew_messages_acked_total", "counter", "Deliveries settled as done.", q => q.Acked.Value);
        Family(writer, queues, "sinew_messages_nacked_total", "counter", "Deliveries failed, retried or delayed by consumers.", q => q.Nacked.Value);
        Header(writer, "sinew_messages_dead_lettered_total", "counter", "Messages removed by their queue's dead-letter policy.");
        foreach (var queue in queues)
        {
            foreach (var reason in Reasons)
            {
                Sample(writer, "sinew_messages_dead_lettered_total", queue.Name, reason.WireName(), queue.DeadLettered(reason).Value);
            }
        }

        Family(writer, queues, "sinew_lease_expirations_total", "counter", "Deliveries whose lease ran out.", q => q.LeaseExpired.Value);
        Family(writer, queues, "sinew_queue_depth", "gauge", "Unsettled messages (ready, delayed, in flight).", q => q.Depth);
        Family(writer, queues, "sinew_queue_ready", "gauge", "Messages ready for delivery.", q => q.Ready);
        Family(writer, queues, "sinew_queue_inflight", "gauge", "Messages delivered and not yet settled.", q => q.Inflight);
        Family(writer, queues, "sinew_queue_delayed", "gauge", "Messages waiting for their not-before time.", q => q.Delayed);
        Family(writer, queues, "sinew_queue_dead_lettering", "gauge",
            "Messages leaving through the dead-letter policy whose copy is not yet durable in the target; they are out of delivery meanwhile.",
            q => q.DeadLettering);
    }

    private static void Family(TextWriter writer, List<QueueMetrics> queues, string name, string type, string help, Func<QueueMetrics, long> value)
    {
        Header(writer, name, type, help);
        foreach (var queue in queues)
        {
            Sample(writer, name, queue.Name, null, value(queue));
        }
    }

    private static void Header(TextWriter writer, string name, string type, string help)
    {
        writer.Write($"# HELP {name} {help}\n");
        writer.Write($"# TYPE {name} {type}\n");
    }

    private static void Sample(TextWriter writer, string name, QueueName queue, string? reason, long value)
    {
        writer.Write(name);
        writer.Write("{topic=\"");
        writer.Write(Escape(queue.Topic));
        writer.Write("\",group=\"");
        writer.Write(Escape(queue.Group ?? ""));
        if (reason is not null)
        {
            writer.Write("\",reason=\"");
            writer.Write(reason);
        }

        writer.Write("\"} ");
        writer.Write(value.ToString(CultureInfo.InvariantCulture));
        writer.Write('\n');
    }

    // The text format's label value escapes: backslash, double quote and line feed.
    private static string Escape(string value)
    {
        if (value.AsSpan().IndexOfAny('\\', '"', '\n') < 0)
        {
            return value;
        }

        var escaped = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            escaped.Append(c switch
            {
                '\\' => "\\\\",
                '"' => "\\\"",
                '\n' => "\\n",
                _ => c.ToString(),
            });
        }

        return escaped.ToString();
    }
}
