using Icd.Checkpoints;
using Icd.Pipelines;
using Icd.Training;

namespace Icd.Tests;

/// <summary>A model trained on pyramid noise says so in its manifest (<c>pyramid_noise</c>), and
/// generation starts from that noise.</summary>
public class InitialNoiseTests
{
    private static string WriteManifest(TempDir dir, string extra)
    {
        string path = Path.Combine(dir.Path, "icd.json");
        File.WriteAllText(path, $$"""{ "base": "{{Paths.TinySd.Replace("\\", "/")}}"{{extra}} }""");
        return path;
    }

    [Fact]
    public void ManifestSetsTheInitialNoise()
    {
        using var dir = new TempDir();
        Assert.Equal(0.8, IcdManifest.Load(WriteManifest(dir, ", \"pyramid_noise\": 0.8")).PyramidNoise);
        Assert.Equal(0, IcdManifest.Load(WriteManifest(dir, "")).PyramidNoise); // white unless set
        using var model = IcdModel.Load(WriteManifest(dir, ", \"pyramid_noise\": 0.8"));
        Assert.Equal(0.8, model.InitialNoise.PyramidDiscount);
    }

    [Fact]
    public void OutOfRangeDiscountNamesTheFileAndField()
    {
        using var dir = new TempDir();
        string path = WriteManifest(dir, ", \"pyramid_noise\": 1.5");
        var e = Assert.Throws<InvalidDataException>(() => IcdManifest.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("pyramid_noise", e.Message);
    }

    [Fact]
    public void GenerationStartsFromTheModelsNoise()
    {
        var options = new GenerateOptions { Seed = 5 };
        byte[] Generate(double discount)
        {
            using var model = IcdModel.FromNetworks(StableDiffusionLoader.Load(Paths.TinySd), new IcdManifest { Base = Paths.TinySd, PyramidNoise = discount }, "tiny-sd");
            Assert.Equal(discount, model.InitialNoise.PyramidDiscount);
            return new IcdPipeline(model).Generate("a cat", options).Image.Pixels;
        }
        var white = Generate(0);
        Assert.Equal(white, Generate(0));
        Assert.NotEqual(white, Generate(0.8));
    }

    [Fact]
    public void InversionStartsFromTheModelsNoise()
    {
        foreach (double discount in new[] { 0.0, 0.8 })
        {
            using var model = IcdModel.FromNetworks(StableDiffusionLoader.Load(Paths.TinySd), new IcdManifest { Base = Paths.TinySd, PyramidNoise = discount }, "tiny-sd");
            var options = new InversionOptions { Seed = 10500 };
            using var trajectory = new IcdPipeline(model).Invert(PipelineTests.TestImage(), "a photo", options);
            using var scope = new Icd.Torch.TensorScope();
            // x_19 = α_19·z0 + σ_19·ε0, ε0 drawn from the seed as the model's training noise.
            using var gen = new Icd.Torch.Generator(10500);
            var expected = model.Schedule.AddNoise(trajectory.Z0, new TrainingNoise(discount).Sample(trajectory.Z0.Shape, gen), 19);
            Assert.Equal(19, trajectory.Timesteps[0]);
            Assert.Equal(expected.ToArray<float>(), trajectory.Latents[0].ToArray<float>());
        }
    }
}
