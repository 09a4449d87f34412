# SPDX-License-Identifier: MIT
"""Forked multiprocessing workers add numpy batches into one table:
the counts equal a single-process reference, nothing is pickled back.
Also the rewritten seed program against collections.Counter and, when
HOGCOUNT_BIN names the CLI, against `hogcount count`."""
import collections
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
import unittest

import numpy as np

import hogcount

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples"))
import seed_rewrite  # noqa: E402

_T = None  # inherited by the forked workers
_B = None  # a barrier of all workers, inherited too


def _work(seed):
    # Every round of tasks needs all the pool's processes at once, so
    # no worker can do the work of another.
    _B.wait(timeout=60)
    rng = np.random.default_rng(seed)
    keys = rng.zipf(1.3, 200_000).astype(np.uint64)
    _T.add_batch(keys)
    _T.add_batch(keys[:1000], deltas=np.full(1000, 2, dtype=np.uint64))
    return os.getpid()


def _reference(seeds):
    c = collections.Counter()
    for s in seeds:
        keys = np.random.default_rng(s).zipf(1.3, 200_000).astype(np.uint64)
        u, n = np.unique(keys, return_counts=True)
        c.update(dict(zip(u.tolist(), n.tolist())))
        u, n = np.unique(keys[:1000], return_counts=True)
        c.update(dict(zip(u.tolist(), (2 * n).tolist())))
    return c


class TestForkedWorkers(unittest.TestCase):
    def run_pool(self, mode, workers):
        global _T, _B
        ctx = mp.get_context("fork")
        _T = hogcount.Table.create(capacity=1 << 20, mode=mode)
        _B = ctx.Barrier(workers)
        seeds = list(range(8))
        with ctx.Pool(workers) as pool:
            pids = pool.map(_work, seeds, chunksize=1)
        # The adds came from exactly `workers` other processes.
        self.assertEqual(len(set(pids)), workers)
        self.assertNotIn(os.getpid(), pids)
        keys, counts = _T.items()
        return dict(zip(keys.tolist(), counts.tolist())), _reference(seeds)

    def test_exact_equals_one_process(self):
        for workers in (1, 4):
            got, want = self.run_pool("exact", workers)
            self.assertEqual(got, dict(want), f"{workers} workers")

    def test_hogwild_loses_at_most(self):
        got, want = self.run_pool("hogwild", 4)
        # HogWild may lose updates under contention, never invents any.
        self.assertEqual(set(got), set(want))
        self.assertTrue(all(got[k] <= want[k] for k in got))
        self.assertGreater(sum(got.values()), 0.5 * sum(want.values()))


class TestSeedRewrite(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        rng = np.random.default_rng(5)
        words = [bytes(rng.choice(list(b"abcdefgh"), rng.integers(1, 6)))
                 for _ in range(300)]
        cls.files = []
        for i in range(4):
            p = os.path.join(cls.dir.name, f"f{i}.txt")
            w = rng.choice(len(words), 30_000)
            with open(p, "wb") as f:
                f.write(b" ".join(words[j] for j in w) + b"\n")
            cls.files.append(p)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def counter(self, k):
        # The seed's own approach: a Counter of fragments per file, +=.
        model = collections.Counter()
        for p in self.files:
            with open(p, "rb") as f:
                d = f.read()
            model += collections.Counter(d[i:i + k]
                                         for i in range(len(d) - k + 1))
        return model

    def test_matches_counter(self):
        for k in (1, 4, 8, 11):
            t = seed_rewrite.generateModel(self.files, k, 2)
            keys, counts = t.ngrams()
            self.assertEqual(dict(zip(keys, counts.tolist())),
                             dict(self.counter(k)), f"k={k}")

    def test_small_chunks(self):
        old = seed_rewrite.CHUNK
        seed_rewrite.CHUNK = 1000  # blocks that cut fragments
        try:
            t = seed_rewrite.generateModel(self.files, 6, 2)
        finally:
            seed_rewrite.CHUNK = old
        keys, counts = t.ngrams()
        self.assertEqual(dict(zip(keys, counts.tolist())),
                         dict(self.counter(6)))

    @unittest.skipUnless(os.environ.get("HOGCOUNT_BIN"), "HOGCOUNT_BIN unset")
    def test_matches_cli(self):
        hc = os.environ["HOGCOUNT_BIN"]
        out = os.path.join(self.dir.name, "py.hc")
        ref = os.path.join(self.dir.name, "cli.hc")
        for p in (out, ref):
            if os.path.exists(p):
                os.unlink(p)
        self.assertEqual(seed_rewrite.main(["-k", "4", "-j", "2", "--top",
                                            "0", "-o", out] + self.files),
                         0)
        subprocess.run([hc, "count", "-q", "-k", "4", "-o", ref] +
                       self.files, check=True)

        def dump(p):
            r = subprocess.run([hc, "dump", p], check=True,
                               capture_output=True)
            return sorted(r.stdout.splitlines())
        self.assertEqual(dump(out), dump(ref))


@unittest.skipUnless(os.environ.get("HOGCOUNT_BIN"), "HOGCOUNT_BIN unset")
class TestLiveCount(unittest.TestCase):
    """``hogcount count --shm NAME`` read from Python while it runs: a
    FIFO keeps it running; what Python reads mid-run is at most the
    final counts, and the object is gone at the end."""

    def test_attach_mid_run(self):
        hc = os.environ["HOGCOUNT_BIN"]
        name = f"hc-py-{os.getpid()}-live"
        with tempfile.TemporaryDirectory() as d:
            first = os.path.join(d, "a.txt")
            with open(first, "wb") as f:
                f.write(b"abcabcabd" * 500)
            fifo = os.path.join(d, "slow")
            os.mkfifo(fifo)
            final = os.path.join(d, "final.hc")
            # The worker waits in its open of the FIFO until a writer
            # comes; this opens it only after the readings, and only
            # once the worker holds it, so the data cannot be lost.
            w = None
            p = subprocess.Popen([hc, "count", "-q", "-k", "3", "-j", "2",
                                  "--shm", name, "-o", final, first, fifo])
            try:
                want = 9 * 500 - 2
                mid = None
                for _ in range(300):
                    try:
                        t = hogcount.Table.open("shm:" + name,
                                                writable=True)
                    except hogcount.HogcountError:
                        time.sleep(0.1)  # not created, or no record yet
                        continue
                    try:
                        keys, counts = t.ngrams()
                    except TypeError:  # the record is not there yet
                        keys, counts = [], np.zeros(1, dtype=np.uint64)
                    if int(counts.sum()) == want:
                        mid = dict(zip(keys, counts.tolist()))
                        break
                    t.close()
                    time.sleep(0.1)
                self.assertIsNotNone(mid, "never read the first file")
                self.assertEqual(t.stats()["total"], want)
                self.assertEqual(hogcount.Table.attach(name).get_ngram(
                    b"abc"), mid[b"abc"])
                self.assertIsNone(p.poll())  # still counting
                for _ in range(600):
                    try:  # ENXIO until the worker has it open
                        w = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                        break
                    except OSError:
                        time.sleep(0.1)
                self.assertIsNotNone(w, "the worker never opened the FIFO")
                os.set_blocking(w, True)
                os.write(w, b"xyzabc" * 100)
                os.close(w)
                w = None
                self.assertEqual(p.wait(timeout=60), 0)
            finally:
                if w is not None:
                    os.close(w)
                if p.poll() is None:
                    p.terminate()  # count removes the object itself
                    try:
                        p.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.wait()
                        if os.path.exists("/dev/shm/" + name):
                            hogcount.Table.unlink(name)
            self.assertFalse(os.path.exists("/dev/shm/" + name))
            with self.assertRaises(hogcount.HogcountError):
                hogcount.Table.attach(name)
            # Mapped still, though unlinked; the file has everything.
            self.assertGreaterEqual(t.stats()["total"], want)
            keys, counts = hogcount.Table.open(final).ngrams()
            end = dict(zip(keys, counts.tolist()))
            self.assertEqual(sum(end.values()), want + 600 - 2)
            for key, c in mid.items():
                self.assertLessEqual(c, end[key])


if __name__ == "__main__":
    unittest.main()
