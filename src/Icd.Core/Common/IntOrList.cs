using System.Text.Json;
using System.Text.Json.Serialization;

namespace Icd.Common;

/// <summary>A diffusers config value that is either one integer for every block or a list with
/// one per block (<c>attention_head_dim</c>, <c>transformer_layers_per_block</c>, ...).</summary>
[JsonConverter(typeof(IntOrListConverter))]
public sealed record IntOrList(int[] Values, bool IsScalar)
{
    public static IntOrList Of(int value) => new([value], true);

    /// <summary>The value for block <paramref name="index"/> of <paramref name="blockCount"/>.</summary>
    public int For(int index, int blockCount, string name)
    {
        if (IsScalar) return Values[0];
        if (Values.Length != blockCount)
            throw new InvalidDataException($"{name} has {Values.Length} entries for {blockCount} blocks");
        return Values[index];
    }

    public override string ToString() => IsScalar ? Values[0].ToString(System.Globalization.CultureInfo.InvariantCulture) : $"[{string.Join(", ", Values)}]";
}

public sealed class IntOrListConverter : JsonConverter<IntOrList>
{
    public override IntOrList? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType == JsonTokenType.Number) return IntOrList.Of(reader.GetInt32());
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("expected an integer or a list of integers");
        var values = new List<int>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number) throw new JsonException("expected a list of integers");
            values.Add(reader.GetInt32());
        }
        return new IntOrList(values.ToArray(), false);
    }

    public override void Write(Utf8JsonWriter writer, IntOrList value, JsonSerializerOptions options)
    {
        if (value.IsScalar)
        {
            writer.WriteNumberValue(value.Values[0]);
            return;
        }
        writer.WriteStartArray();
        foreach (int v in value.Values) writer.WriteNumberValue(v);
        writer.WriteEndArray();
    }
}
