# SPDX-License-Identifier: MIT
"""Every kind of table `hogcount count` writes, read from Python: bytes
k = 1..12, words k = 1..5 and DNA k-mers (canonical or not), in dense,
packed, u64 and byte-key slots.  ngrams() and the numpy arrays
(items(), counts) agree with references computed here."""
import collections
import os
import random
import subprocess
import tempfile
import unittest

import numpy as np

from hogcount import Table

HC = os.environ.get("HOGCOUNT_BIN")

COMP = bytes.maketrans(b"ACGT", b"TGCA")


def read(p):
    with open(p, "rb") as f:
        return f.read()


def kmers(records, k, canonical):
    c = collections.Counter()
    for seq in records:
        for run in seq.upper().replace(b"N", b" ").split():
            for i in range(len(run) - k + 1):
                m = run[i:i + k]
                if canonical:
                    m = min(m, m.translate(COMP)[::-1])
                c[m] += 1
    return c


@unittest.skipUnless(HC, "HOGCOUNT_BIN unset")
class TestEveryKind(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        rng = random.Random(7)
        cls.dir = tempfile.TemporaryDirectory()
        words = [b"w%d" % i for i in range(60)] + [b"\\x", b"\xc3\xa9"]
        cls.texts = []
        for i in range(2):
            t = b"".join(rng.choice(words) + rng.choice([b" ", b"\n",
                                                         b"\t"])
                         for _ in range(1500))
            p = os.path.join(cls.dir.name, f"t{i}.txt")
            with open(p, "wb") as f:
                f.write(t)
            cls.texts.append(p)
        cls.records = []
        with open(os.path.join(cls.dir.name, "r.fa"), "wb") as f:
            for i in range(20):
                seq = "".join(rng.choice("ACGTacgtN" if i % 5 == 0
                                         else "ACGT")
                              for _ in range(rng.randrange(20, 300)))
                cls.records.append(seq.encode())
                f.write(b">r%d\n" % i)
                for j in range(0, len(seq), 60):  # multi-line FASTA
                    f.write(seq[j:j + 60].encode() + b"\n")
        cls.fasta = f.name

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def count(self, *args):
        out = os.path.join(self.dir.name, "t.hc")
        if os.path.exists(out):
            os.unlink(out)
        subprocess.run([HC, "count", "-q", "-j", "2", "--chunk-size",
                        "4096", "-o", out] + list(args), check=True)
        return Table.open(out)

    def check(self, t, want, what):
        keys, counts = t.ngrams()
        self.assertEqual(dict(zip(keys, counts.tolist())), dict(want),
                         what)
        if t.key_kind != "bytes":
            # numpy: the integer keys and counts, exported in C.
            k, c = t.items()
            self.assertEqual((k.dtype, c.dtype), (np.uint64, np.uint64))
            self.assertEqual(int(c.sum()), sum(want.values()), what)
            self.assertEqual(len(np.unique(k)), len(want), what)
        if t.key_kind in ("dense", "u64") and not t.compact:
            # The zero-copy view sees the same total.
            total = int(t.counts.sum())
            zc = t.zero_count
            total += int(zc[0]) if zc is not None else 0
            self.assertEqual(total, sum(want.values()), what)
        g = next(iter(want))
        self.assertEqual(t.get_ngram(g), want[g], what)

    def test_bytes(self):
        data = [read(p) for p in self.texts]
        kinds = set()
        for k in range(1, 13):
            want = collections.Counter()
            for d in data:
                want.update(d[i:i + k] for i in range(len(d) - k + 1))
            t = self.count("--bytes", "-k", str(k), *self.texts)
            kinds.add(t.key_kind)
            self.check(t, want, f"bytes k={k} ({t.key_kind})")
        self.assertEqual(kinds, {"dense", "packed", "u64", "bytes"})

    def test_words(self):
        data = [read(p).split() for p in self.texts]
        for k in range(1, 6):
            want = collections.Counter()
            for w in data:
                want.update(b" ".join(w[i:i + k])
                            for i in range(len(w) - k + 1))
            t = self.count("--words", "-k", str(k), *self.texts)
            self.check(t, want, f"words k={k}")

    def test_dna(self):
        for k, canon in ((5, False), (11, True), (21, True), (31, False),
                         (32, True)):
            args = ["--dna", "-k", str(k)] + (["-C"] if canon else [])
            t = self.count(*args, self.fasta)
            self.check(t, kmers(self.records, k, canon),
                       f"dna k={k} canonical={canon} ({t.key_kind})")
        t = self.count("--dna", "-k", "21", "--wide", self.fasta)
        self.assertEqual(t.key_kind, "u64")
        self.assertTrue(t.compact)
        self.check(t, kmers(self.records, 21, False), "dna --wide")
        # The live layout, for numpy views of the slots.
        t = self.count("--dna", "-k", "21", "--wide", "--no-compact",
                       self.fasta)
        self.assertFalse(t.compact)
        self.assertTrue(len(t.slots) > 0)
        self.check(t, kmers(self.records, 21, False), "dna --no-compact")


if __name__ == "__main__":
    unittest.main()
