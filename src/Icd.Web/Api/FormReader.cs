using System.Globalization;
using Icd.Imaging;
using Icd.Pipelines;
using Microsoft.AspNetCore.Http;

namespace Icd.Web.Api;

/// <summary>A request the page (or a script) got wrong; answered 400 with <see cref="Exception.Message"/>.</summary>
public sealed class BadRequestException(string message) : Exception(message);

/// <summary>Reads and checks a form's fields; every error names the field and what is wrong with it.</summary>
internal sealed class FormReader(IFormCollection form)
{
    public string Prompt(string name)
    {
        string? value = form[name];
        if (string.IsNullOrWhiteSpace(value)) throw new BadRequestException($"'{name}' is empty: give a prompt");
        if (value.Length > 1000) throw new BadRequestException($"'{name}' is {value.Length} characters long; prompts are at most 1000");
        return value.Trim();
    }

    /// <summary>A free-text field; empty when missing.</summary>
    public string Optional(string name) => ((string?)form[name])?.Trim() ?? "";

    /// <summary>A number in the range every front end accepts for this setting.</summary>
    public double Number(string name, double fallback, SettingRange range) => Number(name, fallback, range.Min, range.Max);

    public double Number(string name, double fallback, double min, double max)
    {
        string? text = form[name];
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            throw new BadRequestException($"'{name}' is '{text}', not a number");
        if (value < min || value > max)
            throw new BadRequestException($"'{name}' is {value.ToString(CultureInfo.InvariantCulture)}; it must be in [{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}]");
        return value;
    }

    public ulong Seed(string name, ulong fallback)
    {
        string? text = form[name];
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value)
            ? value
            : throw new BadRequestException($"'{name}' is '{text}', not a non-negative whole number");
    }

    public string Choice(string name, string fallback, params string[] allowed)
    {
        string? text = form[name];
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        return allowed.Contains(text) ? text : throw new BadRequestException($"'{name}' is '{text}'; expected one of {string.Join(", ", allowed)}");
    }

    /// <summary>The uploaded PNG or JPEG in file field <paramref name="name"/>, or null when there is none.</summary>
    public RgbImage? OptionalImage(string name, long maxBytes) => form.Files[name] is null ? null : Image(name, maxBytes);

    /// <summary>The uploaded PNG or JPEG in file field <paramref name="name"/>.</summary>
    public RgbImage Image(string name, long maxBytes)
    {
        var file = form.Files[name] ?? throw new BadRequestException($"no image: upload a PNG or JPEG as '{name}'");
        if (file.Length == 0) throw new BadRequestException($"'{name}' ({file.FileName}) is empty");
        if (file.Length > maxBytes) throw new BadRequestException($"'{name}' ({file.FileName}) is {file.Length} bytes; the limit is {maxBytes}");
        using var stream = new MemoryStream();
        file.CopyTo(stream);
        try
        {
            return ImageFile.Decode(stream.ToArray(), file.FileName);
        }
        catch (ImageFormatException e)
        {
            throw new BadRequestException(e.Message);
        }
    }
}
