# SPDX-License-Identifier: MIT
"""hogcount from Python: one shared-memory table of atomic counters that
forked workers add to directly, read in place with numpy.

    import multiprocessing as mp, numpy as np, hogcount
    t = hogcount.Table.create(capacity=1 << 20)      # before the fork
    def work(seed):                                  # in each worker
        t.add_batch(np.random.default_rng(seed).integers(0, 1000, 10**6,
                                                         dtype=np.uint64))
    with mp.get_context("fork").Pool(4) as p:
        p.map(work, range(8))                        # nothing pickled back
    keys, counts = t.items()

Which arrays view the table and which are computed (docs/python.md):
views (no copy, they change as workers add): ``Table.slots``,
``Table.counts``, ``Table.words``, ``Table.arena``, ``Table.zero_count``;
computed (new arrays): ``Table.keys()``, ``Table.items()``,
``Table.bytes_items()``, ``Table.occupied()``, ``Table.histo()``.
"""
import ctypes
import numpy as np

from . import _lib
from ._lib import lib
from .keys import fragments, fragment_bytes, mix64, unmix64, padded

__all__ = ["Table", "HogcountError", "fragments", "fragment_bytes",
           "mix64", "unmix64", "padded", "library_path"]

library_path = _lib.path

KINDS = {"u64": _lib.KEY_U64, "bytes": _lib.KEY_BYTES,
         "dense": _lib.KEY_DENSE, "packed": _lib.KEY_PACKED}
MODES = {"exact": _lib.MODE_EXACT, "hogwild": _lib.MODE_HOGWILD}
_KIND_NAMES = {v: k for k, v in KINDS.items()}
_MODE_NAMES = {v: k for k, v in MODES.items()}

SLOT = np.dtype([("word", "<u8"), ("count", "<u8")])
ENTRY_REF_BITS = 40


class HogcountError(Exception):
    """A negative status of the C library; .code is HC_E*, .name its name.
    """

    def __init__(self, code, what=""):
        self.code = code
        self.what = what
        self.name = lib.hc_errname(code).decode()
        msg = lib.hc_strerror(code).decode()
        super().__init__(f"{what}: {msg} ({self.name})" if what else
                         f"{msg} ({self.name})")


    def __reduce__(self):
        return HogcountError, (self.code, self.what)


def _check(rc, what=""):
    if rc < 0:
        raise HogcountError(rc, what)
    return rc


class _Mapping:
    """Owns the C handle.  Every numpy view holds a reference to it, so
    the table is unmapped only when the Table and all views are gone."""

    def __init__(self, handle):
        self.handle = handle

    def __del__(self):
        if self.handle:
            lib.hc_table_close(self.handle)
            self.handle = None


def _region(mapping, addr, nbytes):
    """A ctypes byte array over [addr, addr + nbytes) that keeps the
    mapping alive; numpy arrays made from it keep it as their base."""
    arr = (ctypes.c_uint8 * nbytes).from_address(addr)
    arr._hogcount_mapping = mapping
    return arr


class Table:
    """A hogcount table: anonymous (shared with children forked after
    create()), a named shared-memory object, or a file."""

    def __init__(self, handle):
        self._m = _Mapping(handle)
        self._h = handle

    # ---- creating and opening -----------------------------------------

    @classmethod
    def create(cls, capacity=1 << 20, key_kind="u64", mode="exact",
               arena_bytes=0, seed=0, dense_bits=0, key_bits=0, shm=None,
               path=None):
        """A new table.  ``shm="/name"``: a named shared-memory object
        (attach it from other processes; remove it with
        Table.unlink()); ``path``: a new file; neither: an anonymous
        shared mapping, inherited by children forked afterwards."""
        opt = _lib.Options()
        lib.hc_options_init(ctypes.byref(opt))
        opt.key_kind = KINDS[key_kind]
        opt.mode = MODES[mode]
        opt.capacity = int(capacity)
        opt.arena_bytes = int(arena_bytes)
        opt.seed = int(seed)
        opt.dense_bits = int(dense_bits)
        opt.key_bits = int(key_bits)
        h = ctypes.c_void_p()
        if shm is not None:
            rc = lib.hc_table_create_shm(ctypes.byref(h), shm.encode(),
                                         ctypes.byref(opt))
        elif path is not None:
            rc = lib.hc_table_create_file(ctypes.byref(h),
                                          str(path).encode(),
                                          ctypes.byref(opt))
        else:
            rc = lib.hc_table_create(ctypes.byref(h), ctypes.byref(opt))
        _check(rc, shm or (str(path) if path else "create"))
        return cls(h.value)

    @classmethod
    def open(cls, path, writable=False):
        """Map a table file (read-only unless ``writable``)."""
        h = ctypes.c_void_p()
        _check(lib.hc_table_open(ctypes.byref(h), str(path).encode(),
                                 _lib.OPEN_RDWR if writable else
                                 _lib.OPEN_RDONLY), str(path))
        return cls(h.value)

    @classmethod
    def attach(cls, name, writable=False):
        """Map an existing named shared-memory table."""
        h = ctypes.c_void_p()
        _check(lib.hc_table_attach(ctypes.byref(h), name.encode(),
                                   _lib.OPEN_RDWR if writable else
                                   _lib.OPEN_RDONLY), name)
        return cls(h.value)

    @staticmethod
    def unlink(name):
        """Remove a named table (processes that map it keep it)."""
        _check(lib.hc_shm_unlink(name.encode()), name)

    def close(self):
        """Drop this handle; the mapping goes when no view uses it."""
        self._m = None
        self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __reduce__(self):
        raise TypeError("a hogcount Table is not pickled: create it before "
                        "forking the workers (they inherit it), or attach "
                        "a named table by its name")

    def prefault(self):
        """Map every page of the table into this process now
        (hc_table_prefault); call once in each worker after fork."""
        _check(lib.hc_table_prefault(self._h), "prefault")

    def save(self, path):
        """Write the table to ``path`` atomically (hc_table_save)."""
        _check(lib.hc_table_save(self._h, str(path).encode()), str(path))

    # ---- metadata -----------------------------------------------------

    def options(self):
        opt = _lib.Options()
        lib.hc_options_init(ctypes.byref(opt))
        _check(lib.hc_table_options(self._h, ctypes.byref(opt)))
        return {"key_kind": _KIND_NAMES[opt.key_kind],
                "mode": _MODE_NAMES[opt.mode], "capacity": opt.capacity,
                "dense_bits": opt.dense_bits, "key_bits": opt.key_bits,
                "arena_bytes": opt.arena_bytes, "seed": opt.seed}

    @property
    def user(self):
        """The application record of the header (bytes)."""
        buf = ctypes.create_string_buffer(_lib.USER_MAX)
        n = ctypes.c_size_t()
        _check(lib.hc_table_get_user(self._h, buf, _lib.USER_MAX,
                                     ctypes.byref(n)))
        return buf.raw[:n.value]

    @user.setter
    def user(self, value):
        _check(lib.hc_table_set_user(self._h, bytes(value), len(value)))

    def set_ngram(self, tokens, k):
        """Write the record of ``hogcount count`` (tokens "bytes" or
        "words", order k), so the CLI (dump, query, model) reads the
        table."""
        self.user = f"hogcount-cli 1 tokens={tokens} k={k} " \
                    "canonical=0".encode()

    @property
    def ngram(self):
        """(tokens, k) from the CLI record, or None."""
        try:
            f = self.user.decode().split()
            d = dict(x.split("=") for x in f[2:])
            return d["tokens"], int(d["k"])
        except (ValueError, KeyError, IndexError, UnicodeDecodeError):
            return None

    def stats(self):
        st = _lib.Stats()
        st.size = ctypes.sizeof(st)
        _check(lib.hc_table_stats(self._h, ctypes.byref(st)))
        return {name: getattr(st, name) for name, _ in st._fields_
                if name != "size"}

    def histo(self, n=256):
        """Count-of-counts: h[c] keys with count c, h[n-1] those >= n-1
        (computed by the library in one pass)."""
        h = np.zeros(n, dtype=np.uint64)
        _check(lib.hc_histo(self._h, h.ctypes.data, n))
        return h

    # ---- updates: any number of processes -----------------------------

    def add(self, key, delta=1):
        _check(lib.hc_add(self._h, int(key), int(delta)))

    def add_batch(self, keys, deltas=None, mode=None):
        """Add a uint64 array of keys (deltas: None for 1 each, or a
        uint64 array): one C call, the array's memory passed as is when
        it is a C-contiguous uint64 array (else converted, a copy)."""
        k = np.ascontiguousarray(keys, dtype=np.uint64)
        d = None
        if deltas is not None:
            d = np.ascontiguousarray(deltas, dtype=np.uint64)
            if d.shape != k.shape:
                raise ValueError("add_batch: keys and deltas differ in "
                                 "length")
        done = ctypes.c_size_t()
        dp = d.ctypes.data if d is not None else None
        if mode is None:
            rc = lib.hc_add_batch(self._h, k.ctypes.data, dp, k.size,
                                  ctypes.byref(done))
        else:
            rc = lib.hc_add_batch_mode(self._h, k.ctypes.data, dp, k.size,
                                       ctypes.byref(done), MODES[mode])
        _check(rc, f"add_batch (added {done.value} of {k.size})")

    def add_bytes(self, key, delta=1):
        key = bytes(key)
        _check(lib.hc_add_bytes(self._h, key, len(key), int(delta)))

    def add_bytes_batch(self, keys, deltas=None):
        """Add byte-string keys: a list of bytes, or a 2-D uint8 array
        (one key per row), or a numpy 'S' array of fixed width."""
        if isinstance(keys, np.ndarray):
            a = np.ascontiguousarray(keys)
            if a.dtype.kind == "S":
                a = a.view(np.uint8).reshape(a.size, a.dtype.itemsize)
            if a.ndim != 2:
                raise ValueError("add_bytes_batch: a 2-D uint8 array")
            return self.add_fixed(a, a.shape[1], a.shape[0], deltas)
        keys = [bytes(k) for k in keys]
        n = len(keys)
        ptrs = (ctypes.c_char_p * n)(*keys)
        lens = np.fromiter((len(k) for k in keys), dtype=np.uintp, count=n)
        self._bytes_batch(ctypes.addressof(ptrs), lens, n, deltas, keys)

    def add_fixed(self, data, width, n, deltas=None, stride=None):
        """Add ``n`` keys of ``width`` bytes that lie in ``data`` (any
        buffer) at offsets 0, stride, 2 stride, ... (stride defaults to
        width; stride 1 gives every fragment of order ``width``).  Zero
        copy: the C library reads the keys where they are."""
        buf = np.frombuffer(memoryview(data).cast("B"), dtype=np.uint8)
        stride = width if stride is None else stride
        if n and (n - 1) * stride + width > buf.size:
            raise ValueError("add_fixed: keys run past the buffer")
        ptrs = buf.ctypes.data + np.arange(n, dtype=np.uintp) * \
            np.uintp(stride)
        lens = np.full(n, width, dtype=np.uintp)
        self._bytes_batch(ptrs.ctypes.data, lens, n, deltas, (buf, ptrs))

    def _bytes_batch(self, ptrs_addr, lens, n, deltas, keepalive):
        d = None
        if deltas is not None:
            d = np.ascontiguousarray(deltas, dtype=np.uint64)
            if d.size != n:
                raise ValueError("deltas: one per key")
        done = ctypes.c_size_t()
        rc = lib.hc_add_bytes_batch(self._h, ptrs_addr, lens.ctypes.data,
                                    d.ctypes.data if d is not None
                                    else None, n, ctypes.byref(done))
        del keepalive
        _check(rc, f"add_bytes_batch (added {done.value} of {n})")

    # ---- reads --------------------------------------------------------

    def get(self, key):
        c = ctypes.c_uint64()
        _check(lib.hc_get(self._h, int(key), ctypes.byref(c)))
        return c.value

    def get_bytes(self, key):
        key = bytes(key)
        c = ctypes.c_uint64()
        _check(lib.hc_get_bytes(self._h, key, len(key), ctypes.byref(c)))
        return c.value

    def __getitem__(self, key):
        if isinstance(key, (bytes, bytearray, memoryview, str)):
            return self.get_bytes(key.encode() if isinstance(key, str)
                                  else key)
        return self.get(key)

    def _view(self):
        v = _lib.View()
        v.size = ctypes.sizeof(v)
        _check(lib.hc_table_view(self._h, ctypes.byref(v)))
        return v

    @property
    def key_kind(self):
        return _KIND_NAMES[self._view().key_kind]

    @property
    def slots(self):
        """VIEW of the slot array: structured (word, count) for hashed
        tables, uint64 counts for dense ones.  No copy."""
        v = self._view()
        if v.key_kind == _lib.KEY_PACKED:
            raise TypeError("a packed table's slots pack key bits and "
                            "count in one word: use get(), stats(), "
                            "histo() or a u64 table for numpy views")
        nbytes = v.capacity * v.slot_size
        reg = _region(self._m, v.slots, nbytes)
        if v.slot_size == 16:
            return np.frombuffer(reg, dtype=SLOT)
        return np.frombuffer(reg, dtype=np.uint64)

    @property
    def counts(self):
        """VIEW of every slot's count (a strided view of the slots, 0 for
        empty slots), or a dense table's counters."""
        s = self.slots
        return s["count"] if s.dtype.names else s

    @property
    def words(self):
        """VIEW of every slot's word: 0 empty; u64 tables
        mix64(key ^ seed); bytes tables tag << 40 | offset / 8."""
        s = self.slots
        if not s.dtype.names:
            raise TypeError("a dense table has no words: key = index")
        return s["word"]

    @property
    def zero_count(self):
        """VIEW (1 element) of the count of the one integer key whose
        mix is 0, kept in the header; see zero_key."""
        v = self._view()
        if not v.zero_count:
            return None
        return np.frombuffer(_region(self._m, v.zero_count, 8),
                             dtype=np.uint64)

    @property
    def seed(self):
        """The hash seed in use (what mix64/unmix64 need)."""
        return self._view().seed

    @property
    def zero_key(self):
        return self._view().zero_key

    @property
    def arena(self):
        """VIEW of the byte-key area (uint8), or None."""
        v = self._view()
        if not v.arena:
            return None
        return np.frombuffer(_region(self._m, v.arena, v.arena_bytes),
                             dtype=np.uint8)

    def occupied(self):
        """Boolean mask of the slots that hold a key with a count
        (computed)."""
        s = self.slots
        if not s.dtype.names:
            return s != 0
        return (s["word"] != 0) & (s["count"] != 0)

    def keys(self, mask=None):
        """Integer tables: the key of every occupied slot (computed:
        vectorised unmix64 of the words), in slot order, aligned with
        counts[occupied()].  The header's zero key is not included (see
        items())."""
        v = self._view()
        mask = self.occupied() if mask is None else mask
        if v.slot_size == 8:
            return np.flatnonzero(mask).astype(np.uint64)
        if v.key_kind != _lib.KEY_U64:
            raise TypeError("byte keys: use bytes_items()")
        return unmix64(self.words[mask], v.seed)

    def items(self):
        """(keys, counts) of every entry of an integer table, both
        computed (compacted copies), the header's zero key included."""
        mask = self.occupied()
        keys = self.keys(mask)
        counts = self.counts[mask]
        zc = self.zero_count
        if zc is not None and zc[0]:
            keys = np.append(keys, np.uint64(self.zero_key))
            counts = np.append(counts, zc[0])
        return keys, counts

    def bytes_items(self):
        """Byte-key tables: (list of bytes, uint64 counts), computed.
        The offsets come vectorised from the words; each key is copied
        out of the key area."""
        v = self._view()
        if v.key_kind != _lib.KEY_BYTES:
            raise TypeError("an integer table: use items()")
        mask = self.occupied()
        words = self.words[mask]
        counts = self.counts[mask]
        arena = self.arena
        off = (words & np.uint64((1 << ENTRY_REF_BITS) - 1)) * np.uint64(8)
        if off.size and int(off.max()) + 8 > arena.size:
            raise HogcountError(-3, "bytes_items")
        lens = arena.view(np.uint32)[(off // np.uint64(4)).astype(np.intp)]
        ab = memoryview(arena)
        keys = []
        for o, n in zip(off.tolist(), lens.tolist()):
            if o + 8 + n > arena.size:
                raise HogcountError(-3, "bytes_items")
            keys.append(bytes(ab[o + 8:o + 8 + n]))
        return keys, counts

    def ngrams(self):
        """(keys as bytes, counts) of a table written by ``hogcount count
        --bytes`` or ``--words`` (or set_ngram), whatever the key kind:
        computed."""
        ng = self.ngram
        if self.key_kind == "bytes":
            return self.bytes_items()
        if ng is None or ng[0] != "bytes":
            raise TypeError("not a byte n-gram table")
        k = ng[1]
        keys, counts = self.items()
        rows = fragment_bytes(keys, k)
        return [r.tobytes() for r in rows], counts
