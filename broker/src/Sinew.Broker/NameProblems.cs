// How the broker words a name (topic, group, producer id) that breaks the naming rules.
using Sinew.Protocol.Naming;

namespace Sinew.Broker;

internal static class NameProblems
{
    public static string Describe(this NameProblem problem) => problem switch
    {
        NameProblem.Empty => "names cannot be empty",
        NameProblem.InvalidUnicode => "it is not valid Unicode",
        NameProblem.TooLong => $"names are at most {NameRules.MaxNameBytes} bytes of UTF-8",
        NameProblem.ReservedName => "'.' and '..' are reserved",
        NameProblem.ReservedPrefix => "names starting with '$' are reserved for the broker",
        NameProblem.ControlCharacter => "it contains a control character",
        NameProblem.Whitespace => "it contains whitespace",
        _ => "it contains one of * > ? # / \\",
    };
}
