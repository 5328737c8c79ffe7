using System.Security.Cryptography;
using System.Text;

namespace Conveyor.Redis.Scripts;

/// <summary>One operation's Lua (with Lib.lua prepended) and its SHA1, computed once.</summary>
internal sealed class StoreScript
{
    public StoreScript(string name, string body)
    {
        Name = name;
        Body = body;
        Sha1 = SHA1.HashData(Encoding.UTF8.GetBytes(body));
        Sha1Hex = Convert.ToHexStringLower(Sha1);
    }

    public string Name { get; }
    public string Body { get; }
    public byte[] Sha1 { get; }
    public string Sha1Hex { get; }
}
