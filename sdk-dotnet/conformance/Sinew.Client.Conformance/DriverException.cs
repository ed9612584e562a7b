// A failure of the driver itself or of its input, as opposed to an error of the client under test.
namespace Sinew.Client.Conformance;

/// <summary>A request the driver cannot carry out: a missing or malformed argument, a handle that was never
/// created. Reported with error type <c>Unexpected</c>, which no scenario expects.</summary>
internal sealed class DriverException(string message) : Exception(message);
