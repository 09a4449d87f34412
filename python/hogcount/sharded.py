# SPDX-License-Identifier: MIT
"""Sharded tables from Python (docs/scaling.md): the partition of keys
among shards and the manifest that makes shard files read as one table,
for programs that count on many nodes themselves, such as
python/examples/mpi_count.py with mpi4py.

The partition is the C key layer's ("hck-part-1", hck_part_keys): never
computed here.  The manifest is the small text file that
``hogcount-mpi`` writes (cli/tables.c, manifest_write) and every
``hogcount`` command reads; its format is in docs/scaling.md and the
test mpi.python pins this writer to the CLI's reader.  The manifest
records a run id and each shard's size and sum (shard_id), so the
reader refuses shards that another run wrote.
"""
import ctypes
import os
import secrets
import tempfile

import numpy as np

from . import _lib

PARTITION = "hck-part-1"
MANIFEST_MAGIC = "hogcount-sharded"
MANIFEST_VERSION = 2
# The bytes of a shard file its sum covers: its header (cli/tables.c,
# shard_id_read).
SHARD_SUM_BYTES = 4096

# XXH3-64 from libxxhash, which the kernel library links (and so has
# loaded already).
_xxh = ctypes.CDLL("libxxhash.so.0")
_xxh.XXH3_64bits.restype = ctypes.c_uint64
_xxh.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]


def partition(keys, n):
    """The shard (0..n-1) of each integer key among ``n``: a new uint32
    array, computed by the key layer in one C call (hck_part_keys)."""
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
    """The file of shard ``i`` of ``n`` of the sharded table ``out``."""
    return f"{out}.shard-{int(i)}-of-{int(n)}"


def shard_id(path):
    """(size, sum) of the shard file ``path`` as a manifest records it:
    its size in bytes and the XXH3-64 of its first 4096 bytes (the
    header of a saved table, which holds the checksums of every
    region).  The C reader computes the same (shard_id_read)."""
    with open(path, "rb") as f:
        head = f.read(SHARD_SUM_BYTES)
        size = os.fstat(f.fileno()).st_size
    return size, int(_xxh.XXH3_64bits(head, len(head)))


def write_manifest(out, n, record, ids=None, run=None):
    """Write the manifest ``out`` naming the ``n`` shard files
    shard_path(out, i, n), written before, whose keys all carry the
    record ``record`` (a shard's Table.user, as ``hogcount count``
    writes it).  ``ids``: shard_id() of each shard as the process that
    saved it saw it (in an MPI job, each node's); this process must
    see the same files, or OSError names the shards it does not (an
    output directory that is not shared).  Without ``ids``, the files
    as seen here.  ``run``: the run id, 64 random bits by default.
    Atomic: a temporary file beside ``out``, fsync, rename; write it
    last, once every shard is saved."""
    if isinstance(record, bytes):
        record = record.decode("ascii")
    n = int(n)
    paths = [shard_path(out, i, n) for i in range(n)]
    seen, bad = [], []
    for i, p in enumerate(paths):
        try:
            seen.append(shard_id(p))
        except OSError as e:
            seen.append(None)
            bad.append(f"{i} ({p}: {e.strerror})")
            continue
        if ids is not None and tuple(ids[i]) != seen[i]:
            bad.append(f"{i} ({p}: not the file its node wrote)")
    if bad:
        raise OSError(f"{out}: cannot see shard(s) {', '.join(bad)} as "
                      "written: the output directory must be on a file "
                      "system every node shares; no manifest written")
    run = secrets.randbits(64) if run is None else int(run)
    lines = [f"{MANIFEST_MAGIC} {MANIFEST_VERSION}",
             f"partition {PARTITION}", f"run {run:016x}", f"shards {n}",
             f"record {record}"]
    lines += [f"shard {i} {size} {s:016x} {os.path.basename(p)}"
              for i, (p, (size, s)) in enumerate(zip(paths, seen))]
    d = os.path.dirname(os.path.abspath(out))
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(out) + ".tmp-",
                               dir=d)
    try:
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(lines) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.rename(tmp, out)
    except BaseException:
        os.unlink(tmp)
        raise
