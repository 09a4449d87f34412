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
computed (new arrays, filled by the C key layer in one pass of the
public iterator, whatever the slot kind): ``Table.keys()``,
``Table.items()``, ``Table.bytes_items()``, ``Table.ngrams()``; and
``Table.occupied()``, ``Table.histo()``.

What a key means (the record of ``hogcount count``, the text form of
k-mers and fragments, the choice of key kind) comes from the C key
layer, libhogcount_keys, through ctypes: nothing here re-implements the
hash or the slot format.
"""
import ctypes

from . import _lib
from ._lib import lib
from .keys import fragments, fragment_bytes, padded
from .sharded import (partition, read_manifest, shard_id, shard_path,
                      write_manifest)

__all__ = ["Table", "Cache", "HogcountError", "count_files", "Job",
           "fragments",
           "fragment_bytes",
           "padded", "partition", "shard_id", "shard_path", "write_manifest",
           "read_manifest",
           "reseal",
           "library_path", "keys_library_path", "input_library_path"]

library_path = _lib.path
keys_library_path = _lib.keys_path
input_library_path = _lib.input_path
klib = _lib.keys_lib

KINDS = _lib.KINDS
MODES = {"exact": _lib.MODE_EXACT, "hogwild": _lib.MODE_HOGWILD}
_KIND_NAMES = {v: k for k, v in KINDS.items()}
_MODE_NAMES = {v: k for k, v in MODES.items()}
_TOKEN_NAMES = {v: k for k, v in _lib.TOKENS.items()}


def _slot():
    """The dtype of a hashed table's slot, (word, count)."""
    return _lib.numpy().dtype([("word", "<u8"), ("count", "<u8")])


def __getattr__(name):
    # SLOT is a numpy dtype: made on first use, so that importing the
    # package does not load numpy (a parent that only counts files never
    # needs it).
    if name == "SLOT":
        return _slot()
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


class HogcountError(Exception):
    """A negative status of the C library; .code is HC_E* (or the input
    layer's HCI_E*), .name its name.  ``msg``: the C layer's own line
    for this failure (an input's: "corrupt gzip stream (truncated)"),
    instead of the code's sentence.
    """

    def __init__(self, code, what="", msg=None):
        self.code = code
        self.what = what
        self.msg = msg
        # hci_errname/hci_strerror name the input layer's codes and
        # hand the kernel's to hc_errname/hc_strerror.
        self.name = _lib.input_lib.hci_errname(code).decode()
        text = msg if msg else _lib.input_lib.hci_strerror(code).decode()
        super().__init__(f"{what}: {text} ({self.name})" if what else
                         f"{text} ({self.name})")

    def __reduce__(self):
        return HogcountError, (self.code, self.what, self.msg)


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


def _u64_batch(keys, deltas):
    """(keys, deltas or None, the deltas' address or None) as
    C-contiguous uint64 arrays for the batched adds."""
    np = _lib.numpy()
    k = np.ascontiguousarray(keys, dtype=np.uint64)
    d = None
    if deltas is not None:
        d = np.ascontiguousarray(deltas, dtype=np.uint64)
        if d.shape != k.shape:
            raise ValueError("add_batch: keys and deltas differ in length")
    return k, d, d.ctypes.data if d is not None else None


def _fixed_keys(data, width, n, stride, deltas):
    """(buffer, key pointers, lengths, deltas' address or None) for
    ``n`` keys of ``width`` bytes at offsets 0, stride, 2 stride, ...
    of ``data`` (any buffer; stride defaults to width)."""
    np = _lib.numpy()
    buf = np.frombuffer(memoryview(data).cast("B"), dtype=np.uint8)
    stride = width if stride is None else stride
    if n and (n - 1) * stride + width > buf.size:
        raise ValueError("add_fixed: keys run past the buffer")
    ptrs = buf.ctypes.data + np.arange(n, dtype=np.uintp) * np.uintp(stride)
    lens = np.full(n, width, dtype=np.uintp)
    d = None
    if deltas is not None:
        d = np.ascontiguousarray(deltas, dtype=np.uint64)
        if d.size != n:
            raise ValueError("deltas: one per key")
    return buf, ptrs, lens, d


class Table:
    """A hogcount table: anonymous (shared with children forked after
    create()), a named shared-memory object, or a file."""

    def __init__(self, handle):
        self._m = _Mapping(handle)
        self._h = handle

    # ---- creating and opening -----------------------------------------

    @classmethod
    def create(cls, capacity=None, key_kind="u64", mode="exact",
               arena_bytes=0, seed=0, dense_bits=0, key_bits=0, shm=None,
               path=None, grow=None, max_bits=0, perm=0):
        """A new table.  ``shm="/name"``: a named shared-memory object
        (attach it from other processes; remove it with
        Table.unlink()); ``path``: a new file; neither: an anonymous
        shared mapping, inherited by children forked afterwards.

        No ``capacity`` (the default): the table starts small and grows
        by itself, like a dict.  A ``capacity`` alone is fixed, as
        before (HC_EFULL when full); with ``grow=True`` it is only the
        starting size.  ``grow``: None (the C default, HC_GROW_AUTO),
        True (grow at a load of 0.8), False (never) or a load in percent
        (5..95).  ``max_bits``: growth stops at 2**max_bits slots.
        ``perm``: the permission bits of a new ``shm`` object or file,
        0o600 plus any of 0o060 and 0o006 (0: shm 0o600, file 0o644
        less the umask)."""
        opt = _lib.Options()
        lib.hc_options_init_size(ctypes.byref(opt), ctypes.sizeof(opt))
        opt.key_kind = KINDS[key_kind]
        opt.mode = MODES[mode]
        opt.capacity = int(capacity or 0)
        if grow is None:
            opt.grow = 0
        elif grow is True:
            opt.grow = 80
        elif grow is False:
            opt.grow = -1
        else:
            opt.grow = int(grow)
        opt.max_bits = int(max_bits)
        opt.arena_bytes = int(arena_bytes)
        opt.seed = int(seed)
        opt.dense_bits = int(dense_bits)
        opt.key_bits = int(key_bits)
        opt.perm = int(perm)
        h = ctypes.c_void_p()
        if shm is not None:
            shm = _shm_name(shm)
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
    def for_ngrams(cls, tokens, k, keys=0, mode="exact", wide=False,
                   canonical=False, shm=None):
        """A new anonymous table for the keys of ``hogcount count
        --TOKENS -k K`` ("bytes", "words" or "dna"), sized for about
        ``keys`` distinct keys: the key kind and geometry come from the
        key layer's plan (hck_plan_table), as for the CLI, and the
        record is written, so dump, query and model read the table.
        ``shm="/name"``: a named shared-memory table instead, which
        other processes attach (Table.attach) and Table.unlink()
        removes."""
        m = _meta(tokens, k, canonical)
        pin = _lib.PlanIn()
        klib.hck_plan_in_init(ctypes.byref(pin))
        pin.keys = int(keys)
        pin.mode = MODES[mode]
        pin.wide = 1 if wide else 0
        plan = _lib.Plan()
        plan.size = ctypes.sizeof(plan)
        _check(klib.hck_plan_table(ctypes.byref(m), ctypes.byref(pin),
                                   ctypes.byref(plan)), "for_ngrams")
        h = ctypes.c_void_p()
        if shm is not None:
            _check(lib.hc_table_create_shm(ctypes.byref(h), shm.encode(),
                                           ctypes.byref(plan.opt)), shm)
        else:
            _check(lib.hc_table_create(ctypes.byref(h),
                                       ctypes.byref(plan.opt)), "for_ngrams")
        t = cls(h.value)
        _check(klib.hck_meta_store(t._h, ctypes.byref(m)), "for_ngrams")
        return t

    @classmethod
    def open(cls, path, writable=False):
        """Map a table file (read-only unless ``writable``), or attach
        ``"shm:NAME"``, a named shared-memory table such as a running
        ``hogcount count --shm NAME`` (as attach())."""
        if isinstance(path, str) and path.startswith(SHM_PREFIX):
            return cls.attach(path, writable)
        h = ctypes.c_void_p()
        _check(lib.hc_table_open(ctypes.byref(h), str(path).encode(),
                                 _lib.OPEN_RDWR if writable else
                                 _lib.OPEN_RDONLY), str(path))
        return cls(h.value)

    @classmethod
    def attach(cls, name, writable=False):
        """Map an existing named shared-memory table: ``"/NAME"``,
        ``"NAME"`` or ``"shm:NAME"``.  To read a table that other
        processes are still growing (``hogcount count --shm``) without
        missing the keys a growth moves, attach it ``writable``: such a
        handle pins what it reads (docs/design.md M9) and adds nothing
        unless asked to."""
        name = _shm_name(name)
        h = ctypes.c_void_p()
        _check(lib.hc_table_attach(ctypes.byref(h), name.encode(),
                                   _lib.OPEN_RDWR if writable else
                                   _lib.OPEN_RDONLY), name)
        return cls(h.value)

    @staticmethod
    def unlink(name):
        """Remove a named table (processes that map it keep it)."""
        name = _shm_name(name)
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

    def set_progress(self, done, total):
        """Tell a growing table how far the work is, ``done`` of
        ``total`` units (bytes read, say) of all the adds
        (hc_table_set_progress): it expects the keys it has plus the
        rest of the work at the recent rate of new keys, and a growth
        takes a smaller step than 2x where those fit, so the last one
        is sized to the keys.  Call it as the work goes.  A hint only;
        total 0 forgets it."""
        _check(lib.hc_table_set_progress(self._h, done, total),
               "set_progress")

    def save(self, path, compact=True):
        """Write the table to ``path`` atomically; the file is sealed
        with checksums of its body (see verify()).  By default, as
        ``hogcount count -o`` writes, u64, packed, narrow and byte-key
        tables go in the read-only compact layout
        (hc_table_save_compact, docs/format.md: the entries only, byte
        keys sorted and front-coded, which carries its own checksum)
        and dense tables as they are.
        ``compact=False`` (``count --no-compact``): the live layout of
        every kind (hc_table_save), which opens writable and has numpy
        views of its slots."""
        fn = lib.hc_table_save_compact if compact else lib.hc_table_save
        _check(fn(self._h, str(path).encode()), str(path))

    def verify(self):
        """Check the table against its body checksums
        (hc_table_verify).  Returns a dict: ``state`` is "ok" (sealed and
        intact), "live" (a process writes it: no valid checksum), "dead"
        (not sealed, and nobody writes it: its last writer died;
        hogcount.reseal() checks and seals it), "none" (a file older
        than format 2.1) or "damaged";
        ``region`` ("header", "slots", "overflow", "key area", or None)
        and ``index`` (its generation or key-area chunk) name the first
        damaged region, ``damaged`` how many, ``bytes`` how many were
        read.  Damage is a result, not an exception."""
        v = _lib.Verdict()
        v.size = ctypes.sizeof(v)
        rc = lib.hc_table_verify(self._h, ctypes.byref(v))
        if rc != _lib.ECORRUPT:
            _check(rc, "verify")
        return {"state": _lib.SEAL_STATES[v.state],
                "region": lib.hc_region_name(v.region).decode()
                if v.region else None,
                "index": v.index, "damaged": v.damaged, "bytes": v.bytes}

    def filtered(self, lower=1, upper=2**64 - 1):
        """A new anonymous table of the keys counted ``lower`` to
        ``upper`` times, sized to them (hck_table_filter, as ``count
        -L/-U``); the table needs the CLI record (set_ngram)."""
        h = ctypes.c_void_p()
        _check(klib.hck_table_filter(ctypes.byref(h), self._h, int(lower),
                                     int(upper)), "filtered")
        return Table(h.value)

    # ---- metadata -----------------------------------------------------

    def options(self):
        opt = _lib.Options()
        _check(lib.hc_table_options_size(self._h, ctypes.byref(opt),
                                         ctypes.sizeof(opt)))
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

    def set_ngram(self, tokens, k, canonical=False):
        """Write the record of ``hogcount count`` (tokens "bytes",
        "words" or "dna", order k) with the key layer's encoder, so the
        CLI (dump, query, model) reads the table."""
        m = _meta(tokens, k, canonical)
        _check(klib.hck_meta_store(self._h, ctypes.byref(m)), "set_ngram")

    def _meta(self):
        m = _lib.Meta()
        rc = klib.hck_meta_load(self._h, ctypes.byref(m))
        return m if rc == 0 else None

    @property
    def ngram(self):
        """(tokens, k) from the CLI record (the key layer's decoder), or
        None if there is none or it does not fit the table."""
        m = self._meta()
        return None if m is None else (_TOKEN_NAMES[m.tokens], m.k)

    def stats(self):
        st = _lib.Stats()
        st.size = ctypes.sizeof(st)
        _check(lib.hc_table_stats(self._h, ctypes.byref(st)))
        return {name: getattr(st, name) for name, _ in st._fields_
                if name != "size"}

    def histo(self, n=256):
        """Count-of-counts: h[c] keys with count c, h[n-1] those >= n-1
        (computed by the library in one pass)."""
        np = _lib.numpy()
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
        k, d, dp = _u64_batch(keys, deltas)
        done = ctypes.c_size_t()
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
        np = _lib.numpy()
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
        buf, ptrs, lens, d = _fixed_keys(data, width, n, stride, deltas)
        self._bytes_batch(ptrs.ctypes.data, lens, n, d, (buf, ptrs))

    def _bytes_batch(self, ptrs_addr, lens, n, deltas, keepalive):
        np = _lib.numpy()
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

    def cache(self, keys=0, max_pending=0):
        """A delta cache in front of this table (hc_cache_create): it
        sums repeated keys in this process's memory and adds each to the
        table once a flush.  Make it in the worker, after fork; use it as
        a context manager (leaving it flushes) or call close().  Until a
        flush its deltas are not in the table.  ``keys``: distinct keys
        held (0: 131072, or 8192 for byte keys); ``max_pending``: adds
        between flushes (0: 2^20)."""
        return Cache(self, keys, max_pending)

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
    def compact(self):
        """True for a compact table file (hc_table_save_compact, what
        ``hogcount count`` writes but for dense tables): read-only, no
        slots to view."""
        v = self._view()
        return v.key_kind != _lib.KEY_DENSE and not v.slots

    @property
    def slots(self):
        """VIEW of the slot array: structured (word, count) for hashed
        tables, uint64 counts for dense ones.  No copy."""
        np = _lib.numpy()
        v = self._view()
        if not v.slots:
            raise TypeError("a compact table file has no slots: use "
                            "get(), items(), stats() or histo(), or "
                            "count with --no-compact for numpy views")
        if v.key_kind in (_lib.KEY_PACKED, _lib.KEY_NARROW):
            raise TypeError("a packed or narrow table's slots pack key "
                            "bits and count in one word: use get(), "
                            "stats(), histo() or a u64 table for numpy "
                            "views")
        nbytes = v.capacity * v.slot_size
        reg = _region(self._m, v.slots, nbytes)
        if v.slot_size == 16:
            return np.frombuffer(reg, dtype=_slot())
        return np.frombuffer(reg, dtype=np.uint64)

    @property
    def counts(self):
        """VIEW of every slot's count (a strided view of the slots, 0 for
        empty slots), or a dense table's counters."""
        s = self.slots
        return s["count"] if s.dtype.names else s

    @property
    def words(self):
        """VIEW of every slot's raw word (0: empty).  Its encoding is the
        kernel's private slot format (docs/format.md): read keys with
        items(), bytes_items() or ngrams()."""
        s = self.slots
        if not s.dtype.names:
            raise TypeError("a dense table has no words: key = index")
        return s["word"]

    @property
    def zero_count(self):
        """VIEW (1 element) of the count of the one integer key the
        kernel keeps in the header (zero_key) rather than in a slot."""
        np = _lib.numpy()
        v = self._view()
        if not v.zero_count:
            return None
        return np.frombuffer(_region(self._m, v.zero_count, 8),
                             dtype=np.uint64)

    @property
    def seed(self):
        """The hash seed in use."""
        return self._view().seed

    @property
    def zero_key(self):
        return self._view().zero_key

    @property
    def arena(self):
        """VIEW of the byte-key area (uint8), or None."""
        np = _lib.numpy()
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

    def keys(self):
        """Integer tables: every key (computed), in the order of
        items()."""
        return self.items()[0]

    def items(self):
        """(keys, counts) of every entry of an integer table (u64,
        packed or dense; the header's zero key included): two new
        uint64 arrays, filled in C by one pass of the public iterator
        (hck_export)."""
        np = _lib.numpy()
        if self._kind() == _lib.KEY_BYTES:
            raise TypeError("a byte-key table: use bytes_items()")
        cap = self.stats()["distinct"] + 1024
        while True:
            keys = np.empty(cap, dtype=np.uint64)
            counts = np.empty(cap, dtype=np.uint64)
            n = ctypes.c_size_t()
            rc = klib.hck_export(self._h, keys.ctypes.data,
                                 counts.ctypes.data, cap, ctypes.byref(n))
            if rc == _ERANGE:  # keys added meanwhile: room for more
                cap *= 2
                continue
            _check(rc, "items")
            return keys[:n.value].copy(), counts[:n.value].copy()

    def _bytes_export(self):
        np = _lib.numpy()
        st = self.stats()
        cap = st["distinct"] + 1024
        dcap = st["arena_used"] + 4096
        while True:
            data = np.empty(dcap, dtype=np.uint8)
            ends = np.empty(cap, dtype=np.uint64)
            counts = np.empty(cap, dtype=np.uint64)
            n, dl = ctypes.c_size_t(), ctypes.c_size_t()
            rc = klib.hck_export_bytes(self._h, data.ctypes.data, dcap,
                                       ends.ctypes.data,
                                       counts.ctypes.data, cap,
                                       ctypes.byref(n), ctypes.byref(dl))
            if rc == _ERANGE:
                cap, dcap = cap * 2, dcap * 2
                continue
            _check(rc, "bytes_items")
            n = n.value
            return data[:dl.value], ends[:n], counts[:n].copy()

    def bytes_items(self):
        """Byte-key tables: (list of bytes, uint64 counts), computed: the
        key layer copies every key out in one pass (hck_export_bytes)."""
        if self._kind() != _lib.KEY_BYTES:
            raise TypeError("an integer table: use items()")
        data, ends, counts = self._bytes_export()
        raw = data.tobytes()
        starts = [0] + ends[:-1].tolist() if len(ends) else []
        return ([raw[a:b] for a, b in zip(starts, ends.tolist())],
                counts)

    def ngrams(self):
        """(keys as bytes, counts) of a table written by ``hogcount count``
        (bytes, words or dna; or set_ngram), whatever the key kind: the
        text form of each key as ``hogcount dump`` prints it before
        escaping (k-mers as ACGT), decoded by the key layer."""
        np = _lib.numpy()
        m = self._meta()
        if m is None:
            raise TypeError("not a table written by hogcount count (no "
                            "record, or one its key kind cannot hold)")
        if not klib.hck_int_keys(ctypes.byref(m)):
            return self.bytes_items()
        keys, counts = self.items()
        text = np.empty((keys.size, m.k), dtype=np.uint8)
        _check(klib.hck_key_decode_array(ctypes.byref(m), keys.ctypes.data,
                                         keys.size, text.ctypes.data),
               "ngrams")
        return [r.tobytes() for r in text], counts

    def get_ngram(self, text):
        """The count of one key given in its text form (bytes; words
        joined by one space), through the key layer's codec."""
        m = self._meta()
        if m is None:
            raise TypeError("not a table written by hogcount count")
        text = text.encode() if isinstance(text, str) else bytes(text)
        c = ctypes.c_uint64()
        _check(klib.hck_get_text(self._h, ctypes.byref(m), text, len(text),
                                 ctypes.byref(c)), "get_ngram")
        return c.value

    def _kind(self):
        return self._view().key_kind


_ERANGE = -10

# What names a shared-memory table where a file could be given, as in
# the CLI (docs/cli.md, "Live tables").
SHM_PREFIX = "shm:"


class Cache:
    """A private delta cache in front of a Table (Table.cache()).  Not
    shared between threads; a forked child's copy starts empty."""

    def __init__(self, table, keys=0, max_pending=0):
        self._table = table  # keeps the table's handle alive
        self._h = ctypes.c_void_p()
        _check(lib.hc_cache_create(ctypes.byref(self._h), table._h,
                                   int(keys), int(max_pending)), "cache")

    def add_batch(self, keys, deltas=None):
        """As Table.add_batch, through the cache."""
        k, d, dp = _u64_batch(keys, deltas)
        done = ctypes.c_size_t()
        rc = lib.hc_cache_add_batch(self._live(), k.ctypes.data, dp, k.size,
                                    ctypes.byref(done))
        _check(rc, f"cache add_batch (added {done.value} of {k.size})")

    def add_fixed(self, data, width, n, deltas=None, stride=None):
        """As Table.add_fixed (byte-key tables), through the cache; the
        cache copies the keys it keeps."""
        buf, ptrs, lens, d = _fixed_keys(data, width, n, stride, deltas)
        done = ctypes.c_size_t()
        rc = lib.hc_cache_add_bytes_batch(
            self._live(), ptrs.ctypes.data, lens.ctypes.data,
            d.ctypes.data if d is not None else None, n, ctypes.byref(done))
        _check(rc, f"cache add_fixed (added {done.value} of {n})")

    @property
    def pending(self):
        """Adds absorbed since the last flush."""
        return lib.hc_cache_pending(self._h) if self._h else 0

    def flush(self):
        """Add every pending delta to the table now."""
        _check(lib.hc_cache_flush(self._live()), "cache flush")

    def close(self):
        """Flush and free the cache (idempotent)."""
        if self._h:
            h, self._h = self._h, None
            _check(lib.hc_cache_destroy(h), "cache close")

    def _live(self):
        if not self._h:
            raise HogcountError(-5, "cache is closed")  # HC_EMISUSE
        return self._h

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


def reseal(path):
    """Seal the table file at ``path`` again after its last writer died
    (verify() state "dead"), in place (hc_table_reseal): under the
    file's exclusive lock, a walk of every entry, then the checksums.
    A sealed file is left as it is.  Raises HogcountError: HC_EBUSY
    while a process writes it, HC_ECORRUPT for a damaged file (never
    resealed).  Returns the state afterwards ("ok", or "none" for a
    file older than format 2.1)."""
    v = _lib.Verdict()
    v.size = ctypes.sizeof(v)
    _check(lib.hc_table_reseal(str(path).encode(), ctypes.byref(v)),
           str(path))
    return _lib.SEAL_STATES[v.state]


def _shm_name(name):
    """"/NAME" for the C library, from "shm:NAME", "NAME" or "/NAME"."""
    name = str(name)
    if name.startswith(SHM_PREFIX):
        name = name[len(SHM_PREFIX):]
    return name if name.startswith("/") else "/" + name


def _meta(tokens, k, canonical=False):
    if tokens not in _lib.TOKENS:
        raise ValueError(f"tokens: one of {sorted(_lib.TOKENS)}")
    m = _lib.Meta()
    m.tokens = _lib.TOKENS[tokens]
    m.k = int(k)
    m.canonical = 1 if canonical else 0
    return m


# Files counted by the C input layer (files.py); after Table, which it
# uses.
from .files import Job, count_files  # noqa: E402
