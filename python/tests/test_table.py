# SPDX-License-Identifier: MIT
"""Tables from Python: views that see the shared memory, computed keys,
byte keys, files and named tables, errors."""
import ctypes
import os
import signal
import tempfile
import unittest

import numpy as np

import hogcount
from hogcount import Table


class TestViews(unittest.TestCase):
    def test_counts_view_sees_updates(self):
        t = Table.create(capacity=1024)
        counts = t.counts
        self.assertFalse(counts.flags.owndata)  # a view, not a copy
        self.assertEqual(counts.shape, (1024,))
        self.assertEqual(counts.strides, (16,))  # every other u64
        self.assertEqual(int(counts.sum()), 0)
        t.add(42, 7)
        self.assertEqual(int(counts.sum()), 7)  # the same memory
        t.add_batch(np.arange(100, dtype=np.uint64))
        self.assertEqual(int(counts.sum()), 107)

    def test_view_outlives_table(self):
        t = Table.create(capacity=64)
        t.add(5, 3)
        c = t.counts
        del t  # the mapping stays while a view holds it
        self.assertEqual(int(c.sum()), 3)

    def test_items_exported_in_c(self):
        t = Table.create(capacity=4096, seed=1234)
        want = {0: 1, 1: 2, 2**64 - 1: 3, 12345678901234: 4}
        for k, c in want.items():
            t.add(k, c)
        keys, counts = t.items()
        self.assertEqual(dict(zip(keys.tolist(), counts.tolist())), want)
        self.assertEqual(t.keys().tolist(), keys.tolist())
        self.assertTrue(keys.flags.owndata)  # computed, not a view
        self.assertEqual(int(counts.sum()),
                         int(t.counts.sum()) + int(t.zero_count[0]))

    def test_zero_key_in_header(self):
        t = Table.create(capacity=64)
        z = t.zero_key
        t.add(z, 9)
        self.assertEqual(int(t.zero_count[0]), 9)
        self.assertEqual(t.get(z), 9)
        self.assertEqual(int(t.counts.sum()), 0)  # not in a slot
        keys, counts = t.items()
        self.assertEqual(dict(zip(keys.tolist(), counts.tolist())), {z: 9})

    def test_dense(self):
        t = Table.create(key_kind="dense", dense_bits=8)
        t.add_batch(np.array([3, 3, 255], dtype=np.uint64))
        self.assertEqual(t.counts.shape, (256,))
        keys, counts = t.items()
        self.assertEqual(dict(zip(keys.tolist(), counts.tolist())),
                         {3: 2, 255: 1})

    def test_packed(self):
        t = Table.create(capacity=1000, key_kind="packed", key_bits=42)
        t.add_batch(np.array([0, 7, 7, (1 << 42) - 1], dtype=np.uint64))
        self.assertEqual((t.get(0), t.get(7), t.get((1 << 42) - 1)),
                         (1, 2, 1))
        self.assertEqual(t.options()["key_bits"], 42)
        self.assertEqual(t.stats()["distinct"], 3)
        with self.assertRaises(TypeError):
            t.counts
        # No view, but the C export reads every entry.
        keys, counts = t.items()
        self.assertEqual(dict(zip(keys.tolist(), counts.tolist())),
                         {0: 1, 7: 2, (1 << 42) - 1: 1})
        with self.assertRaises(hogcount.HogcountError) as e:
            t.add(1 << 42)
        self.assertEqual(e.exception.name, "HC_ERANGE")

    def test_histo(self):
        t = Table.create(capacity=256)
        t.add_batch(np.array([1, 2, 2, 3, 3, 3, 4, 4, 4], dtype=np.uint64))
        h = t.histo(4)
        self.assertEqual(h.tolist(), [0, 1, 1, 2])


class TestBytes(unittest.TestCase):
    def test_bytes_batch_forms(self):
        t = Table.create(capacity=1024, key_kind="bytes")
        t.add_bytes(b"x" * 1000, 2)
        t.add_bytes_batch([b"ab", b"cd", b"ab"])
        t.add_bytes_batch(np.array([b"ef", b"ab"], dtype="S2"))
        t.add_fixed(b"hello", 3, 3, stride=1)  # hel ell llo
        keys, counts = t.bytes_items()
        got = dict(zip(keys, counts.tolist()))
        self.assertEqual(got, {b"x" * 1000: 2, b"ab": 3, b"cd": 1,
                               b"ef": 1, b"hel": 1, b"ell": 1, b"llo": 1})
        self.assertEqual(t["ab"], 3)
        self.assertIsNotNone(t.arena)

    def test_cache_sums_then_flushes(self):
        t = Table.create()
        keys = np.array([5, 7, 5, 0, 2**64 - 1, 5], dtype=np.uint64)
        with t.cache(keys=16) as c:
            c.add_batch(keys)
            c.add_batch(keys, np.full(keys.size, 2, dtype=np.uint64))
            self.assertEqual(c.pending, 12)
            self.assertEqual(t[5], 0)  # pending: not in the table yet
            c.flush()
            self.assertEqual(c.pending, 0)
            self.assertEqual(t[5], 9)
            c.add_batch([7])
        self.assertEqual((t[5], t[7], t[0], t[2**64 - 1]), (9, 4, 3, 3))
        with self.assertRaises(hogcount.HogcountError):
            c.flush()  # closed
        b = Table.create(key_kind="bytes")
        with b.cache() as c:
            c.add_fixed(b"abcabc", 3, 4, stride=1)  # abc bca cab abc
        self.assertEqual(b["abc"], 2)
        with self.assertRaises(hogcount.HogcountError):
            b.cache().add_batch([1])  # integer keys, byte table

    def test_fragments_match_reference(self):
        data = os.urandom(1000) + b"\x00\xff" * 10
        for k in range(1, 9):
            keys = hogcount.fragments(data, k)
            want = [int.from_bytes(data[i:i + k], "big")
                    for i in range(len(data) - k + 1)]
            self.assertEqual(keys.tolist(), want)
            back = hogcount.fragment_bytes(keys[:5], k)
            self.assertEqual(back[0].tobytes(), data[:k])
        with self.assertRaises(ValueError):
            hogcount.fragments(data, 9)
        with self.assertRaises(ValueError):
            hogcount.fragments(data, 4, length=len(data))  # no padding


class TestKeyLayer(unittest.TestCase):
    """The numpy fast paths are pinned to the C key layer."""

    def meta(self, tokens, k):
        return hogcount._meta(tokens, k)

    def test_fragments_pinned_to_c(self):
        data = os.urandom(300) + b"\x00\xff" * 10 + bytes(range(256))
        klib = hogcount.klib
        for k in range(1, 9):
            m = self.meta("bytes", k)
            keys = hogcount.fragments(data, k)
            want = []
            for i in range(len(data) - k + 1):
                v = ctypes.c_uint64()
                self.assertEqual(klib.hck_key_encode(
                    ctypes.byref(m), data[i:i + k], k, ctypes.byref(v)), 0)
                want.append(v.value)
            self.assertEqual(keys.tolist(), want, f"k={k}")
            text = np.empty((keys.size, k), dtype=np.uint8)
            self.assertEqual(klib.hck_key_decode_array(
                ctypes.byref(m), keys.ctypes.data, keys.size,
                text.ctypes.data), 0)
            np.testing.assert_array_equal(
                hogcount.fragment_bytes(keys, k), text)

    def test_for_ngrams_plans_like_the_cli(self):
        kinds = {}
        for tokens, k in (("bytes", 2), ("bytes", 5), ("bytes", 12),
                          ("words", 2), ("dna", 21)):
            t = Table.for_ngrams(tokens, k, keys=10000)
            self.assertEqual(t.ngram, (tokens, k))
            kinds[(tokens, k)] = t.key_kind
        self.assertEqual(kinds, {("bytes", 2): "dense",
                                 ("bytes", 5): "packed",
                                 ("bytes", 12): "bytes",
                                 ("words", 2): "bytes",
                                 ("dna", 21): "narrow"})
        self.assertEqual(Table.for_ngrams("bytes", 5, wide=True).key_kind,
                         "u64")
        t = Table.for_ngrams("dna", 3, canonical=True)
        t.add(0b000010, 2)  # AAG; canonical CTT is larger
        keys, counts = t.ngrams()
        self.assertEqual(dict(zip(keys, counts.tolist())), {b"AAG": 2})
        self.assertEqual(t.get_ngram("CTT"), 2)  # the other strand

    def test_record_mismatch_refused(self):
        t = Table.create(capacity=64)  # u64: cannot hold byte keys
        t.user = b"hogcount-cli 1 tokens=words k=2 canonical=0"
        self.assertIsNone(t.ngram)
        with self.assertRaises(TypeError):
            t.ngrams()


class TestShardedAndFilter(unittest.TestCase):
    """partition() is the C partition; filtered() is count -L/-U; the
    manifest writer writes what docs/scaling.md says."""

    def test_partition_pinned_to_c(self):
        klib = hogcount.klib
        klib.hck_part_key.restype = ctypes.c_uint32
        klib.hck_part_key.argtypes = [ctypes.c_uint64, ctypes.c_uint32]
        keys = np.random.default_rng(1).integers(0, 2**63, 1000,
                                                 dtype=np.uint64)
        keys[:3] = (0, 12345, 2**64 - 1)
        for n in (1, 3, 1000):
            want = [klib.hck_part_key(int(x), n) for x in keys]
            self.assertEqual(hogcount.partition(keys, n).tolist(), want)
        self.assertEqual(hogcount.partition([12345], 1000).tolist(), [873])
        with self.assertRaises(ValueError):
            hogcount.partition(keys, 0)

    def test_filtered(self):
        t = Table.for_ngrams("bytes", 4)
        t.add_batch(np.arange(1, 1001, dtype=np.uint64),
                    np.arange(1, 1001, dtype=np.uint64) % 7 + 1)
        f = t.filtered(3, 5)
        self.assertEqual(f.ngram, ("bytes", 4))
        keys, counts = f.items()
        self.assertEqual(sorted(keys.tolist()),
                         [x for x in range(1, 1001) if 3 <= x % 7 + 1 <= 5])
        self.assertTrue(((counts >= 3) & (counts <= 5)).all())
        self.assertEqual(t.filtered(100).stats()["distinct"], 0)
        with self.assertRaises(hogcount.HogcountError):
            t.filtered(5, 3)

    def test_manifest(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "sh.hc")
            rec = b"hogcount-cli 1 tokens=dna k=21 canonical=1"
            with self.assertRaises(OSError) as e:
                hogcount.write_manifest(out, 2, rec)
            self.assertIn("sh.hc.shard-0-of-2", str(e.exception))
            for i, body in enumerate((b"x" * 5000, b"short")):
                with open(hogcount.shard_path(out, i, 2), "wb") as f:
                    f.write(body)
            ids = [hogcount.shard_id(hogcount.shard_path(out, i, 2))
                   for i in range(2)]
            # XXH3-64 of the first 4096 bytes (tool/tables.c).
            self.assertEqual(ids, [(5000, 0x854c667088efe093),
                                   (5, 0xb42ad57460d20d0a)])
            with self.assertRaises(OSError):
                hogcount.write_manifest(out, 2, rec, [ids[0], (5, 1)])
            self.assertFalse(os.path.exists(out))
            hogcount.write_manifest(out, 2, rec, ids, run=0xabc)
            with open(out) as f:
                self.assertEqual(f.read(),
                                 "hogcount-sharded 2\n"
                                 "partition hck-part-1\n"
                                 "run 0000000000000abc\n"
                                 "shards 2\n"
                                 f"record {rec.decode()}\n"
                                 f"shard 0 5000 {ids[0][1]:016x} "
                                 "sh.hc.shard-0-of-2\n"
                                 f"shard 1 5 {ids[1][1]:016x} "
                                 "sh.hc.shard-1-of-2\n")
            self.assertEqual(sorted(os.listdir(d)),
                             ["sh.hc", "sh.hc.shard-0-of-2",
                              "sh.hc.shard-1-of-2"])
            self.assertEqual(hogcount.shard_path(out, 1, 2),
                             out + ".shard-1-of-2")
            # Read back through the key layer, shards checked.
            got = hogcount.read_manifest(out)
            self.assertEqual(got["version"], 2)
            self.assertEqual(got["run"], 0xabc)
            self.assertEqual(got["record"], ("dna", 21, True))
            self.assertEqual([s[1:] for s in got["shards"]], ids)
            self.assertEqual(got["shards"][1][0],
                             os.path.join(d, "sh.hc.shard-1-of-2"))
            with open(hogcount.shard_path(out, 1, 2), "wb") as f:
                f.write(b"other")
            with self.assertRaises(ValueError) as e:
                hogcount.read_manifest(out)
            self.assertIn("shard 1", str(e.exception))
            self.assertEqual(len(hogcount.read_manifest(out, False)
                                 ["shards"]), 2)
            with open(out, "w") as f:
                f.write("hogcount-sharded 9\n")
            with self.assertRaises(ValueError) as e:
                hogcount.read_manifest(out)
            self.assertIn("line 1", str(e.exception))

    def test_names_from_c(self):
        """TOKENS and KINDS are asked of the key layer (hck_tokens_name,
        hck_kind_name): the names the CLI prints."""
        self.assertEqual(hogcount._lib.TOKENS,
                         {"dna": 1, "bytes": 2, "words": 3})
        self.assertEqual(hogcount.KINDS,
                         {"u64": 1, "bytes": 2, "dense": 3, "packed": 4,
                          "narrow": 5})


class TestHomes(unittest.TestCase):
    def test_file_roundtrip_and_ngram_record(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "t.hc")
            t = Table.create(capacity=256)
            t.set_ngram("bytes", 2)
            t.add_batch(hogcount.fragments(b"abab", 2))
            t.save(p)
            r = Table.open(p)
            r.prefault()  # read-only handles prefault too
            self.assertEqual(r.ngram, ("bytes", 2))
            keys, counts = r.ngrams()
            self.assertEqual(dict(zip(keys, counts.tolist())),
                             {b"ab": 2, b"ba": 1})
            with self.assertRaises(hogcount.HogcountError) as e:
                r.add(1)  # read-only
            self.assertEqual(e.exception.name, "HC_ERDONLY")

    def test_verify(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "t.hc")
            t = Table.create()
            t.add_batch(np.arange(5000, dtype=np.uint64) % 977)
            self.assertEqual(t.verify()["state"], "live")
            t.save(p, compact=False)  # live layout: writable, slots
            r = Table.open(p)
            v = r.verify()
            self.assertEqual((v["state"], v["region"], v["damaged"]),
                             ("ok", None, 0))
            self.assertGreater(v["bytes"], 4096)
            r.close()
            with open(p, "r+b") as f:  # a byte of the slots
                f.seek(4096 + 8)
                b = f.read(1)
                f.seek(4096 + 8)
                f.write(bytes([b[0] ^ 1]))
            v = Table.open(p).verify()
            self.assertEqual((v["state"], v["region"], v["index"]),
                             ("damaged", "slots", 0))
            w = Table.open(p, writable=True)  # a live file
            self.assertEqual(Table.open(p).verify()["state"], "live")
            w.close()

    def test_dead_writer_and_reseal(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "t.hc")
            t = Table.create()
            t.add_batch(np.arange(5000, dtype=np.uint64) % 977)
            t.save(p, compact=False)  # live layout: writable, slots
            pid = os.fork()
            if pid == 0:  # a writer killed before it closes
                w = Table.open(p, writable=True)
                w.add(12345, 7)
                os.kill(os.getpid(), signal.SIGKILL)
            os.waitpid(pid, 0)
            self.assertEqual(Table.open(p).verify()["state"], "dead")
            w = Table.open(p, writable=True)
            with self.assertRaises(hogcount.HogcountError) as e:
                hogcount.reseal(p)
            self.assertEqual(e.exception.name, "HC_EBUSY")
            w.close()
            self.assertEqual(hogcount.reseal(p), "ok")
            r = Table.open(p)
            self.assertEqual(r.verify()["state"], "ok")
            self.assertEqual(r.get(12345), 7)
            self.assertEqual(hogcount.reseal(p), "ok")

    def test_named_attach(self):
        name = f"/hc-py-{os.getpid()}-attach"
        t = Table.create(capacity=256, shm=name)
        try:
            a = Table.attach(name, writable=True)
            a.add(7, 2)
            self.assertEqual(t.get(7), 2)
        finally:
            Table.unlink(name)
        with self.assertRaises(hogcount.HogcountError) as e:
            Table.attach(name)
        self.assertEqual(e.exception.name, "HC_ENOENT")

    def test_perm(self):
        # perm= is hc_options.perm: the group may attach; the umask does
        # not narrow it; bits other than 0600 + group/other are refused.
        name = f"/hc-py-{os.getpid()}-perm"
        old = os.umask(0o077)
        try:
            t = Table.create(shm=name, perm=0o660)
            try:
                mode = os.stat("/dev/shm" + name).st_mode & 0o777
                self.assertEqual(mode, 0o660)
                self.assertEqual(t.options()["key_kind"], "u64")
            finally:
                Table.unlink(name)
            with self.assertRaises(hogcount.HogcountError) as e:
                Table.create(shm=name, perm=0o700)
            self.assertEqual(e.exception.name, "HC_EINVAL")
            self.assertFalse(os.path.exists("/dev/shm" + name))
        finally:
            os.umask(old)

    def test_shm_names(self):
        # "NAME", "/NAME" and "shm:NAME" (the CLI's opener) are one table.
        name = f"hc-py-{os.getpid()}-names"
        t = Table.create(shm=name)
        try:
            t.add(3, 4)
            self.assertEqual(Table.open("shm:" + name).get(3), 4)
            self.assertEqual(Table.attach("/" + name).get(3), 4)
            self.assertEqual(Table.attach("shm:/" + name).get(3), 4)
        finally:
            Table.unlink("shm:" + name)
        self.assertFalse(os.path.exists("/dev/shm/" + name))
        with self.assertRaises(hogcount.HogcountError) as e:
            Table.open("shm:" + name)
        self.assertEqual(e.exception.name, "HC_ENOENT")

    def test_errors(self):
        with self.assertRaises(hogcount.HogcountError) as e:
            Table.open("/nonexistent/t.hc")
        self.assertIn("/nonexistent/t.hc", str(e.exception))
        t = Table.create(capacity=4)
        with self.assertRaises(hogcount.HogcountError) as e:
            t.add_batch(np.arange(100, dtype=np.uint64))
        self.assertEqual(e.exception.name, "HC_EFULL")
        with self.assertRaises(hogcount.HogcountError) as e:
            t.add_bytes(b"x")
        self.assertEqual(e.exception.name, "HC_EMISUSE")
        with self.assertRaises(TypeError):
            import pickle
            pickle.dumps(t)


class TestGrow(unittest.TestCase):
    """Table.create needs no capacity: the table grows like a dict."""

    def test_no_capacity_grows(self):
        t = Table.create()
        self.assertLessEqual(t.stats()["capacity"], 1 << 12)  # small
        keys = np.arange(1, 200001, dtype=np.uint64) * 2654435761
        t.add_batch(keys)
        t.add_batch(keys[:1000])
        st = t.stats()
        self.assertEqual(st["distinct"], 200000)
        self.assertEqual(st["total"], 201000)
        self.assertGreaterEqual(st["load"], 0.4)
        self.assertEqual(t.get(int(keys[0])), 2)
        self.assertEqual(t.get(int(keys[-1])), 1)

    def test_bytes_and_packed_grow(self):
        t = Table.create(key_kind="bytes")
        for i in range(20000):
            t.add_bytes(b"key-%d" % i)
        self.assertEqual(t.stats()["distinct"], 20000)
        self.assertEqual(t.get_bytes(b"key-19999"), 1)
        p = Table.create(key_kind="packed", key_bits=40)
        p.add_batch(np.arange(50000, dtype=np.uint64))
        self.assertEqual(p.stats()["distinct"], 50000)

    def test_progress_sizes_growth(self):
        # All the work done: the next growth takes the first rung that
        # holds the keys (1.25x), not 2x; the counts are the same.
        # 60000 keys: doubling ends at 2^17 slots (2^16 holds 52428).
        keys = np.arange(1, 60001, dtype=np.uint64) * 2654435761
        t = Table.create()
        t.add_batch(keys[:50000])  # doubling up to 2^16 slots
        t.set_progress(1, 1)
        t.add_batch(keys[50000:])
        d = Table.create()
        d.add_batch(keys)
        self.assertEqual(t.stats()["distinct"], 60000)
        self.assertEqual(t.get(int(keys[-1])), 1)
        self.assertLess(t.stats()["capacity"], d.stats()["capacity"])
        t.set_progress(5, 0)  # forgets it
        with self.assertRaises(hogcount.HogcountError) as e:
            t.set_progress(2, 1)
        self.assertEqual(e.exception.name, "HC_EINVAL")

    def test_capacity_alone_is_fixed(self):
        t = Table.create(capacity=4)
        with self.assertRaises(hogcount.HogcountError) as e:
            t.add_batch(np.arange(100, dtype=np.uint64))
        self.assertEqual(e.exception.name, "HC_EFULL")
        g = Table.create(capacity=4, grow=True)
        g.add_batch(np.arange(100, dtype=np.uint64))
        self.assertEqual(g.stats()["distinct"], 100)

    def test_max_bits_limits(self):
        t = Table.create(max_bits=10)
        with self.assertRaises(hogcount.HogcountError) as e:
            t.add_batch(np.arange(1, 5000, dtype=np.uint64))
        self.assertEqual(e.exception.name, "HC_EFULL")

    def test_for_ngrams_grows(self):
        t = Table.for_ngrams("bytes", 3)
        self.assertIsNotNone(t)


if __name__ == "__main__":
    unittest.main()
