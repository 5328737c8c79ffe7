"""What the Redis probes in bench/scripts share: a RESP2 connection and Conveyor-shaped task ids
(not part of the tests). Imported by lease_complete.py, limits_lease_complete.py and
limits-redis-scripts.py, which run from this folder.
"""
import os, socket, time, uuid


class Resp:
    """Just enough of RESP2 for this script for the bench scripts (Python has no Redis client in the standard library)."""
    def __init__(self, port, buffering=-1):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.f = self.sock.makefile("rb", buffering=buffering)

    def cmd(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self.read()

    def read(self):
        line = self.f.readline()
        kind, rest = line[:1], line[1:-2]
        if kind == b"+": return rest
        if kind == b"-": raise RuntimeError(rest.decode())
        if kind == b":": return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2]
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError(f"unexpected reply {line!r}")


def uuid7():
    """A UUIDv7 string as Conveyor's ids are (time-ordered): random ids would put every insert into the
    state index at a random place, a cache miss per skiplist level that real ids do not cost."""
    ms = time.time_ns() // 1_000_000
    r = int.from_bytes(os.urandom(10), "big")
    v = (ms << 80) | (0x7 << 76) | ((r >> 64) & 0xFFF) << 64 | (0b10 << 62) | (r & ((1 << 62) - 1))
    return str(uuid.UUID(int=v))
