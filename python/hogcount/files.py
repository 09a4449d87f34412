# SPDX-License-Identifier: MIT
"""Counting files through the C input layer (libhogcount_input,
hogcount_input.h): the same reader, decompressors, format detection and
cutting as ``hogcount count``, driven from Python.

    t = hogcount.count_files(["reads.fastq.gz", "more.fa.zst"], k=21,
                             canonical=True)
    t.ngrams()

Nothing is read into Python: the files are streamed in C, a block at a
time (compressed files and pipes) or mapped a range at a time and
dropped behind (plain files), so memory stays bounded by the table, not
the input.
"""
import ctypes
import os

from . import _lib
from . import HogcountError, Table, _meta

__all__ = ["count_files"]

# Plain files are mapped and counted a range of this many bytes at a
# time (hci_job_create's chunk); each range's pages are dropped after.
CHUNK = 8 << 20


def _job_raise(job, rc, where):
    """Raise the job's first failure (the file it names, and the C
    layer's line), or HogcountError(rc) if none is recorded."""
    code, what, msg = ctypes.c_int(), ctypes.c_char_p(), ctypes.c_char_p()
    if _lib.input_lib.hci_job_error(job, ctypes.byref(code),
                                    ctypes.byref(what), ctypes.byref(msg)):
        name = os.fsdecode(what.value) if what.value else where
        raise HogcountError(code.value, name,
                            (msg.value or b"").decode(errors="replace"))
    raise HogcountError(rc, where)


def count_files(paths, k=None, tokens="dna", canonical=False, table=None,
                keys=0, mode="exact", wide=False, workers=1, chunk=CHUNK):
    """Count the tokens of the files ``paths`` (a path or a list; "-" is
    standard input) into a Table, as ``hogcount count`` would: plain,
    gzip, xz, bzip2 or zstd, told apart by their first bytes; for DNA,
    FASTA, FASTQ or one sequence a line, detected.

    ``tokens`` ("dna", "bytes", "words"), ``k`` and ``canonical`` say
    what to count; ``keys``, ``mode`` and ``wide`` size the new table
    (Table.for_ngrams).  ``table``: count into this one instead (it
    must hold such keys; its record decides, ``k`` may be left out).
    ``workers`` > 1: that many processes forked for the count (this one
    and workers - 1 children) add into the table at once; the table is
    then one they share (an anonymous or shm table, not a file opened
    private).

    Returns the table.  Raises HogcountError naming the file for an
    input that cannot be read (HC_EIO: errno's text), is corrupt or
    truncated (HCI_EDATA), or is in a format it does not read
    (HCI_EFORMAT: zip, lz4, ...), and for the table's failures
    (HC_EFULL, ...); counts added before stay in the table.
    """
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    paths = [os.fsencode(p) for p in paths]
    workers = int(workers)
    if workers < 1:
        raise ValueError("workers: at least 1")
    if table is None:
        if k is None:
            raise ValueError("count_files: give k (or a table)")
        table = Table.for_ngrams(tokens, k, keys=keys, mode=mode,
                                 wide=wide, canonical=canonical)
        m = _meta(tokens, k, canonical)
    else:
        m = table._meta()
        if m is None:
            raise ValueError("count_files: the table holds no record of "
                             "its tokens (Table.set_ngram)")
    ilib = _lib.input_lib
    job = ctypes.c_void_p()
    rc = ilib.hci_job_create(ctypes.byref(job), m.tokens, int(chunk))
    if rc:
        raise HogcountError(rc, "count_files")
    try:
        for p in paths:
            rc = ilib.hci_job_add(job, p)
            if rc:
                _job_raise(job, rc, os.fsdecode(p))
        rc = ilib.hci_job_share(job, workers)
        if rc:
            raise HogcountError(rc, "count_files")
        pids = []
        for _ in range(workers - 1):
            pid = os.fork()
            if pid == 0:  # a worker: count, then leave at once
                code = 1
                try:
                    code = 1 if ilib.hci_job_count(job, table._h,
                                                   ctypes.byref(m)) else 0
                finally:
                    os._exit(code)
            pids.append(pid)
        rc = ilib.hci_job_count(job, table._h, ctypes.byref(m))
        bad = [s for s in (os.waitpid(pid, 0)[1] for pid in pids) if s]
        if rc or bad:
            if not rc and not ilib.hci_job_failed(job):
                raise RuntimeError("count_files: a worker ended with "
                                   f"wait status {bad[0]}")
            _job_raise(job, rc, "table")
    finally:
        ilib.hci_job_destroy(job)
    return table
