# SPDX-License-Identifier: MIT
"""Sharded tables from Python (docs/scaling.md): the partition of keys
among shards and the manifest that makes shard files read as one table,
for programs that count on many nodes themselves, such as
python/examples/mpi_count.py with mpi4py.

The partition is the C key layer's ("hck-part-1", hck_part_keys): never
computed here.  The manifest is the small text file that
``hogcount-mpi`` writes (cli/tables.c, manifest_write) and every
``hogcount`` command reads; its format is in docs/scaling.md and the
test mpi.python pins this writer to the CLI's reader.
"""
import os
import tempfile

import numpy as np

from . import _lib

PARTITION = "hck-part-1"
MANIFEST_MAGIC = "hogcount-sharded"
MANIFEST_VERSION = 1


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


def write_manifest(out, n, record):
    """Write the manifest ``out`` naming the ``n`` shard files
    shard_path(out, i, n), written before, whose keys all carry the
    record ``record`` (a shard's Table.user, as ``hogcount count``
    writes it).  Atomic: a temporary file beside ``out``, fsync,
    rename; write it last, once every shard is saved."""
    if isinstance(record, bytes):
        record = record.decode("ascii")
    lines = [f"{MANIFEST_MAGIC} {MANIFEST_VERSION}",
             f"partition {PARTITION}", f"shards {int(n)}",
             f"record {record}"]
    lines += [f"shard {i} {os.path.basename(shard_path(out, i, n))}"
              for i in range(int(n))]
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
