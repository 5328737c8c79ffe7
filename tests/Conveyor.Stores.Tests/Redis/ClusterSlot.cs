using System.Text;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>The Redis Cluster key -> slot rule (CRC16/XMODEM of the hash tag, mod 16384), from the spec.</summary>
internal static class ClusterSlot
{
    public static int Of(string key)
    {
        var open = key.IndexOf('{');
        if (open >= 0)
        {
            var close = key.IndexOf('}', open + 1);
            if (close > open + 1) key = key[(open + 1)..close];
        }
        return Crc16(Encoding.UTF8.GetBytes(key)) % 16384;
    }

    public static int Crc16(ReadOnlySpan<byte> data)
    {
        var crc = 0;
        foreach (var b in data)
        {
            crc ^= b << 8;
            for (var i = 0; i < 8; i++) crc = (crc & 0x8000) != 0 ? ((crc << 1) ^ 0x1021) & 0xFFFF : (crc << 1) & 0xFFFF;
        }
        return crc;
    }
}
