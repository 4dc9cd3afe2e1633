using System.CommandLine;
using System.Globalization;
using Icd.Reference;

namespace Icd.Cli.Commands;

/// <summary><c>icd check-reference DIR</c>: runs every reference case and prints one line per
/// check, then "N passed, M failed"; exits 1 on any failure.</summary>
internal static class CheckReferenceCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "A reference case folder (with checks.json) or a folder of cases" };
        var command = new Command("check-reference", "Check the port against reference outputs of the Python implementation");
        command.Arguments.Add(dir);
        command.SetAction(parse =>
        {
            int passed = 0, failed = 0;
            foreach (var caseDir in ReferenceChecker.FindCases(parse.GetValue(dir)!))
            {
                using var checker = new ReferenceChecker(caseDir);
                string caseName = Path.GetFileName(Path.GetFullPath(caseDir).TrimEnd('/'));
                foreach (var r in checker.Run())
                {
                    if (r.Passed) passed++;
                    else failed++;
                    string numbers = double.IsNaN(r.MaxAbsError) ? "" :
                        string.Create(CultureInfo.InvariantCulture, $"max_abs {r.MaxAbsError:E2}  tol_ratio {r.WorstRatio:F3}");
                    Console.WriteLine($"{(r.Passed ? "PASS" : "FAIL")}  {caseName}/{r.Check}.{r.Output}  {numbers}{(r.Problem is null ? "" : "  " + r.Problem)}");
                }
            }
            Console.WriteLine($"{passed} passed, {failed} failed");
            return failed == 0 ? 0 : 1;
        });
        return command;
    }
}
