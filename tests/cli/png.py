"""A PNG reader for the screenshot checks of the CLI tests (t0803, t1005): 8-bit RGB or
RGBA, every filter; no library needed. read_png(path) -> (width, height, bpp, rows), rows
being one bytearray of width * bpp bytes per line."""
import struct
import zlib


def read_png(path):
    b = open(path, 'rb').read()
    assert b[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    w, h = struct.unpack('>II', b[16:24])
    pos, idat, depth, ctype = 8, b'', 0, 0
    while pos < len(b):
        n, t = struct.unpack('>I4s', b[pos:pos + 8])
        if t == b'IHDR':
            depth, ctype = b[pos + 16], b[pos + 17]
        if t == b'IDAT':
            idat += b[pos + 8:pos + 8 + n]
        pos += 12 + n
    assert depth == 8 and ctype in (2, 6), (depth, ctype)
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), w * bpp
    prev, rows, i = bytearray(stride), [], 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            u, c = prev[x], (prev[x - bpp] if x >= bpp else 0)
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + u) & 255
            elif f == 3:
                line[x] = (line[x] + (a + u) // 2) & 255
            elif f == 4:
                p = a + u - c
                pa, pb, pc = abs(p - a), abs(p - u), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else u if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows
