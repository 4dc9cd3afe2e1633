using System.Runtime.InteropServices;

namespace Icd.Imaging.Jpeg;

/// <summary>
/// The part of Debian's TurboJPEG C API (package libturbojpeg0, libjpeg-turbo 2.x) that decoding needs.
/// Constants are the values from turbojpeg.h.
/// </summary>
internal static partial class TurboJpegNative
{
    private const string Library = "libturbojpeg.so.0";

    /// <summary>TJPF_RGB: three bytes per pixel, R then G then B. Grayscale JPEGs are expanded to it too.</summary>
    public const int PixelFormatRgb = 0;

    /// <summary>TJFLAG_LIMITSCANS: reject progressive files with absurd scan counts, which otherwise take minutes to decode.</summary>
    public const int FlagLimitScans = 32768;

    /// <summary>TJERR_WARNING from tjGetErrorCode: the image was decoded, but libjpeg complained about the data.</summary>
    public const int ErrorWarning = 0;

    [LibraryImport(Library, EntryPoint = "tjInitDecompress")]
    public static partial nint InitDecompress();

    [LibraryImport(Library, EntryPoint = "tjDecompressHeader3")]
    public static unsafe partial int DecompressHeader3(nint handle, byte* jpeg, CULong jpegSize,
        out int width, out int height, out int subsampling, out int colorspace);

    [LibraryImport(Library, EntryPoint = "tjDecompress2")]
    public static unsafe partial int Decompress2(nint handle, byte* jpeg, CULong jpegSize, byte* destination,
        int width, int pitch, int height, int pixelFormat, int flags);

    [LibraryImport(Library, EntryPoint = "tjDestroy")]
    public static partial int Destroy(nint handle);

    /// <summary>Returns a pointer into the handle's own buffer: it must not be freed, so no string marshalling here.</summary>
    [LibraryImport(Library, EntryPoint = "tjGetErrorStr2")]
    public static partial nint GetErrorString(nint handle);

    [LibraryImport(Library, EntryPoint = "tjGetErrorCode")]
    public static partial int GetErrorCode(nint handle);

    public static string LastError(nint handle) => Marshal.PtrToStringUTF8(GetErrorString(handle)) ?? "unknown TurboJPEG error";
}
