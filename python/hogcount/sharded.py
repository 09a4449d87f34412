# SPDX-License-Identifier: MIT
"""Sharded tables from Python (docs/scaling.md): the partition of keys
among shards and the manifest that makes shard files read as one table,
for programs that count on many nodes themselves, such as
python/examples/mpi_count.py with mpi4py.

Nothing of the format is written here.  The partition is the C key
layer's ("hck-part-1", hck_part_keys), and so are the shard names, the
shard sums and the manifest itself (keys/manifest.c: hck_shard_path,
hck_shard_id_read, hck_shard_check, hck_manifest_write and
hck_manifest_read), the same code that ``hogcount-mpi`` writes with and
every ``hogcount`` command reads with.  The manifest records a run id
and each shard's size and sum (shard_id), so a reader refuses shards
that another run wrote.
"""
import ctypes
import errno as _errno
import os
import secrets

from . import _lib

PARTITION = "hck-part-1"


def _text(path):
    return os.fsencode(path)


def _oserror(rc, what, path):
    """OSError for HC_EIO (the C errno), else ValueError with the code's
    sentence."""
    if rc == _lib.EIO:
        e = ctypes.get_errno() or _errno.EIO
        return OSError(e, os.strerror(e), os.fsdecode(path))
    return ValueError(f"{what}: {os.fsdecode(path)}: "
                      f"{_lib.lib.hc_strerror(rc).decode()}")


def partition(keys, n):
    """The shard (0..n-1) of each integer key among ``n``: a new uint32
    array, computed by the key layer in one C call (hck_part_keys)."""
    np = _lib.numpy()
    if int(n) < 1:
        raise ValueError("partition: n must be at least 1")
    keys = np.ascontiguousarray(keys, dtype=np.uint64)
    out = np.empty(keys.size, dtype=np.uint32)
    rc = _lib.keys_lib.hck_part_keys(keys.ctypes.data, keys.size, int(n),
                                     out.ctypes.data)
    if rc:
        raise ValueError(f"partition: error {rc}")
    return out


def shard_path(out, i, n):
    """The file of shard ``i`` of ``n`` of the sharded table ``out``
    (hck_shard_path)."""
    out = _text(out)
    buf = ctypes.create_string_buffer(len(out) + 64)
    rc = _lib.keys_lib.hck_shard_path(buf, len(buf), out, int(i), int(n))
    if rc:
        raise ValueError(f"shard_path: shard {i} of {n}: "
                         f"{_lib.lib.hc_strerror(rc).decode()}")
    return os.fsdecode(buf.value)


def shard_id(path):
    """(size, sum) of the shard file ``path`` as a manifest records it:
    its size in bytes and the XXH3-64 of its first 4096 bytes (the
    header of a saved table, which holds the checksums of every
    region), computed by the key layer (hck_shard_id_read)."""
    sid = _lib.ShardId()
    rc = _lib.keys_lib.hck_shard_id_read(_text(path), ctypes.byref(sid))
    if rc:
        raise _oserror(rc, "shard_id", _text(path))
    return sid.size, sid.sum


def _meta_of(record):
    """The record text (a shard's Table.user) as hck_meta, parsed by the
    key layer (hck_meta_parse)."""
    if isinstance(record, str):
        record = record.encode("ascii")
    m = _lib.Meta()
    if _lib.keys_lib.hck_meta_parse(record, len(record), ctypes.byref(m)):
        raise ValueError(f"write_manifest: not a key record: {record!r}")
    return m


def write_manifest(out, n, record, ids=None, run=None):
    """Write the manifest ``out`` naming the ``n`` shard files
    shard_path(out, i, n), written before, whose keys all carry the
    record ``record`` (a shard's Table.user, as ``hogcount count``
    writes it).  ``ids``: shard_id() of each shard as the process that
    saved it saw it (in an MPI job, each node's); this process must
    see the same files (hck_shard_check), or OSError names the shards
    it does not (an output directory that is not shared).  Without
    ``ids``, the files as seen here.  ``run``: the run id, 64 random
    bits by default.  Written by the key layer (hck_manifest_write):
    atomic, a temporary file beside ``out``, fsync, rename; write it
    last, once every shard is saved."""
    m = _meta_of(record)
    n = int(n)
    seen = (_lib.ShardId * max(n, 1))()
    bad = []
    for i in range(n):
        p = shard_path(out, i, n)
        try:
            seen[i].size, seen[i].sum = shard_id(p)
        except OSError as e:
            bad.append(f"{i} ({p}: {e.strerror})")
            continue
        if ids is None:
            continue
        want = _lib.ShardId(*ids[i])
        rc = _lib.keys_lib.hck_shard_check(_text(p), ctypes.byref(want),
                                           None)
        if rc == _lib.ECORRUPT:
            bad.append(f"{i} ({p}: not the file its node wrote)")
        elif rc:
            raise _oserror(rc, "write_manifest", _text(p))
    if bad:
        raise OSError(f"{out}: cannot see shard(s) {', '.join(bad)} as "
                      "written: the output directory must be on a file "
                      "system every node shares; no manifest written")
    run = secrets.randbits(64) if run is None else int(run)
    rc = _lib.keys_lib.hck_manifest_write(_text(out), ctypes.byref(m), n,
                                          run, seen)
    if rc:
        raise _oserror(rc, "write_manifest", _text(out))


def read_manifest(path, verify=True):
    """The manifest ``path`` as the key layer reads it
    (hck_manifest_read): a dict with ``version`` (1 or 2), ``run``,
    ``record`` ((tokens, k, canonical)) and ``shards``, a list of
    (file, size, sum) (size and sum 0 in format 1).  ``verify``: also
    check every shard file against its size and sum
    (hck_manifest_verify); ValueError names the first of another run.
    A manifest that is not valid raises ValueError with its line."""
    mf = ctypes.c_void_p()
    line = ctypes.c_uint()
    why = ctypes.c_char_p()
    rc = _lib.keys_lib.hck_manifest_read(ctypes.byref(mf), _text(path),
                                         ctypes.byref(line),
                                         ctypes.byref(why))
    if rc == _lib.EIO:
        raise _oserror(rc, "read_manifest", _text(path))
    if rc:
        reason = why.value.decode() if why.value else \
            _lib.lib.hc_strerror(rc).decode()
        raise ValueError(f"{path}: not a manifest this hogcount reads: "
                         f"{reason} (line {line.value})")
    try:
        info = _lib.ManifestInfo(size=ctypes.sizeof(_lib.ManifestInfo))
        _lib.keys_lib.hck_manifest_info_get(mf, ctypes.byref(info))
        shards = []
        for i in range(info.shards):
            p = ctypes.c_char_p()
            sid = _lib.ShardId()
            _lib.keys_lib.hck_manifest_shard(mf, i, ctypes.byref(p),
                                             ctypes.byref(sid))
            shards.append((os.fsdecode(p.value), sid.size, sid.sum))
        if verify:
            bad = ctypes.c_uint32()
            rc = _lib.keys_lib.hck_manifest_verify(mf, ctypes.byref(bad),
                                                   None)
            if rc == _lib.ECORRUPT:
                raise ValueError(f"{path}: shard {bad.value} "
                                 f"({shards[bad.value][0]}) is not the one "
                                 f"run {info.run:016x} wrote")
            if rc:
                raise _oserror(rc, "read_manifest",
                               _text(shards[bad.value][0]))
        tokens = _lib.keys_lib.hck_tokens_name(info.meta.tokens).decode()
        return {"version": info.version, "run": info.run,
                "record": (tokens, info.meta.k, bool(info.meta.canonical)),
                "shards": shards}
    finally:
        _lib.keys_lib.hck_manifest_free(mf)
