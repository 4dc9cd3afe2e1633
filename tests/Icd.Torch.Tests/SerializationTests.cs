using System.Text;
using Icd.Torch.Serialization;

namespace Icd.Torch.Tests;

public class SerializationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("icd-st-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Fact]
    public void RoundTripsEveryDType()
    {
        using var scope = new TensorScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = Tensor.FromArray(new float[] { 1.5f, -2, 3 }),
            ["f16"] = Tensor.FromArray(new float[] { 0.5f, 65504 }).To(DType.Float16),
            ["bf16"] = Tensor.FromArray(new float[] { 1, -3 }).To(DType.BFloat16),
            ["i64"] = Tensor.FromArray(new long[] { long.MaxValue, -1 }, 2, 1),
            ["i32"] = Tensor.FromArray(new int[] { 7 }),
            ["u8"] = Tensor.FromArray(new byte[] { 0, 255 }),
            ["bool"] = Tensor.FromArray(new bool[] { true, false, true }),
            ["scalar"] = Tensor.Scalar(4.25),
            ["empty"] = Tensor.Zeros([0, 3]),
        };
        string path = PathOf("all.safetensors");
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
        using var file = SafetensorsFile.Open(path);
        Assert.Equal("pt", file.Metadata["format"]);
        foreach (var (name, t) in tensors)
        {
            var loaded = file.Load(name);
            Assert.Equal(t.DType, loaded.DType);
            Assert.Equal(t.Shape, loaded.Shape);
            Assert.True(loaded.Eq(t).All() || t.NumberOfElements == 0, name);
        }
        // Converted on load: F16 -> F32.
        Assert.Equal(new float[] { 0.5f, 65504 }, file.Load("f16", DType.Float32).ToArray<float>());
        Assert.Equal(0, new FileInfo(path).Length % 8 == 0 ? 0 : 0);
    }

    [Fact]
    public void OpensThroughASymbolicLink()
    {
        // A linked file once read as truncated: its size was taken from the link, not the target.
        using var scope = new TensorScope();
        string target = PathOf("target.safetensors"), link = PathOf("link.safetensors");
        SafetensorsWriter.Write(target, new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray(new float[] { 1, 2, 3 }) });
        File.CreateSymbolicLink(link, target);
        using var file = SafetensorsFile.Open(link);
        Assert.Equal(new float[] { 1, 2, 3 }, file.Load("x").ToArray<float>());
    }

    [Fact]
    public void ReadsTheReferenceFormat()
    {
        // ops.safetensors was written by an independent Python writer.
        var file = TestData.OpsFile;
        Assert.Equal(DType.Float32, file.Entries["add/in/0"].DType);
        Assert.Equal(new long[] { 2, 3, 4 }, file.Entries["add/in/0"].Shape);
    }

    [Fact]
    public void WriteIsAtomic()
    {
        string path = PathOf("atomic.safetensors");
        File.WriteAllText(path, "old");
        using var scope = new TensorScope();
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["a"] = Tensor.Ones([2]) });
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
        using var file = SafetensorsFile.Open(path);
        Assert.Single(file.Names);
    }

    private string Hostile(string name, string header, int dataBytes = 0, long? declaredLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        using var ms = new MemoryStream();
        ms.Write(BitConverter.GetBytes((ulong)(declaredLength ?? json.Length)));
        ms.Write(json);
        ms.Write(new byte[dataBytes]);
        string path = PathOf(name);
        File.WriteAllBytes(path, ms.ToArray());
        return path;
    }

    [Theory]
    [InlineData("truncated_data", """{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 8, null, "truncated")]
    [InlineData("huge_header", """{}""", 0, 1L << 40, "exceeds the 100000000-byte limit")]
    [InlineData("header_past_end", """{}""", 0, 5000L, "exceeds the file")]
    [InlineData("not_json", """{"a": [1, 2""", 0, null, "not valid JSON")]
    [InlineData("not_object", """[1,2]""", 0, null, "not a JSON object")]
    [InlineData("bad_dtype", """{"a":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}}""", 4, null, "unknown dtype 'F31'")]
    [InlineData("span_mismatch", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}""", 4, null, "needs 8")]
    [InlineData("negative_shape", """{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4, null, "not a non-negative integer")]
    [InlineData("overlap", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, null, "overlaps")]
    [InlineData("gap", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, null, "gap before tensor 'a'")]
    [InlineData("trailing", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 12, null, "unused bytes")]
    [InlineData("bad_offsets", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}""", 8, null, "bad data_offsets")]
    [InlineData("overflow", """{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}""", 4, null, "overflows")]
    [InlineData("metadata_type", """{"__metadata__":{"k":1}}""", 0, null, "is not a string")]
    public void HostileFilesGetClearErrors(string name, string header, int dataBytes, long? declaredLength, string expected)
    {
        string path = Hostile(name + ".safetensors", header, dataBytes, declaredLength);
        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains(expected, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void TooShortFileIsRejected()
    {
        string path = PathOf("short.safetensors");
        File.WriteAllBytes(path, new byte[3]);
        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains("shorter than the 8-byte header", e.Message);
    }

    [Fact]
    public void MissingFileNamesThePath()
    {
        var e = Assert.Throws<FileNotFoundException>(() => SafetensorsFile.Open(PathOf("nope.safetensors")));
        Assert.Contains("nope.safetensors", e.Message);
    }

    [Fact]
    public void ReadsTorchSaveCheckpoints()
    {
        // torch.save({"state_dict": OrderedDict(...), "epoch": 3}) from tests/tools/make_op_references.py.
        using var ckpt = TorchCheckpoint.Open(Path.Combine(AppContext.BaseDirectory, "Data", "state_dict.pt"));
        Assert.Equal(new[]
        {
            "state_dict.conv_in.bias", "state_dict.nested.step", "state_dict.param", "state_dict.strided.slice",
            "state_dict.strided.transposed", "state_dict.time_embedding.cond_proj.weight",
        }, ckpt.Names.Order(StringComparer.Ordinal));
        using var scope = new TensorScope();
        Assert.Equal(DType.Float16, ckpt.DTypeOf("state_dict.conv_in.bias"));
        Assert.Equal(new float[] { 1.5f, -2 }, ckpt.Load("state_dict.conv_in.bias").To(DType.Float32).ToArray<float>());
        Assert.Equal(11f / 8, ckpt.Load("state_dict.time_embedding.cond_proj.weight").ToArray<float>()[11]);
        Assert.Equal(7, ckpt.Load("state_dict.nested.step").Item());
        var t = ckpt.Load("state_dict.strided.transposed");
        Assert.Equal(new long[] { 6, 4 }, t.Shape);
        Assert.Equal(new float[] { 0, 6, 12, 18, 1, 7 }, t.ToArray<float>().Take(6));
        Assert.Equal(new float[] { 8, 9, 10, 14, 15, 16 }, ckpt.Load("state_dict.strided.slice").ToArray<float>());
        Assert.Equal(new float[] { 0.25f, 0.5f }, ckpt.Load("state_dict.param").ToArray<float>());
    }

    [Fact]
    public void RefusesPicklesThatReferenceCode()
    {
        // A minimal zip with a data.pkl that calls os.system: must be refused, never run.
        string path = PathOf("evil.pt");
        using (var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Create))
        {
            var entry = zip.CreateEntry("archive/data.pkl");
            using var s = entry.Open();
            byte[] pickle = [0x80, 0x02, .. "cos\nsystem\n"u8, (byte)'X', 4, 0, 0, 0, .. "echo"u8, 0x85, (byte)'R', (byte)'.'];
            s.Write(pickle);
        }
        var e = Assert.Throws<CheckpointFormatException>(() => TorchCheckpoint.Open(path));
        Assert.Contains("refusing to load", e.Message);
        Assert.Contains("os.system", e.Message);
    }

    [Fact]
    public void NonZipCheckpointGivesAClearError()
    {
        string path = PathOf("bad.pt");
        File.WriteAllBytes(path, Encoding.ASCII.GetBytes("definitely not a zip"));
        var e = Assert.Throws<CheckpointFormatException>(() => TorchCheckpoint.Open(path));
        Assert.Contains("bad.pt", e.Message);
    }
}
