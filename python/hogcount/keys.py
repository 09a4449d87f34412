# SPDX-License-Identifier: MIT
"""Vectorised key arithmetic with numpy: the hash of integer keys and its
inverse (docs/format.md), and the byte-fragment keys of ``hogcount
count`` (order k <= 8: the k bytes big-endian, first byte highest).

Everything here computes new arrays; nothing views the table.
"""
import numpy as np

_C1 = np.uint64(0xff51afd7ed558ccd)
_C2 = np.uint64(0xc4ceb9fe1a85ec53)
_C1_INV = np.uint64(0x4f74430c22a54005)
_C2_INV = np.uint64(0x9cb4b2f8129337db)
_S33 = np.uint64(33)


def mix64(keys, seed=0):
    """mix64(key ^ seed) of every key: the word a u64 slot stores."""
    x = np.array(keys, dtype=np.uint64, copy=True, ndmin=1)
    with np.errstate(over="ignore"):
        x ^= np.uint64(seed)
        x ^= x >> _S33
        x *= _C1
        x ^= x >> _S33
        x *= _C2
        x ^= x >> _S33
    return x


def unmix64(words, seed=0):
    """The keys of slot words: the inverse of mix64 (kernel/hash.c)."""
    x = np.array(words, dtype=np.uint64, copy=True, ndmin=1)
    with np.errstate(over="ignore"):
        x ^= x >> _S33
        x *= _C2_INV
        x ^= x >> _S33
        x *= _C1_INV
        x ^= x >> _S33
        x ^= np.uint64(seed)
    return x


def fragments(data, k, length=None, out=None):
    """The order-k byte-fragment keys (k <= 8) of the first ``length``
    bytes of ``data``, one per offset 0 .. length-k, as ``hogcount count
    --bytes -k K`` makes them.  ``data``: bytes, bytearray, memoryview,
    mmap or a uint8 array.  The keys are read as overlapping big-endian
    words in one numpy pass, so the buffer needs 8 - k readable bytes
    past ``length``: with ``length`` None, ``data`` is copied into a
    padded buffer first (see padded()).  ``out``: a uint64 array of at
    least length-k+1 elements to fill instead of a new one.
    """
    if not 1 <= k <= 8:
        raise ValueError("fragments: k must be 1..8 (longer fragments are "
                         "byte keys: Table.add_fixed)")
    if length is None:
        data, length = padded(data)
    buf = memoryview(data).cast("B")
    if buf.nbytes < length + 8 - k:
        raise ValueError(f"fragments: the buffer needs {8 - k} bytes "
                         "after the data (use padded())")
    n = length - k + 1
    if n <= 0:
        return np.empty(0, dtype=np.uint64)
    w = np.ndarray(shape=(n,), dtype=">u8", buffer=buf, offset=0,
                   strides=(1,))
    if out is None:
        out = np.empty(n, dtype=np.uint64)
    out = out[:n]
    np.right_shift(w, np.uint64(8 * (8 - k)), out=out)
    return out


def padded(data):
    """A copy of ``data`` with 8 zero bytes after it, for fragments();
    returns (buffer, length of the data)."""
    b = bytearray(len(data) + 8)
    b[:len(data)] = data
    return b, len(data)


def fragment_bytes(keys, k):
    """Keys of order k <= 8 back to their bytes: an (n, k) uint8 array
    (computed)."""
    be = np.asarray(keys, dtype=np.uint64).astype(">u8")
    return be.view(np.uint8).reshape(-1, 8)[:, 8 - k:]
