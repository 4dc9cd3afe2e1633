using System.Text.RegularExpressions;

namespace Icd.Cli.Commands;

/// <summary>System.CommandLine's parse errors in the user's words: "--seed 'abc': not a whole number
/// ≥ 0" rather than "… as expected type 'System.Nullable`1[System.UInt64]'".</summary>
internal static partial class ParseErrors
{
    public static string Describe(string message)
    {
        var m = CannotParse().Match(message);
        if (!m.Success) return message;
        string type = m.Groups["type"].Value;
        string expected = type.Contains("UInt64") || type.Contains("UInt32") ? "a whole number ≥ 0"
            : type.Contains("Int32") || type.Contains("Int64") ? "a whole number"
            : type.Contains("Double") || type.Contains("Single") ? "a number"
            : type.Contains("Boolean") ? "true or false"
            : "a valid value";
        return $"{m.Groups["option"].Value} '{m.Groups["value"].Value}': not {expected}";
    }

    [GeneratedRegex(@"Cannot parse argument '(?<value>.*)' for option '(?<option>[^']*)' as expected type '(?<type>[^']*)'")]
    private static partial Regex CannotParse();
}
