using Icd.Checkpoints;
using Icd.Pipelines;
using Icd.Training;

namespace Icd.Tests;

/// <summary>A model distilled on pyramid noise says so in its manifest (<c>pyramid_noise</c>), and
/// inversion starts from that noise; generation starts from <c>generation_noise</c> when the teacher
/// was trained on other noise than its students.</summary>
public class ModelNoiseTests
{
    private static string WriteManifest(TempDir dir, string extra)
    {
        string path = Path.Combine(dir.Path, "icd.json");
        File.WriteAllText(path, $$"""{ "base": "{{Paths.TinySd.Replace("\\", "/")}}"{{extra}} }""");
        return path;
    }

    [Fact]
    public void ManifestSetsTheNoise()
    {
        using var dir = new TempDir();
        Assert.Equal(0.8, IcdManifest.Load(WriteManifest(dir, ", \"pyramid_noise\": 0.8")).PyramidNoise);
        Assert.Equal(0, IcdManifest.Load(WriteManifest(dir, "")).PyramidNoise); // white unless set
        using (var model = IcdModel.Load(WriteManifest(dir, ", \"pyramid_noise\": 0.8")))
        {
            Assert.Equal(0.8, model.InversionNoise.PyramidDiscount);
            Assert.Equal(0.8, model.GenerationNoise.PyramidDiscount); // generation follows pyramid_noise unless told
        }
        using (var model = IcdModel.Load(WriteManifest(dir, ", \"generation_noise\": 0.8")))
        {
            Assert.Equal(0, model.InversionNoise.PyramidDiscount);
            Assert.Equal(0.8, model.GenerationNoise.PyramidDiscount);
        }
    }

    [Theory]
    [InlineData("pyramid_noise", 1.5)]
    [InlineData("generation_noise", -0.1)]
    public void OutOfRangeDiscountNamesTheFileAndField(string field, double value)
    {
        using var dir = new TempDir();
        string path = WriteManifest(dir, $", \"{field}\": {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        var e = Assert.Throws<InvalidDataException>(() => IcdManifest.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(field, e.Message);
    }

    [Fact]
    public void GenerationStartsFromTheGenerationNoise()
    {
        var options = new GenerateOptions { Seed = 5 };
        byte[] Generate(double distillation, double? generation)
        {
            using var model = IcdModel.FromNetworks(StableDiffusionLoader.Load(Paths.TinySd),
                new IcdManifest { Base = Paths.TinySd, PyramidNoise = distillation, GenerationNoise = generation }, "tiny-sd");
            return new IcdPipeline(model).Generate("a cat", options).Image.Pixels;
        }
        var white = Generate(0, null);
        Assert.Equal(white, Generate(0, null));
        var pyramid = Generate(0.8, null);
        Assert.NotEqual(white, pyramid);
        Assert.Equal(pyramid, Generate(0, 0.8)); // generation_noise alone decides
        Assert.Equal(white, Generate(0.8, 0));
    }

    [Fact]
    public void DdimGenerationStartsFromTheGenerationNoiseToo()
    {
        var options = new GenerateOptions { Seed = 5 };
        GenerateResult Generate(double? generation)
        {
            using var model = IcdModel.FromNetworks(StableDiffusionLoader.Load(Paths.TinySd),
                new IcdManifest { Base = Paths.TinySd, GenerationNoise = generation }, "tiny-sd");
            return new DdimPipeline(model, steps: 4).Generate("a cat", options);
        }
        var white = Generate(null);
        Assert.Equal(4, white.Nfe);
        Assert.Equal(white.Image.Pixels, Generate(0).Image.Pixels);
        Assert.NotEqual(white.Image.Pixels, Generate(0.8).Image.Pixels);
    }

    [Fact]
    public void InversionStartsFromTheDistillationNoise()
    {
        foreach (double discount in new[] { 0.0, 0.8 })
        {
            // generation_noise must not reach inversion.
            using var model = IcdModel.FromNetworks(StableDiffusionLoader.Load(Paths.TinySd),
                new IcdManifest { Base = Paths.TinySd, PyramidNoise = discount, GenerationNoise = 0.5 }, "tiny-sd");
            var options = new InversionOptions { Seed = 10500 };
            using var trajectory = new IcdPipeline(model).Invert(PipelineTests.TestImage(), "a photo", options);
            using var scope = new Icd.Torch.TensorScope();
            // x_19 = α_19·z0 + σ_19·ε0, ε0 drawn from the seed as the students' distillation noise.
            using var gen = new Icd.Torch.Generator(10500);
            var expected = model.Schedule.AddNoise(trajectory.Z0, new TrainingNoise(discount).Sample(trajectory.Z0.Shape, gen), 19);
            Assert.Equal(19, trajectory.Timesteps[0]);
            Assert.Equal(expected.ToArray<float>(), trajectory.Latents[0].ToArray<float>());
        }
    }
}
