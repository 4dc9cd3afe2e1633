using System.CommandLine;
using Icd.Cli.Commands;

namespace Icd.Cli;

/// <summary>The <c>icd</c> command line. Each command is a thin layer over a library entry
/// point; the library never writes to the console, the commands do.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("icd: fast text-guided editing of real images with invertible consistency distillation");
        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(CheckReferenceCommand.Create());
        root.Subcommands.Add(ConvertCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(InvertCommand.Create());
        root.Subcommands.Add(EditCommand.Create());
        root.Subcommands.Add(ShapesCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(FuzzCommand.Create());
        root.Subcommands.Add(PullCommand.Create());
        root.Subcommands.Add(MetricsCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        // The Shapes world's networks are small: they want other thread settings, which libtorch
        // reads when it loads, so they are chosen before anything touches it (README, "Measured").
        if (args.Length > 0 && args[0] == "shapes") Icd.Torch.TorchRuntime.UseSmallNetworkThreading();
        // Exceptions reach CommandRunner, which prints one clear line instead of a stack trace.
        var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        var parsed = root.Parse(args);
        // One line per bad argument, exit 2, instead of the whole help and .NET type names.
        if (parsed.Errors.Count > 0 && !args.Contains("--help") && !args.Contains("-h"))
        {
            foreach (var error in parsed.Errors) Console.Error.WriteLine($"icd: {ParseErrors.Describe(error.Message)}");
            Console.Error.WriteLine($"icd: see 'icd {string.Join(' ', args.TakeWhile(a => !a.StartsWith('-')))} --help'");
            return 2;
        }
        return CommandRunner.Run(() => parsed.Invoke(invocation));
    }
}
