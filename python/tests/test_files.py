# SPDX-License-Identifier: MIT
"""hogcount.count_files: files counted by the C input layer, plain and
compressed (gzip, xz, bzip2, zstd), FASTA and FASTQ, against references
computed here; several files and forked workers; one HogcountError
naming the file for each way an input fails; and memory bounded by the
table, not the input."""
import bz2
import collections
import gzip
import lzma
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest

import hogcount
from hogcount import HogcountError, count_files

HCI_EFORMAT, HCI_EDATA, HC_EIO = -101, -102, -6
REVCOMP = bytes.maketrans(b"ACGT", b"TGCA")


def dna_reference(seqs, k, canonical):
    """Counter of the k-mers of @seqs, the runs of ACGT (any case)."""
    want = collections.Counter()
    for seq in seqs:
        for run in bytes(c if c in b"ACGT" else 32
                         for c in seq.upper()).split():
            for i in range(len(run) - k + 1):
                km = run[i:i + k]
                rc = km.translate(REVCOMP)[::-1]
                want[min(km, rc) if canonical else km] += 1
    return want


def as_dict(t):
    keys, counts = t.ngrams()
    return dict(zip(keys, counts.tolist()))


class TestCountFiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        rng = random.Random(26)
        cls.dir = tempfile.TemporaryDirectory()
        cls.seqs = [bytes(rng.choice(b"ACGTacgtN" if i % 7 == 0 else b"ACGT")
                          for _ in range(rng.randrange(30, 250)))
                    for i in range(300)]
        fq = b"".join(b"@r%d\n%s\n+\n%s\n" % (i, s, b"I" * len(s))
                      for i, s in enumerate(cls.seqs))
        fa = b"".join(b">r%d\n%s\n%s\n" % (i, s[:60], s[60:])
                      for i, s in enumerate(cls.seqs))
        cls.fastq = cls.write("r.fastq", fq)
        cls.fasta = cls.write("r.fa", fa)
        cls.gz = cls.write("r.fastq.gz", gzip.compress(fq))
        cls.xz = cls.write("r.fastq.xz", lzma.compress(fq))
        cls.bz2 = cls.write("r.fa.bz2", bz2.compress(fa))
        cls.zst = None
        if shutil.which("zstd"):
            cls.zst = os.path.join(cls.dir.name, "r.fastq.zst")
            subprocess.run(["zstd", "-q", "-f", cls.fastq, "-o", cls.zst],
                           check=True)
        words = [b"w%d" % i for i in range(40)]
        cls.text = b"".join(rng.choice(words) + rng.choice([b" ", b"\n"])
                            for _ in range(5000))
        cls.text_gz = cls.write("t.txt.gz", gzip.compress(cls.text))

    @classmethod
    def write(cls, name, data):
        p = os.path.join(cls.dir.name, name)
        with open(p, "wb") as f:
            f.write(data)
        return p

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def test_formats(self):
        for k, canonical in ((7, True), (21, False)):
            want = dna_reference(self.seqs, k, canonical)
            for p in (self.fastq, self.fasta, self.gz, self.xz, self.bz2,
                      self.zst):
                if p is None:
                    continue
                t = count_files(p, k=k, canonical=canonical)
                self.assertEqual(as_dict(t), want,
                                 f"{os.path.basename(p)} k={k}")
                self.assertEqual(t.ngram, ("dna", k))

    def test_words(self):
        w = self.text.split()
        want = collections.Counter(b" ".join(w[i:i + 2])
                                   for i in range(len(w) - 1))
        t = count_files(self.text_gz, k=2, tokens="words")
        self.assertEqual(as_dict(t), dict(want))

    def test_files_and_workers(self):
        paths = [self.gz, self.fasta, self.xz, self.fastq]
        want = dna_reference(self.seqs * 4, 11, True)
        one = count_files(paths, k=11, canonical=True)
        self.assertEqual(as_dict(one), want)
        # Ranges of 4 KiB: the plain files are cut into many items.
        many = count_files(paths, k=11, canonical=True, workers=3,
                           chunk=4096)
        self.assertEqual(as_dict(many), want)
        # Into an existing table: its record decides.
        again = count_files(self.fastq, table=one)
        self.assertIs(again, one)
        self.assertEqual(as_dict(one),
                         dict(dna_reference(self.seqs * 5, 11, True)))

    def check_error(self, path, code, text):
        with self.assertRaises(HogcountError) as cm:
            count_files(path, k=5)
        e = cm.exception
        self.assertEqual((e.code, e.what), (code, path), str(e))
        self.assertIn(text, str(e))
        self.assertNotIn("\n", str(e))

    def test_errors(self):
        self.check_error(os.path.join(self.dir.name, "none.fa"), HC_EIO,
                         "No such file")
        self.check_error(self.dir.name, HC_EIO, "Is a directory")
        with open(self.gz, "rb") as f:
            data = f.read()
        self.check_error(self.write("cut.gz", data[:len(data) // 2]),
                         HCI_EDATA, "corrupt gzip stream (truncated)")
        self.check_error(self.write("x.zip", b"PK\x03\x04" + b"\0" * 64),
                         HCI_EFORMAT, "zip data")
        self.check_error(self.write("two.gz", gzip.compress(data)),
                         HCI_EFORMAT, "gzip data inside gzip")
        self.assertEqual(HogcountError(HCI_EDATA).name, "HCI_EDATA")
        with self.assertRaises(ValueError):
            count_files(self.fastq)  # no k, no table

    def test_bounded_memory(self):
        # 96 MiB of reads through gzip and as a plain file, counted into
        # a table of 4-mers (256 keys): the peak resident size of the
        # process grows by the reader's buffers, not by the input.
        block = self.fastq_block()
        n = (96 << 20) // len(block)
        plain = os.path.join(self.dir.name, "big.fastq")
        with open(plain, "wb") as f:
            for _ in range(n):
                f.write(block)
        big_gz = plain + ".gz"
        with open(plain, "rb") as f, gzip.open(big_gz, "wb", 1) as g:
            shutil.copyfileobj(f, g, 1 << 20)
        probe = (
            "import resource, sys, hogcount\n"
            "t = hogcount.Table.for_ngrams('dna', 4)\n"
            "hogcount.count_files(sys.argv[1], table=t)\n"
            "r0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "for p in sys.argv[1:]:\n"
            "    hogcount.count_files(p, table=t)\n"
            "r1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "print(r1 - r0, t.stats()['total'])\n")
        out = subprocess.run([sys.executable, "-c", probe, self.fastq,
                              big_gz, plain], check=True,
                             capture_output=True, text=True,
                             env=dict(os.environ,
                                      PYTHONPATH=os.path.dirname(
                                          os.path.dirname(
                                              hogcount.__file__))))
        grew_kib, total = map(int, out.stdout.split())
        self.assertGreater(total, 2 * n * len(self.seqs))
        self.assertLess(grew_kib, 32 << 10, "peak RSS grew by "
                        f"{grew_kib} KiB for {2 * n * len(block)} bytes")

    def fastq_block(self):
        with open(self.fastq, "rb") as f:
            return f.read()


if __name__ == "__main__":
    unittest.main()
