// The broker's log events are told apart by their event ids, so each id names one event.
using System.Reflection;
using Microsoft.Extensions.Logging;

namespace Sinew.Broker.Tests;

public class LogEventTests
{
    [Fact]
    public void Every_log_event_has_its_own_event_id()
    {
        var events = typeof(Sinew.Broker.Diagnostics.Log).GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
            .Select(m => (m.Name, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(e => e.Attribute is not null)
            .ToList();
        Assert.True(events.Count > 10, $"found {events.Count} log events");
        var shared = events.GroupBy(e => e.Attribute!.EventId).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Name))}");
        Assert.Empty(shared);
    }
}
