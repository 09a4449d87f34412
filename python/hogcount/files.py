# SPDX-License-Identifier: MIT
"""Counting files through the C input layer (libhogcount_input,
hogcount_input.h): the same reader, decompressors, format detection and
cutting as ``hogcount count``, driven from Python.

    t = hogcount.count_files(["reads.fastq.gz", "more.fa.zst"], k=21,
                             canonical=True, workers=4)
    t.ngrams()

Nothing is read into Python: the files are streamed in C, a block at a
time (compressed files and pipes) or mapped a range at a time and
dropped behind (plain files), so memory stays bounded by the table, not
the input.

count_files() forks its workers and waits for them as ``hogcount
count`` does.  A Job is the same work for a multiprocessing Pool of
one's own: made before the pool forks, each pool worker calls
job.count(), which takes work items from the job's shared cursor until
none is left.
"""
import ctypes
import ctypes.util
import os
import signal
import stat
import sys
import time

from . import _lib
from . import HogcountError, Table, _meta

__all__ = ["count_files", "Job"]

# Plain files are counted a range of ``chunk`` bytes at a time
# (hci_job_create's chunk), each read through a window mapped over it,
# never the whole file; each range's pages are dropped after.
# None: the key layer's plan (hck_plan_chunk), as `hogcount count`
# without --chunk-size: about 16 ranges a worker, 1 to 64 MiB.
CHUNK = None

# What the count left behind, said by every failure of a count.
PARTIAL = "the table holds part of the counts"

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6",
                    use_errno=True)


def _job_raise(job, rc, where, left=None):
    """Raise the job's first failure (the file it names, and the C
    layer's line, followed by ``left``), or HogcountError(rc) if none
    is recorded."""
    code, what, msg = ctypes.c_int(), ctypes.c_char_p(), ctypes.c_char_p()
    if _lib.input_lib.hci_job_error(job, ctypes.byref(code),
                                    ctypes.byref(what), ctypes.byref(msg)):
        name = os.fsdecode(what.value) if what.value else where
        text = (msg.value or b"").decode(errors="replace")
        raise HogcountError(code.value, name,
                            f"{text}; {left}" if left else text)
    raise HogcountError(rc, where)


def _human(b):
    u = 0
    while b >= 1024 and u < 4:
        b /= 1024
        u += 1
    return (f"{b:.1f} " if u else f"{b:.0f} ") + \
        ("B", "KiB", "MiB", "GiB", "TiB")[u]


class _Progress:
    """The CLI's progress line (tool/progress.c) on stderr, when asked:
    bytes read of the total, the rate and the time left."""

    def __init__(self, on, stream=None):
        self.on = bool(on)
        self.stream = stream or sys.stderr
        self.t0 = time.monotonic()
        self.last = 0.0
        self.drawn = False

    def update(self, done, total):
        t = time.monotonic()
        if not self.on or t - self.last < 0.25:
            return
        self.last = t
        el = t - self.t0
        rate = done / el if el > 0 else 0
        if total and done <= total:
            eta = ""
            if rate > 0:
                left = int((total - done) / rate)
                eta = f", {left // 60}:{left % 60:02d} left"
            line = (f"hogcount: {_human(done)} of {_human(total)} "
                    f"({100 * done / total:.0f}%), {_human(rate)}/s{eta}")
        else:
            line = f"hogcount: {_human(done)}, {_human(rate)}/s"
        self.stream.write("\r" + line + "\033[K")
        self.stream.flush()
        self.drawn = True

    def end(self):
        if self.on and self.drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
        self.drawn = False


class Job:
    """The files ``paths`` cut into work items for ``workers``
    processes (hci_job: plain files in ranges of ``chunk`` bytes,
    compressed files and pipes whole; ``chunk`` None: as the CLI
    plans it), counting into ``table`` or a
    new one (``Job.table``) planned as count_files() plans it.

    Make it before forking; then call count() in each process that
    counts (at most ``workers`` of them at once for DNA streams, whose
    reader hands blocks to the others; any number otherwise).  A Job
    is not pickled: forked workers inherit it.
    """

    def __init__(self, paths, k=None, tokens="dna", canonical=False,
                 table=None, keys=0, mode="exact", wide=False, workers=1,
                 chunk=CHUNK):
        if isinstance(paths, (str, bytes, os.PathLike)):
            paths = [paths]
        paths = [os.fsencode(p) for p in paths]
        self.workers = int(workers)
        if self.workers < 1:
            raise ValueError("workers: at least 1")
        self._job = None
        if table is None:
            if k is None:
                raise ValueError("count_files: give k (or a table)")
            # The key layer's plan with no size hint, as `hogcount
            # count` without --size: the kind, and a small start that
            # grows.
            table = Table.for_ngrams(tokens, k, keys=keys, mode=mode,
                                     wide=wide, canonical=canonical)
            self._m = _meta(tokens, k, canonical)
        else:
            self._m = table._meta()
            if self._m is None:
                raise ValueError("count_files: the table holds no record "
                                 "of its tokens (Table.set_ngram)")
        self.table = table
        if chunk is None:
            total = 0
            for p in paths:
                try:
                    st = os.stat(p)
                except OSError:
                    continue  # hci_job_add names it
                if stat.S_ISREG(st.st_mode):
                    total += st.st_size
            chunk = _lib.keys_lib.hck_plan_chunk(total, self.workers)
        ilib = _lib.input_lib
        job = ctypes.c_void_p()
        rc = ilib.hci_job_create(ctypes.byref(job), self._m.tokens,
                                 int(chunk))
        if rc:
            raise HogcountError(rc, "count_files")
        self._job = job
        for p in paths:
            rc = ilib.hci_job_add(job, p)
            if rc:
                _job_raise(job, rc, os.fsdecode(p))
        rc = ilib.hci_job_share(job, self.workers)
        if rc:
            raise HogcountError(rc, "count_files")

    def count(self):
        """Count in this process: take items until none is left
        (hci_job_count).  Returns the fragments this job has added so
        far, all processes together.  Raises HogcountError naming the
        file for an input that fails here or in another process (the
        others stop at their next item); what was added stays in the
        table, and the message says so."""
        rc = _lib.input_lib.hci_job_count(self._live(), self.table._h,
                                          ctypes.byref(self._m))
        if rc:
            _job_raise(self._job, rc, "table", PARTIAL)
        return self.stats()["added"]

    def stats(self):
        """The job's figures (hci_stats) as a dict: ``inputs``,
        ``items``, ``total`` (bytes on disk), ``done`` (bytes read so
        far), ``added`` and ``skipped`` (summed over the processes that
        finished count())."""
        st = _lib.InputStats()
        st.size = ctypes.sizeof(st)
        _lib.input_lib.hci_job_stats(self._live(), ctypes.byref(st))
        return {f: getattr(st, f) for f, _ in st._fields_ if f != "size"}

    def failed(self):
        """True once any process of the job has failed."""
        return bool(_lib.input_lib.hci_job_failed(self._live()))

    def run(self, progress=False):
        """Fork ``workers`` processes that count() and wait for them, as
        ``hogcount count`` does: each maps the table at once
        (prefault), dies with this process, and takes SIGINT's default.
        ``progress``: a line on stderr while they run.  A worker that
        fails stops the others (SIGKILL) and raises here, naming the
        file; KeyboardInterrupt (Ctrl-C) or any other exception here
        kills them too and is raised once they are reaped.  Returns the
        table."""
        job = self._live()
        parent = os.getpid()
        pids = []
        bar = _Progress(progress)
        bad = None
        st = self.stats()
        if not st["items"]:
            return self.table
        n = self.workers
        if n > st["items"] and not st["blocks"]:
            n = st["items"]  # more would idle, as in the CLI
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            for _ in range(n):
                pid = os.fork()
                if pid == 0:
                    self._worker(parent)
                pids.append(pid)
            while pids:
                for pid in list(pids):
                    got, status = os.waitpid(pid, os.WNOHANG)
                    if not got:
                        continue
                    pids.remove(pid)
                    if status and bad is None:
                        bad = status
                if bad is not None:
                    for pid in pids:
                        os.kill(pid, signal.SIGKILL)
                elif pids:
                    time.sleep(0.05)
                    st = self.stats()
                    total = 0 if st["have_stdin"] else st["total"]
                    bar.update(st["done"], total)
                    # Sizes the table's last growth to the keys.
                    _lib.lib.hc_table_set_progress(self.table._h,
                                                   st["done"], total)
        finally:
            bar.end()
            # Ctrl-C or an error here: no worker outlives the call.
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            for pid in pids:
                _reap(pid)
        if bad is not None:
            if _lib.input_lib.hci_job_failed(job):
                _job_raise(job, -1, "table", PARTIAL)
            why = (f"killed by signal {os.WTERMSIG(bad)}"
                   if os.WIFSIGNALED(bad)
                   else f"exited with status {os.WEXITSTATUS(bad)}")
            raise RuntimeError(f"count_files: a worker was {why}; "
                               f"{PARTIAL}")
        return self.table

    def _worker(self, parent):
        """A forked worker: count, then leave at once (never returns)."""
        code = 1
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() == parent:
                # Faulting the table in one add at a time costs more.
                _lib.lib.hc_table_prefault(self.table._h)
                code = 1 if _lib.input_lib.hci_job_count(
                    self._job, self.table._h, ctypes.byref(self._m)) else 0
        finally:
            os._exit(code)

    def _live(self):
        if not self._job:
            raise HogcountError(-5, "job is closed")  # HC_EMISUSE
        return self._job

    def close(self):
        """Free the job (its shared state goes with the last process
        that holds it); idempotent."""
        if self._job:
            job, self._job = self._job, None
            _lib.input_lib.hci_job_destroy(job)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def __reduce__(self):
        raise TypeError("a hogcount Job is not pickled: make it before "
                        "forking the workers (they inherit it)")


def _reap(pid):
    while True:
        try:
            os.waitpid(pid, 0)
            return
        except InterruptedError:
            continue
        except ChildProcessError:
            return


def count_files(paths, k=None, tokens="dna", canonical=False, table=None,
                keys=0, mode="exact", wide=False, workers=1, chunk=CHUNK,
                progress=False):
    """Count the tokens of the files ``paths`` (a path or a list; "-" is
    standard input) into a Table, as ``hogcount count`` would: plain,
    gzip, xz, bzip2 or zstd, told apart by their first bytes; for DNA,
    FASTA, FASTQ or one sequence a line, detected.

    ``tokens`` ("dna", "bytes", "words"), ``k`` and ``canonical`` say
    what to count; ``keys``, ``mode`` and ``wide`` plan the new table
    (Table.for_ngrams: with ``keys`` 0, the kind and small start that
    ``hogcount count`` picks without --size; it grows).  ``table``:
    count into this one instead (it must hold such keys; its record
    decides, ``k`` may be left out).  ``workers``: that many processes
    forked for the count, which add into the table at once (an
    anonymous or shm table, or a file opened writable).  ``progress``:
    a progress line on stderr (off by default).

    Returns the table.  Raises HogcountError naming the file for an
    input that cannot be read (HC_EIO: errno's text), is corrupt or
    truncated (HCI_EDATA), or is in a format it does not read
    (HCI_EFORMAT: zip, lz4, ...), and for the table's failures
    (HC_EFULL, ...); RuntimeError for a worker killed otherwise.  The
    counts added before stay in the table, and the message says so.
    Ctrl-C kills the workers before KeyboardInterrupt leaves.
    """
    with Job(paths, k=k, tokens=tokens, canonical=canonical, table=table,
             keys=keys, mode=mode, wide=wide, workers=workers,
             chunk=chunk) as job:
        return job.run(progress)
