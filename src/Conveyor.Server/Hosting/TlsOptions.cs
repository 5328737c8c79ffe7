using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Conveyor.Server.Hosting;

/// <summary>
/// HTTPS on Kestrel from a certificate file, for a broker reached without a proxy: a PEM certificate
/// with its PEM key (<see cref="KeyFile"/>), or a PKCS#12 file (.pfx/.p12) with its <see cref="Password"/>.
/// Unset (default): plain HTTP.
/// </summary>
public sealed class TlsOptions
{
    /// <summary>The certificate: a PEM file (with <see cref="KeyFile"/>) or a .pfx/.p12 file.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>The PEM private key of <see cref="CertificateFile"/> (unset for a .pfx, or a PEM holding both).</summary>
    public string? KeyFile { get; set; }

    /// <summary>The password of a .pfx file, or of an encrypted PEM key.</summary>
    public string? Password { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(CertificateFile);

    /// <summary>
    /// Loads the certificate; throws <see cref="ServerConfigurationException"/> naming the key and the
    /// file when it cannot be read, has no private key, or the password is wrong.
    /// </summary>
    public X509Certificate2 Load()
    {
        var cert = CertificateFile!;
        try
        {
            var pkcs12 = KeyFile is null && (cert.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || cert.EndsWith(".p12", StringComparison.OrdinalIgnoreCase));
            var loaded = pkcs12 ? X509CertificateLoader.LoadPkcs12FromFile(cert, Password)
                : Password is null ? X509Certificate2.CreateFromPemFile(cert, KeyFile)
                : X509Certificate2.CreateFromEncryptedPemFile(cert, Password, KeyFile);
            if (!loaded.HasPrivateKey)
            {
                loaded.Dispose();
                throw new ServerConfigurationException($"Server:Tls:CertificateFile = '{cert}': the certificate has no private key (set Server:Tls:KeyFile, --tls-key)");
            }
            return loaded;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            var file = e is FileNotFoundException { FileName: { } f } ? f : cert;
            var key = file == KeyFile ? "Server:Tls:KeyFile" : "Server:Tls:CertificateFile";
            throw new ServerConfigurationException($"{key} = '{file}': cannot read the TLS certificate: {e.Message.ReplaceLineEndings(" ")}");
        }
    }
}
