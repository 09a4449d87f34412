# SPDX-License-Identifier: MIT
"""Read an 8-bit RGB or RGBA PNG with the standard library only and print
"WIDTH HEIGHT NONWHITE BLUE RED": the pixel counts that are not white,
that are near the plot's peak blue (#1f6fb2) and near its valley red
(#c0392b).  Used by plot.sh to check what a browser drew."""
import struct
import sys
import zlib


def read(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("not a PNG: " + path)
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    if depth != 8 or ctype not in (2, 6):
        sys.exit("unsupported PNG: depth %d colour type %d" % (depth, ctype))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pr) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def near(px, rgb):
    return all(abs(px[i] - rgb[i]) < 40 for i in range(3))


w, h, bpp, rows = read(sys.argv[1])
nonwhite = blue = red = 0
for line in rows:
    for x in range(0, w * bpp, bpp):
        px = line[x:x + 3]
        if px[0] < 235 or px[1] < 235 or px[2] < 235:
            nonwhite += 1
        if near(px, (0x1F, 0x6F, 0xB2)):
            blue += 1
        if near(px, (0xC0, 0x39, 0x2B)):
            red += 1
print(w, h, nonwhite, blue, red)
