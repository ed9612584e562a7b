// The hand-written part of Auth (the rest is generated from the registry): its string form hides the
// secret, because a record prints every property and an Auth reaches logs inside a Hello.
namespace Sinew.Protocol.Messages;

public sealed partial record Auth
{
    /// <summary>Never prints the secret.</summary>
    public override string ToString() => $"Auth {{ Mechanism = {Mechanism}, Identity = {Identity}, Secret = *** }}";
}
