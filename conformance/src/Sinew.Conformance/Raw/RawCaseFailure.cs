// A raw case's expectation did not hold.
namespace Sinew.Conformance.Raw;

internal sealed class RawCaseFailure(string message) : Exception(message);
