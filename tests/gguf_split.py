#!/usr/bin/env python3
"""Split a GGUF v3 file into N parts by tensors, as llama.cpp's gguf-split lays them out:
PREFIX-0000k-of-0000N.gguf, part 1 with every key/value of the source, each part with
split.no, split.count and split.tensors.count, the tensors' data after each part's header.
For mem's tests (llama-gguf-split is not built). Usage: gguf_split.py SRC PREFIX N"""
import struct
import sys


def main():
    src, prefix, n_parts = sys.argv[1], sys.argv[2], int(sys.argv[3])
    b = open(src, 'rb').read()
    assert b[:4] == b'GGUF'
    version, n_t, n_kv = struct.unpack_from('<IQQ', b, 4)
    p = 24
    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
    alignment = 32

    def skip_val(t):
        nonlocal p
        if t == 8:
            (l,) = struct.unpack_from('<Q', b, p)
            p += 8 + l
        elif t == 9:
            et, n = struct.unpack_from('<IQ', b, p)
            p += 12
            if et in sizes:
                p += sizes[et] * n
            else:
                for _ in range(n):
                    skip_val(et)
        else:
            p += sizes[t]

    kv_start = p
    for _ in range(n_kv):
        (l,) = struct.unpack_from('<Q', b, p)
        key = b[p + 8:p + 8 + l]
        p += 8 + l
        (t,) = struct.unpack_from('<I', b, p)
        p += 4
        vp = p
        skip_val(t)
        if key == b'general.alignment':
            (alignment,) = struct.unpack_from('<I', b, vp)
    kv_bytes = b[kv_start:p]
    tensors = []
    for _ in range(n_t):
        (l,) = struct.unpack_from('<Q', b, p)
        name = b[p + 8:p + 8 + l]
        p += 8 + l
        (nd,) = struct.unpack_from('<I', b, p)
        ne = struct.unpack_from('<%dQ' % nd, b, p + 4)
        p += 4 + 8 * nd
        typ, off = struct.unpack_from('<IQ', b, p)
        p += 12
        tensors.append([name, ne, typ, off])
    data0 = (p + alignment - 1) // alignment * alignment
    for i, t in enumerate(tensors):
        end = tensors[i + 1][3] if i + 1 < len(tensors) else len(b) - data0
        t.append(b[data0 + t[3]:data0 + end])

    def kv_u16(key, v):
        k = key.encode()
        return struct.pack('<Q', len(k)) + k + struct.pack('<IH', 2, v)

    def kv_i32(key, v):
        k = key.encode()
        return struct.pack('<Q', len(k)) + k + struct.pack('<Ii', 5, v)

    per = (len(tensors) + n_parts - 1) // n_parts
    for k in range(n_parts):
        part = tensors[k * per:(k + 1) * per]
        kvs = kv_u16('split.no', k) + kv_u16('split.count', n_parts) + kv_i32('split.tensors.count', len(tensors))
        nkv = 3
        if k == 0:
            kvs = kv_bytes + kvs
            nkv += n_kv
        head = b'GGUF' + struct.pack('<IQQ', version, len(part), nkv) + kvs
        off = 0
        infos = b''
        for name, ne, typ, _, data in part:
            infos += struct.pack('<Q', len(name)) + name + struct.pack('<I', len(ne))
            infos += struct.pack('<%dQ' % len(ne), *ne) + struct.pack('<IQ', typ, off)
            off += (len(data) + alignment - 1) // alignment * alignment
        head += infos
        head += b'\0' * ((-len(head)) % alignment)
        with open('%s-%05d-of-%05d.gguf' % (prefix, k + 1, n_parts), 'wb') as f:
            f.write(head)
            for _, _, _, _, data in part:
                f.write(data)
                f.write(b'\0' * ((-len(data)) % alignment))
    return 0


if __name__ == '__main__':
    sys.exit(main())
