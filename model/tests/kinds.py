#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""hogcount model on every kind of table `hogcount count` writes: bytes
k = 1..12 (dense, packed, u64 and byte-key slots), words k = 1..5, and
DNA (refused with a clear message).  Every answer is checked against an
independent reference written here: the n-gram counts, the reductions,
an interpolated Kneser-Ney model (docs/model.md) for info, prob and
perplexity, and the shape of sample.

Usage: kinds.py HOGCOUNT WORKDIR        (standard library only)
"""
import collections
import math
import os
import random
import subprocess
import sys

HC, WORK = sys.argv[1], sys.argv[2]
FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL:", msg, file=sys.stderr)


def run(*args, ok=True):
    r = subprocess.run([HC] + [str(a) for a in args], capture_output=True)
    if ok and r.returncode:
        raise SystemExit(f"hogcount {' '.join(map(str, args))}: "
                         f"{r.returncode}: {r.stderr.decode()}")
    return r


# ---- data ---------------------------------------------------------------

def make_text(rng, nwords):
    """Words from a Zipf-like vocabulary with a little structure, some
    control bytes, backslashes and UTF-8, over several lines."""
    vocab = ["w%d" % i for i in range(150)] + ["a\\b", "tab\there",
                                                "caf\u00e9", "x\x01y"]
    out, prev = [], 0
    for _ in range(nwords):
        if rng.random() < 0.5:
            i = (prev * 7 + 3) % 40  # a chain that repeats
        else:
            i = min(int(rng.paretovariate(1.1)) - 1, len(vocab) - 1)
        prev = i
        out.append(vocab[i])
        out.append("\n" if rng.random() < 0.08 else " ")
    return "".join(out).encode()


# ---- the reference ------------------------------------------------------

def tokens_of(data, words):
    if words:  # split() with no argument: the key layer's white space
        return data.split()
    return [data[i:i + 1] for i in range(len(data))]


def join(toks, words):
    return (b" " if words else b"").join(toks)


def ngram_counts(docs, k, words):
    c = collections.Counter()
    for d in docs:
        t = tokens_of(d, words)
        for i in range(len(t) - k + 1):
            c[tuple(t[i:i + k])] += 1
    return c


class KN:
    """Interpolated Kneser-Ney, one discount per order (Chen and
    Goodman), from the order-k counts alone."""

    def __init__(self, counts, k, words):
        self.k, self.words = k, words
        self.a = {k: dict(counts)}
        for n in range(k - 1, 0, -1):
            a = collections.Counter()
            for g in self.a[n + 1]:
                a[g[1:]] += 1  # N1+(. g): distinct tokens before g
            self.a[n] = dict(a)
        self.S, self.U, self.D = {}, {}, {}
        for n in range(1, k + 1):
            s, u = collections.Counter(), collections.Counter()
            for g, c in self.a[n].items():
                s[g[:-1]] += c
                u[g[:-1]] += 1
            self.S[n], self.U[n] = s, u
            f1 = sum(1 for c in self.a[n].values() if c == 1)
            f2 = sum(1 for c in self.a[n].values() if c == 2)
            self.D[n] = 0.5 if f1 == 0 else f1 / (f1 + 2 * f2)
        if words:
            self.vocab = {w for g in counts for w in g}
            self.V = len(self.vocab) + 1
        else:
            self.vocab = None
            self.V = 256

    def known(self, w):
        return self.vocab is None or w in self.vocab

    def prob(self, ctx, w):
        """ctx: a tuple of tokens; w: a token or None (unknown)."""
        ctx = ctx[len(ctx) - min(len(ctx), self.k - 1):]
        p = 1.0 / self.V
        for n in range(1, len(ctx) + 2):
            h = ctx[len(ctx) - (n - 1):] if n > 1 else ()
            s = self.S[n].get(h, 0)
            if s == 0:
                break
            a = self.a[n].get(h + (w,), 0) if w is not None else 0
            d = self.D[n]
            p = max(a - d, 0) / s + d * self.U[n][h] / s * p
        return p

    def score(self, docs):
        n = oov = 0
        lsum = 0.0
        for d in docs:
            t = tokens_of(d, self.words)
            for i in range(self.k - 1, len(t)):
                w = t[i]
                if not self.known(w):
                    oov += 1
                    w = None
                lsum += math.log2(self.prob(tuple(t[i - self.k + 1:i]), w))
                n += 1
        return n, oov, (-lsum / n if n else 0.0)


def read(p):
    with open(p, "rb") as f:
        return f.read()


def unescape(s):
    out, i = bytearray(), 0
    while i < len(s):
        c = s[i]
        if c != 0x5c:
            out.append(c)
            i += 1
            continue
        e = s[i + 1]
        if e == ord("x"):
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
            continue
        out.append({ord("\\"): 0x5c, ord("t"): 9, ord("n"): 10,
                    ord("r"): 13}[e])
        i += 2
    return bytes(out)


def escape(b):
    out = []
    for c in b:
        if c == 0x5c:
            out.append("\\\\")
        elif c == 9:
            out.append("\\t")
        elif c == 10:
            out.append("\\n")
        elif c == 13:
            out.append("\\r")
        elif c < 0x20 or c == 0x7f:
            out.append("\\x%02x" % c)
        else:
            out.append(chr(c) if c < 0x80 else "\\x%02x" % c)
    return "".join(out)


def walk(path, ctx=None):
    args = ["model", "walk", path] + ([ctx] if ctx is not None else [])
    got = {}
    for line in run(*args).stdout.split(b"\n"):
        if line:
            key, cnt = line.rsplit(b"\t", 1)
            got[unescape(key)] = int(cnt)
    return got


def as_text(counter, words):
    return {join(g, words): c for g, c in counter.items()}


# ---- the checks ---------------------------------------------------------

def check(kind, k, train, held, rng):
    words = kind == "words"
    name = f"{kind} k={k}"
    table = os.path.join(WORK, f"{kind}{k}.hc")
    if os.path.exists(table):
        os.unlink(table)
    run("count", f"--{kind}", "-k", k, "-j", 2, "--chunk-size", 4096, "-q",
        "-o", table, *train)
    docs = [read(p) for p in train]
    hdocs = [read(p) for p in held]
    counts = ngram_counts(docs, k, words)
    ref = KN(counts, k, words)

    # walk: every n-gram, and those of one context.
    if walk(table) != as_text(counts, words):
        fail(f"{name}: walk differs from the reference counts")
    g = rng.choice(sorted(counts))
    c = g[:max(1, k // 2)] if k > 1 else g
    want = {join(x, words): n for x, n in counts.items()
            if x[:len(c)] == c}
    if walk(table, escape(join(c, words))) != want:
        fail(f"{name}: walk with a context differs")

    # reduce: drop the last token summing counts; drop the first
    # counting distinct tokens (the continuation counts).
    if k > 1:
        for opts, want in (
                ([], collections.Counter()),
                (["--drop", "first", "--distinct"], None)):
            out = os.path.join(WORK, f"{kind}{k}.r.hc")
            if os.path.exists(out):
                os.unlink(out)
            run("model", "reduce", *opts, "-o", out, table)
            if want is None:
                want = ref.a[k - 1]
            else:
                for x, n in counts.items():
                    want[x[:-1]] += n
            if walk(out) != as_text(want, words):
                fail(f"{name}: reduce {' '.join(opts)} differs")
    else:
        r = run("model", "reduce", "-o", os.path.join(WORK, "x.hc"), table,
                ok=False)
        if r.returncode != 1 or b"nothing to reduce" not in r.stderr:
            fail(f"{name}: reduce of order 1 not refused")

    # info
    info = run("model", "info", table).stdout.decode().split("\n")
    exp = [f"tokens\t{kind}", f"order\t{k}", f"vocabulary\t{ref.V}",
           f"total\t{sum(counts.values())}"]
    for n in range(1, k + 1):
        exp.append(f"order {n}\t{len(ref.a[n])} "
                   f"{'n-grams' if n == k else 'continuations'}, "
                   f"discount {ref.D[n]:.4f}")
    if info[:len(exp)] != exp:
        fail(f"{name}: info\n{info}\n!=\n{exp}")

    # prob: contexts from held-out text, seen and unseen next tokens.
    ht = tokens_of(hdocs[0], words)
    for _ in range(3):
        i = rng.randrange(k - 1, len(ht))
        ctx = tuple(ht[max(0, i - k + 1):i])
        nexts = [ht[i], rng.choice(ht)]
        nexts.append(b"zzunseen" if words else b"\xff")
        r = run("model", "prob", table, escape(join(ctx, words)),
                *[escape(x) for x in nexts])
        lines = r.stdout.split(b"\n")
        for x, line in zip(nexts, lines):
            p = float(line.split(b"\t")[1])
            w = x if ref.known(x) else None
            q = ref.prob(ctx, w)
            if abs(p - q) > 1e-5 * q:
                fail(f"{name}: P({x!r} | {ctx!r}) = {p}, reference {q}")

    # perplexity of the held-out files
    out = dict(line.split("\t", 1) for line in
               run("model", "perplexity", table, *held).stdout.decode()
               .strip().split("\n"))
    n, oov, ce = ref.score(hdocs)
    if int(out["tokens"]) != n or int(out["oov"]) != oov or \
            abs(float(out["cross_entropy"].split()[0]) - ce) > 2e-6:
        fail(f"{name}: perplexity {out} != tokens {n} oov {oov} "
             f"cross-entropy {ce:.6f}")

    # sample: reproducible by seed, k-1 + N tokens of the vocabulary.
    s1 = run("model", "sample", "--length", 30, "--seed", 5, table).stdout
    s2 = run("model", "sample", "--length", 30, "--seed", 5, table).stdout
    if s1 != s2:
        fail(f"{name}: sample with one seed differs")
    body = s1[:-1]
    if words:
        toks = body.split()
        if len(toks) != k - 1 + 30 or \
                any(t not in ref.vocab and t != b"<unk>" for t in toks):
            fail(f"{name}: sample {body!r}")
    elif len(body) != k - 1 + 30:
        fail(f"{name}: sample of {len(body)} bytes, not {k - 1 + 30}")
    elif k > 1 and not any(g[:k - 1] == tuple(body[i:i + 1]
                                              for i in range(k - 1))
                           for g in counts):
        fail(f"{name}: sample does not start with a seen context")


def main():
    rng = random.Random(20261201)
    os.makedirs(WORK, exist_ok=True)
    train, held = [], []
    for i, n in enumerate((2500, 1500)):
        p = os.path.join(WORK, f"train{i}.txt")
        with open(p, "wb") as f:
            f.write(make_text(rng, n))
        train.append(p)
    p = os.path.join(WORK, "held.txt")
    with open(p, "wb") as f:
        f.write(make_text(rng, 600))
    held.append(p)
    for k in range(1, 13):
        check("bytes", k, train, held, rng)
    for k in range(1, 6):
        check("words", k, train, held, rng)
    # DNA tables: the model says what it takes.
    fa = os.path.join(WORK, "r.fa")
    with open(fa, "w") as f:
        f.write(">r\n" + "".join(rng.choice("ACGT") for _ in range(500)))
    dna = os.path.join(WORK, "dna.hc")
    if os.path.exists(dna):
        os.unlink(dna)
    run("count", "--dna", "-k", 11, "-C", "-q", "-o", dna, fa)
    for sub in ("info", "sample"):
        r = run("model", sub, dna, ok=False)
        if r.returncode != 1 or b"k-mer table" not in r.stderr:
            fail(f"dna: model {sub} not refused clearly: {r.stderr!r}")
    r = run("model", "walk", dna, ok=False)
    if r.returncode != 1:
        fail("dna: model walk not refused")
    if FAILS:
        print(f"{len(FAILS)} failures", file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
