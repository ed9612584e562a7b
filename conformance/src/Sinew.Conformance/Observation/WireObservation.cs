// What the wire showed while one scenario or raw case ran: which ops travelled, and which requests the
// broker refused as not supported. Coverage comes from here, not from what a scenario says it pins.
namespace Sinew.Conformance.Observation;

/// <summary>The ops seen on the wire during one run of a scenario (or raw case) for one client.</summary>
/// <param name="Seen">Op names of every well-formed frame, in either direction.</param>
/// <param name="Refused">Op names of requests the broker answered as not supported (<c>unknown_op</c>, or an
/// error whose <c>reason</c> is <c>not_supported</c>).</param>
internal sealed record WireObservation(string Id, string Client, IReadOnlySet<string> Seen, IReadOnlySet<string> Refused);
