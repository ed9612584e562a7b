// Group normalisation: "" and "default" both mean the ungrouped queue (specification section 7.2).
namespace Sinew.Protocol.Naming;

/// <summary>Normalises queue groups.</summary>
public static class GroupNames
{
    /// <summary>The group name that means "no group".</summary>
    public const string Default = "default";

    /// <summary>Null for the ungrouped queue (null, empty or exactly <c>default</c>); the group otherwise.</summary>
    public static string? Normalise(string? group) => string.IsNullOrEmpty(group) || group == Default ? null : group;
}
