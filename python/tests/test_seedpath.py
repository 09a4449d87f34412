# SPDX-License-Identifier: MIT
"""The seed user's path (issue 27): a file larger than the worker's
memory limit counted exactly; a worker that fails raises in the parent
naming the file and saying what the table holds; Ctrl-C stops the
workers and leaves nothing in /dev/shm; the progress line."""
import collections
import gzip
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import hogcount
from hogcount import HogcountError, count_files

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples"))
import seed_rewrite  # noqa: E402

HCI_EDATA = -102
ENV = dict(os.environ,
           PYTHONPATH=os.path.dirname(os.path.dirname(hogcount.__file__)))


def frags(data, k):
    return collections.Counter(data[i:i + k]
                               for i in range(len(data) - k + 1))


def periodic_reference(block, n, k):
    """The fragments of ``block`` * n, exactly: those of one block, and
    n - 1 times those that start in the first block of two."""
    one = frags(block, k)
    per = frags(block * 2, k)
    per.subtract(one)
    want = collections.Counter()
    for key, c in one.items():
        want[key] += c
    for key, c in per.items():
        want[key] += (n - 1) * c
    return {key: c for key, c in want.items() if c}


def as_dict(t):
    keys, counts = t.ngrams()
    return dict(zip(keys, counts.tolist()))


def children(pid):
    """The pids of @pid's children (Linux /proc)."""
    out = set()
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out.update(int(c) for c in f.read().split())
    except OSError:
        pass
    return out


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


class TestSeedPath(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        words = [b"alpha", b"beta", b"gamma", b"delta", b"pi", b"omega"]
        cls.block = b"".join(words[(i * 7) % 6] + (b"\n" if i % 5 else b" ")
                             for i in range(4001))

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def big(self, mib):
        """A plain file of about @mib MiB: the block repeated; (path,
        repeats)."""
        n = (mib << 20) // len(self.block) + 1
        p = os.path.join(self.dir.name, f"big{mib}.txt")
        if not os.path.exists(p):
            with open(p, "wb") as f:
                for _ in range(n):
                    f.write(self.block)
        return p, n

    def count_limited(self, src, size):
        """Count ``src`` (a path, or "-": the file of ``size`` bytes on
        standard input) into a saved table with workers under an
        address-space limit 64 MiB above what the process maps before
        the count, less than ``size``; the table, opened."""
        p, _ = self.big(160)
        probe = (
            "import resource, sys, hogcount\n"
            "t = hogcount.Table.for_ngrams('bytes', 6)\n"
            "with open('/proc/self/status') as f:\n"
            "    vm = [int(l.split()[1]) for l in f\n"
            "          if l.startswith('VmSize:')][0] << 10\n"
            "lim = vm + (64 << 20)\n"
            "resource.setrlimit(resource.RLIMIT_AS, (lim, lim))\n"
            "try:\n"
            "    bytearray(int(sys.argv[3]))\n"
            "    sys.exit('the limit is not enforced')\n"
            "except MemoryError:\n"
            "    pass\n"
            "hogcount.count_files(sys.argv[1], table=t, workers=2)\n"
            "t.save(sys.argv[2])\n")
        out = os.path.join(self.dir.name, "lim.hc")
        with open(p, "rb") as stdin:
            r = subprocess.run([sys.executable, "-c", probe, src, out,
                                str(size)], env=ENV, stdin=stdin,
                               capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        return hogcount.Table.open(out)

    def test_larger_than_memory_limit(self):
        # The input is 160 MiB, gzip, or plain through a pipe (standard
        # input): both are streamed a block at a time.
        p, n = self.big(160)
        gz = p + ".gz"
        with open(p, "rb") as f, gzip.open(gz, "wb", 1) as g:
            while True:
                b = f.read(1 << 20)
                if not b:
                    break
                g.write(b)
        want = periodic_reference(self.block, n, 6)
        size = os.path.getsize(p)
        for src in (gz, "-"):
            self.assertEqual(as_dict(self.count_limited(src, size)), want,
                             src)

    def test_plain_file_larger_than_memory_limit(self):
        # A plain file given by name, 160 MiB: cut into ranges, each
        # read through a window mapped over it (input/job.c,
        # "Windows"), never mapped whole, so RLIMIT_AS below its size
        # does not stop the workers.
        p, n = self.big(160)
        want = periodic_reference(self.block, n, 6)
        self.assertEqual(as_dict(self.count_limited(p, os.path.getsize(p))),
                         want)

    def test_count_files_without_numpy(self):
        # The parent of a count imports no numpy: only the arrays that
        # view or copy a table need it.
        p, n = self.big(1)
        out = os.path.join(self.dir.name, "nonp.hc")
        probe = (
            "import sys, hogcount\n"
            "t = hogcount.count_files(sys.argv[1], k=6, tokens='bytes',\n"
            "                         workers=2)\n"
            "t.stats()\n"
            "t.save(sys.argv[2])\n"
            "sys.exit('numpy' in sys.modules)\n")
        r = subprocess.run([sys.executable, "-c", probe, p, out], env=ENV,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr or "numpy was loaded")
        self.assertEqual(as_dict(hogcount.Table.open(out)),
                         periodic_reference(self.block, n, 6))

    def test_failing_worker_names_the_file(self):
        p, _ = self.big(16)
        with open(p, "rb") as f:
            data = gzip.compress(f.read(1 << 20), 1)
        cut = os.path.join(self.dir.name, "cut.gz")
        with open(cut, "wb") as f:
            f.write(data[:len(data) // 2])
        for workers in (1, 2):
            t = hogcount.Table.for_ngrams("bytes", 4)
            with self.assertRaises(HogcountError) as cm:
                count_files([p, cut], table=t, workers=workers, chunk=1 << 20)
            e = cm.exception
            self.assertEqual((e.code, e.what), (HCI_EDATA, cut), str(e))
            self.assertIn("the table holds part of the counts", str(e))
        # A Pool of one's own (the seed's shape): the worker's
        # exception comes back to the parent through the pool.
        with self.assertRaises(HogcountError) as cm:
            seed_rewrite.generateModel([p, cut], 4, 2)
        self.assertEqual((cm.exception.code, cm.exception.what),
                         (HCI_EDATA, cut))
        self.assertIn("part of the counts", str(cm.exception))

    def interrupt(self, group, pool=False):
        """A count of a FIFO that never ends, and a large file, with 2
        workers; SIGINT to the parent alone or to its process group
        (what Ctrl-C at a terminal does).  Returns (rc, stderr, worker
        pids seen)."""
        p, _ = self.big(64)
        fifo = os.path.join(self.dir.name, f"fifo{int(group)}{int(pool)}")
        os.mkfifo(fifo)
        probe = (
            "import sys, hogcount\n"
            "try:\n"
            "    hogcount.count_files(sys.argv[1:], k=5, tokens='bytes',\n"
            "                         workers=2)\n"
            "except KeyboardInterrupt:\n"
            "    print('interrupted', file=sys.stderr)\n"
            "    sys.exit(130)\n")
        cmd = [sys.executable, "-c", probe, fifo, p]
        if pool:  # the seed's shape: a Pool whose workers call Job.count
            cmd = [sys.executable, os.path.join(HERE, "..", "examples",
                                                "seed_rewrite.py"),
                   "-k", "5", "-j", "2", "--top", "0", fifo, p]
        # SIGINT as at a terminal: a runner that started the tests in
        # the background (sh's "&") hands them SIGINT ignored, which
        # Python would keep, and Ctrl-C would do nothing.
        proc = subprocess.Popen(cmd,
                                env=ENV, stderr=subprocess.PIPE,
                                start_new_session=True,
                                preexec_fn=lambda: signal.signal(
                                    signal.SIGINT, signal.SIG_DFL))
        w = None
        try:
            for _ in range(600):  # until a worker holds the FIFO open
                try:
                    w = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                    break
                except OSError:
                    if proc.poll() is not None:
                        break
                    time.sleep(0.05)
            self.assertIsNotNone(w, "no worker opened the FIFO: " + (
                proc.stderr.read().decode() if proc.poll() is not None
                else "still running"))
            os.write(w, b"some text that is counted\n" * 100)
            pids = children(proc.pid)
            self.assertEqual(len(pids), 2, pids)
            if group:
                os.killpg(proc.pid, signal.SIGINT)
            else:
                os.kill(proc.pid, signal.SIGINT)
            rc = proc.wait(timeout=60)
            return rc, proc.stderr.read().decode(), pids
        finally:
            if w is not None:
                os.close(w)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            proc.stderr.close()

    def test_ctrl_c(self):
        before = set(os.listdir("/dev/shm"))
        for group, pool in ((False, False), (True, False), (True, True)):
            rc, err, pids = self.interrupt(group, pool)
            self.assertEqual(rc, 130, err)
            self.assertIn("interrupted", err)
            self.assertNotIn("Traceback", err)
            time.sleep(0.2)
            self.assertEqual([q for q in pids if alive(q)], [],
                             "a worker outlived the count")
        self.assertEqual(set(os.listdir("/dev/shm")) - before, set())

    def test_progress(self):
        p, n = self.big(32)
        probe = (
            "import sys, hogcount\n"
            "t = hogcount.count_files(sys.argv[1], k=3, tokens='bytes',\n"
            "                         chunk=1 << 20, progress=True)\n"
            "print(t.stats()['total'])\n")
        r = subprocess.run([sys.executable, "-c", probe, p], env=ENV,
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(int(r.stdout), n * len(self.block) - 2)
        # Quiet unless asked: the library never prints by itself.
        t = count_files(p, k=3, tokens="bytes")
        self.assertEqual(t.stats()["total"], n * len(self.block) - 2)

    def test_plan_and_save_as_cli(self):
        # The kind and start of `hogcount count --bytes -k K` (what -v
        # prints, where HOGCOUNT_BIN names the CLI), and a compact file
        # as count -o writes it.
        hc = os.environ.get("HOGCOUNT_BIN")
        src = self.big(16)[0]
        for k in (2, 4, 6, 8, 12):
            ref = hogcount.Table.for_ngrams("bytes", k)
            o = ref.options()
            slots = 1 << o["dense_bits"] if ref.key_kind == "dense" \
                else o["capacity"]
            if hc:
                r = subprocess.run([hc, "count", "-v", "--bytes", "-k",
                                    str(k), "-j", "2", "-o",
                                    os.path.join(self.dir.name, "v.hc"),
                                    src], capture_output=True, text=True,
                                   check=True)
                self.assertIn(f" {ref.key_kind} table of {slots} slots",
                              r.stderr, k)
            t = count_files(src, k=k, tokens="bytes")
            self.assertEqual(t.key_kind, ref.key_kind, k)
            out = os.path.join(self.dir.name, f"plan{k}.hc")
            t.save(out)
            r = hogcount.Table.open(out)
            self.assertEqual(r.compact, t.key_kind != "dense")
            self.assertEqual(r.stats()["total"], t.stats()["total"])


if __name__ == "__main__":
    unittest.main()
