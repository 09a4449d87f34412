# SPDX-License-Identifier: MIT
"""Numpy fast paths for the byte-fragment keys of ``hogcount count``
(order k <= 8: the k bytes big-endian, first byte highest).  The rule
itself belongs to the C key layer (hogcount_keys.h, hck_key_encode and
hck_key_decode_array); tests/test_keys.py pins these functions to it.

Everything here computes new arrays; nothing views the table.
"""
from . import _lib

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
    np = _lib.numpy()
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
    np = _lib.numpy()
    be = np.asarray(keys, dtype=np.uint64).astype(">u8")
    return be.view(np.uint8).reshape(-1, 8)[:, 8 - k:]
