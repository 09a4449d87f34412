#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The seed question's program (../../../shared/seed, "How to use shared
memory instead of passing objects via pickling between multiple
processes"), rewritten with hogcount.

The original: every pool_worker builds a FragmentModel (the counts of
all order-k fragments of one file), returns it, the pool pickles it
back to the parent, and generateModel merges the models one by one
with ``+=``.  At order 4 each partial model was 4-5 GB and the pool
died in the pickling.

Here generateModel creates ONE hogcount table in an anonymous shared
mapping before the pool forks its workers; each pool_worker adds the
fragments of its file straight into that table (numpy batches through a
delta cache, hc_cache_add_batch, which sums the hot fragments in the
worker and adds each once a flush), and returns only how many it
added.  Nothing is pickled
but file names and integers, there is no merge, and the parent holds
the finished model the moment the last worker is done.

    seed_rewrite.py -k 4 -j 2 -o model.hc data/*.txt
    hogcount dump --top 10 model.hc
    hogcount model perplexity model.hc heldout.txt
"""
import argparse
import logging
import math
import multiprocessing as mp
import os
import random
import sys
from functools import partial

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import hogcount  # noqa: E402

logger = logging.getLogger("seed_rewrite")
CHUNK = 1 << 20  # bytes of text per batch: 8 MiB of keys at most

# The model: set by generateModel() before the pool forks, so every
# worker inherits the same mapping.  It is never pickled.
_table = None


def pool_worker(filename, order, doshuffle=False):
    """Count the order-k byte fragments of one file into the shared
    table; returns the number of fragments added (an int)."""
    logger.info(f"Processing file: {filename}")
    t = _table.cache()  # sums hot fragments here, adds each once a flush
    k = order
    buf = bytearray(CHUNK + k + 8)
    keys = np.empty(CHUNK + k, dtype=np.uint64) if k <= 8 else None
    added = 0
    with open(filename, "rb") as f:
        if doshuffle:
            # The seed's mock model: the same lines in a random order.
            lines = f.read().splitlines(keepends=True)
            random.shuffle(lines)
            import io
            f = io.BytesIO(b"".join(lines))
        carry = 0  # the last k-1 bytes of the previous block, kept
        while True:
            n = f.readinto(memoryview(buf)[carry:carry + CHUNK])
            if not n:
                break
            length = carry + n
            nfrag = length - k + 1
            if nfrag > 0:
                if k <= 8:
                    t.add_batch(hogcount.fragments(buf, k, length, keys))
                else:
                    t.add_fixed(buf, k, nfrag, stride=1)
                added += nfrag
            carry = min(k - 1, length)
            buf[:carry] = buf[length - carry:length]
    t.close()  # the last flush: every fragment is in the table now
    return added


def _distinct(files, order, per_file):
    """Distinct order-k fragments in the first per_file bytes of each."""
    seen = []
    for name in files:
        with open(name, "rb") as f:
            data = f.read(per_file)
        if len(data) >= order:
            seen.append(np.unique(hogcount.fragments(data, order)))
    return len(np.unique(np.concatenate(seen))) if seen else 0


def size_hint(files, order):
    """Expected distinct keys: Heaps' law d(n) = a n^b fitted on two
    samples of the input, extrapolated to its size, times 1.5."""
    total = sum(os.path.getsize(f) for f in files)
    bound = min(total, 256 ** order)
    if order > 8 or total < (8 << 20):
        return max(bound, 1024)
    s = 128 << 10
    d1 = _distinct(files, order, s)
    d2 = _distinct(files, order, 4 * s)
    n2 = min(total, 4 * s * len(files))
    b = math.log(max(d2, 1) / max(d1, 1)) / math.log(4) if d1 else 1.0
    est = d2 * (total / n2) ** min(max(b, 0.0), 1.0)
    return int(min(bound, 1.5 * est)) + 1024


def generateModel(files, order, nthreads, is_mock=False, size=None,
                  mode="exact"):
    """One shared table, nthreads forked workers adding into it."""
    global _table
    size = size or size_hint(files, order)
    # The key layer picks the kind (dense, packed or byte keys) and the
    # geometry, as `hogcount count` does, and writes the record.
    _table = hogcount.Table.for_ngrams("bytes", order, keys=size, mode=mode)
    logger.info(f"table: {_table.key_kind}, {_table.options()['capacity']} "
                f"slots for about {size} distinct keys")
    # fork: the workers inherit _table.  Only file names go out and
    # integers come back.
    with mp.get_context("fork").Pool(nthreads) as pool:
        i = 0
        for n in pool.imap_unordered(partial(pool_worker, order=order,
                                             doshuffle=is_mock), files):
            logger.info(f"file {i} done: {n} fragments, nothing to merge")
            i += 1
    return _table


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input", nargs="+", help="text files")
    ap.add_argument("-k", "--order", type=int, default=4)
    ap.add_argument("-j", "--nthreads", type=int, default=os.cpu_count())
    ap.add_argument("-o", "--output", help="save the table (for the CLI: "
                    "hogcount dump/model)")
    ap.add_argument("-s", "--size", type=int, help="expected distinct "
                    "fragments (default: estimated from samples)")
    ap.add_argument("--mode", choices=("exact", "hogwild"), default="exact")
    ap.add_argument("--mock", action="store_true", help="shuffle lines")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else
                        logging.WARNING, format="%(message)s")
    if not 1 <= args.order <= 64:
        ap.error("--order: 1..64")
    try:
        model = generateModel(args.input, args.order, args.nthreads,
                              args.mock, args.size, args.mode)
    except hogcount.HogcountError as e:
        print(f"seed_rewrite.py: {e}; rerun with a larger --size",
              file=sys.stderr)
        return 1
    except OSError as e:
        print(f"seed_rewrite.py: {e}", file=sys.stderr)
        return 1
    st = model.stats()
    print(f"distinct {st['distinct']} total {st['total']} "
          f"load {st['load']:.3f}")
    if args.top:
        keys, counts = model.ngrams()  # whatever the key kind
        for i in np.argsort(counts)[::-1][:args.top]:
            print(f"{keys[i]!r}\t{counts[i]}")
    if args.output:
        model.save(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
