using Icd.Torch;
using Icd.Torch.Nn;
using Icd.Torch.Serialization;

namespace Icd.Cli.Commands;

/// <summary>Turns library exceptions into one clear line on stderr and exit code 1 (2 for bad
/// arguments), instead of a stack trace.</summary>
internal static class CommandRunner
{
    public static int Run(Func<int> command)
    {
        try
        {
            TorchRuntime.Initialize();
            return command();
        }
        catch (Exception e) when (e is ArgumentException or FileNotFoundException or DirectoryNotFoundException)
        {
            Console.Error.WriteLine($"icd: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is TorchException or SafetensorsFormatException or WeightLoadException
                                      or InvalidDataException or InvalidOperationException or IOException
                                      or NotSupportedException or KeyNotFoundException or Icd.Hub.HubException
                                      or Icd.Torch.Distributed.DistributedException)
        {
            Console.Error.WriteLine($"icd: {e.Message}");
            return 1;
        }
        catch (DllNotFoundException e)
        {
            Console.Error.WriteLine($"icd: the native shim could not be loaded ({e.Message}). Run ./icd once to install libtorch and build it.");
            return 1;
        }
    }
}
