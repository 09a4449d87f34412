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
mapping, and one hogcount.Job over all the files, before the pool
forks its workers; each pool_worker counts into that table through the
package's C path (Job.count(): the input layer reads, cuts and
tokenizes in C, the same code as ``hogcount count``), taking ranges of
the files from the job's shared cursor until none is left, and returns
only an integer.  Nothing is pickled but integers, there is no merge,
and the parent holds the finished model the moment the last worker is
done.  The table's kind and starting size are the CLI's (the key
layer's plan, no size estimate: it grows), and -o saves it compact, as
``hogcount count -o`` does.

    seed_rewrite.py -k 4 -j 2 -o model.hc data/*.txt
    hogcount dump --top 10 model.hc
    hogcount model perplexity model.hc heldout.txt
"""
import argparse
import logging
import multiprocessing as mp
import os
import random
import signal
import sys
import tempfile

import numpy as np

try:  # the package as installed (pip, cmake --install) ...
    import hogcount
except ImportError:  # ... or the one of this source tree
    sys.path.insert(0, os.path.join(
        os.path.dirname(os.path.abspath(__file__)), ".."))
    import hogcount  # noqa: E402

logger = logging.getLogger("seed_rewrite")
CHUNK = None  # bytes a work item; None: as `hogcount count` plans it

# The model and the work: set by generateModel() before the pool forks,
# so every worker inherits the same mappings.  Never pickled.
_job = None


def pool_worker(i):
    """Count order-k byte fragments of the job's files into the shared
    table until no range is left; returns an int (what was added, by
    all the workers that have finished)."""
    logger.info(f"worker {i} (pid {os.getpid()}): counting")
    return _job.count()


def _worker_init():
    # Ctrl-C is the parent's: it leaves the pool, whose exit kills the
    # workers (SIGTERM), so they print no traceback of their own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def mock_inputs(files, tmp):
    """The seed's mock model: each file's lines in a random order,
    written to a copy in ``tmp`` (the seed shuffled in memory)."""
    out = []
    for n, name in enumerate(files):
        with open(name, "rb") as f:
            lines = f.read().splitlines(keepends=True)
        random.shuffle(lines)
        out.append(os.path.join(tmp, f"{n}.txt"))
        with open(out[-1], "wb") as f:
            f.writelines(lines)
    return out


def generateModel(files, order, nthreads, is_mock=False, size=0,
                  mode="exact", progress=False):
    """One shared table, nthreads forked workers adding into it."""
    global _job
    with tempfile.TemporaryDirectory() as tmp:
        if is_mock:
            files = mock_inputs(files, tmp)
        # The key layer plans the table (kind, start) as `hogcount
        # count --bytes -k K` does, and writes the record; ``size`` is
        # only a hint for the start, as count --size.
        _job = hogcount.Job(files, k=order, tokens="bytes", keys=size,
                            mode=mode, workers=nthreads, chunk=CHUNK)
        try:
            table = _job.table
            logger.info(f"table: {table.key_kind}, "
                        f"{table.options()['capacity']} slots (grows)")
            # fork: the workers inherit the table and the job; only
            # worker numbers go out and integers come back.
            with mp.get_context("fork").Pool(nthreads,
                                              _worker_init) as pool:
                r = pool.map_async(pool_worker, range(nthreads), 1)
                while not r.ready():
                    r.wait(0.25)
                    if progress:
                        st = _job.stats()
                        print(f"\rseed_rewrite: {st['done'] >> 20} of "
                              f"{st['total'] >> 20} MiB", end="",
                              file=sys.stderr, flush=True)
                if progress:
                    print("\r\033[K", end="", file=sys.stderr, flush=True)
                logger.info(f"{max(r.get())} fragments, nothing to merge")
        finally:
            _job.close()
            _job = None
    return table


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input", nargs="+", help="text files (or gzip, xz, "
                    "bzip2, zstd)")
    ap.add_argument("-k", "--order", type=int, default=4)
    ap.add_argument("-j", "--nthreads", type=int, default=os.cpu_count())
    ap.add_argument("-o", "--output", help="save the table, compact as "
                    "hogcount count -o (for the CLI: dump/model)")
    ap.add_argument("-s", "--size", type=int, default=0,
                    help="expected distinct fragments: a hint for the "
                    "starting size, as count --size (the table grows)")
    ap.add_argument("--mode", choices=("exact", "hogwild"), default="exact")
    ap.add_argument("--mock", action="store_true", help="shuffle lines")
    ap.add_argument("--progress", action="store_true",
                    help="show the bytes read on stderr")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else
                        logging.WARNING, format="%(message)s")
    if not 1 <= args.order <= 64:
        ap.error("--order: 1..64")
    try:
        model = generateModel(args.input, args.order, args.nthreads,
                              args.mock, args.size, args.mode,
                              args.progress)
    except (hogcount.HogcountError, OSError) as e:
        print(f"seed_rewrite.py: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("seed_rewrite.py: interrupted", file=sys.stderr)
        return 130
    st = model.stats()
    print(f"distinct {st['distinct']} total {st['total']} "
          f"load {st['load']:.3f}")
    if args.top:
        keys, counts = model.ngrams()  # whatever the key kind
        for i in np.argsort(counts)[::-1][:args.top]:
            print(f"{keys[i]!r}\t{counts[i]}")
    if args.output:
        model.save(args.output)  # compact, as hogcount count -o
    return 0


if __name__ == "__main__":
    sys.exit(main())
