#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Benchmark (not a test): the seed's approach against hogcount, on the
same generated text, order-k byte fragments.

  seed      a Counter of all order-k fragments of each file, built in a
            multiprocessing.Pool, pickled back and merged with +=
            (the seed question's pool_worker/generateModel)
  python    python/examples/seed_rewrite.py: one shared hogcount table,
            a Pool whose workers count into it through the package's C
            path (hogcount.Job.count()), saved compact (-o)
  cli       hogcount count --bytes -k K -o OUT

Both hogcount paths start with the plan of the key layer (no --size:
a small table that grows) and save compact.

Each run is a child process; a sampler reads /proc of its whole process
tree every 10 ms and reports the wall time, the sum over processes of
their peak RSS (VmHWM: a shared table counts once per process that
touched it, so this overstates hogcount), and the peak of the summed
PSS (shared pages split between the processes that map them).

    python/bench/bench_seed.py --hogcount ./build/hogcount
        # 800 MB generated, orders 4 6 8, 3 runs (the seed's: 1)
    python/bench/bench_seed.py --mb 16 --reps 1   # the pipeline only
    python/bench/bench_seed.py --hogcount ./build/hogcount FILE...
        # your corpus instead of the generated one
"""
import argparse
import collections
import json
import multiprocessing as mp
import os
import resource
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else \
    sys.executable


# ---- the seed's approach, as the question wrote it -----------------------

class FragmentModel(collections.Counter):
    """The seed's additive model: counts of order-k fragments, merged
    with += (Counter's __add__)."""

    def __init__(self, order=None, indata=None):
        if not isinstance(order, int):
            # Unpickling: Counter.__reduce__ passes the counts.
            super().__init__(order or {})
            return
        super().__init__()
        if indata is not None:
            text = indata.read()
            self.update(text[i:i + order]
                        for i in range(len(text) - order + 1))


def pool_worker(filename, order):
    with open(filename, "r", encoding="latin-1", newline="") as f:
        return FragmentModel(order=order, indata=f)


def seed_generate(files, order, nthreads):
    from functools import partial
    model = None
    with mp.Pool(nthreads) as pool:
        for m in pool.imap_unordered(partial(pool_worker, order=order),
                                     files):
            if model is None:
                model = m
            else:
                model += m
    return model


# ---- measuring ------------------------------------------------------------

def _children(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def _status_kb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(cmd):
    """Run cmd; returns (wall s, summed peak RSS MiB, peak summed PSS MiB,
    stdout, CPU s of the whole tree (user + system))."""
    hwm = {}
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_pss = [0]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    done = threading.Event()

    def sample():
        while not done.is_set():
            todo, tree = [p.pid], []
            while todo:
                q = todo.pop()
                tree.append(q)
                todo += _children(q)
            pss = 0
            for q in tree:
                v = _status_kb(q, "VmHWM:")
                if v is not None:
                    hwm[q] = max(hwm.get(q, 0), v)
                pss += _pss_kb(q)
            peak_pss[0] = max(peak_pss[0], pss)
            done.wait(0.01)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, _ = p.communicate()
    wall = time.monotonic() - t0
    done.set()
    th.join()
    if p.returncode:
        raise RuntimeError(f"{cmd}: exit {p.returncode}")
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    return wall, sum(hwm.values()) / 1024, peak_pss[0] / 1024, out, cpu


def make_corpus(d, mb, nfiles):
    gen = os.path.join(d, "gen_text")
    if not os.path.exists(gen):
        subprocess.run(["cc", "-O2", "-o", gen,
                        os.path.join(TOP, "scripts", "gen_text.c"), "-lm"],
                       check=True)
    files = []
    per = mb * 1000 * 1000 // nfiles
    for i in range(nfiles):
        p = os.path.join(d, f"text{i}.txt")
        if not os.path.exists(p) or os.path.getsize(p) < per:
            with open(p, "wb") as f:
                subprocess.run([gen, "--bytes", str(per), "--seed",
                                str(i + 1)], stdout=f, check=True)
        files.append(p)
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", choices=("seed",), help=argparse.SUPPRESS)
    ap.add_argument("--mb", type=int, default=800, help="corpus size, MB")
    ap.add_argument("--files", type=int, default=8, dest="nfiles")
    ap.add_argument("--orders", type=int, nargs="+", default=[4, 6, 8])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seed-reps", type=int, default=1,
                    help="runs of the (slow) seed approach (default 1)")
    ap.add_argument("-j", "--workers", type=int, default=2)
    ap.add_argument("--dir", default="/tmp/hc-bench")
    ap.add_argument("--hogcount", default=os.path.join(TOP, "build",
                                                       "hogcount"))
    ap.add_argument("--only", nargs="+",
                    default=["seed", "python", "cli"])
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    if a.run == "seed":
        model = seed_generate(a.files, a.orders[0], a.workers)
        print(json.dumps({"distinct": len(model),
                          "total": sum(model.values())}))
        return 0
    os.makedirs(a.dir, exist_ok=True)
    files = [os.path.abspath(f) for f in a.files] or \
        make_corpus(a.dir, a.mb, a.nfiles)
    total = sum(os.path.getsize(f) for f in files)
    print(f"# corpus {total / 1e6:.0f} MB in {len(files)} files; "
          f"{a.workers} workers; {a.reps} runs, medians", flush=True)
    results = {}
    for k in a.orders:
        out = os.path.join(a.dir, f"k{k}.hc")
        cmds = {
            "seed": [PY, os.path.abspath(__file__), "--run", "seed",
                     "--orders", str(k), "-j", str(a.workers), "--"] + files,
            "python": [PY, os.path.join(TOP, "python", "examples",
                                        "seed_rewrite.py"),
                       "-k", str(k), "-j", str(a.workers), "--top", "0",
                       "-o", out] + files,
            "cli": [a.hogcount, "count", "-q", "--bytes", "-k", str(k),
                    "-j", str(a.workers), "-o", out] + files,
        }
        for name in a.only:
            runs = []
            reps = a.seed_reps if name == "seed" and a.seed_reps else \
                a.reps
            for _ in range(reps):
                if os.path.exists(out):
                    os.unlink(out)
                runs.append(measure(cmds[name]))
            wall = statistics.median(r[0] for r in runs)
            rss = statistics.median(r[1] for r in runs)
            pss = statistics.median(r[2] for r in runs)
            cpu = statistics.median(r[4] for r in runs)
            results[(k, name)] = (wall, rss, pss, cpu)
            line = runs[0][3].decode().strip().splitlines()
            print(f"k={k} {name:6s} wall {wall:7.2f} s  CPU {cpu:7.2f} s  "
                  f"sum peak RSS "
                  f"{rss:7.0f} MiB  peak PSS {pss:7.0f} MiB  "
                  f"[{line[-1] if line else ''}] "
                  f"walls {[round(r[0], 2) for r in runs]}", flush=True)
        if (k, "seed") in results:
            sw, sr, sp, sc = results[(k, "seed")]
            for name in ("python", "cli"):
                if (k, name) in results:
                    w, r, p, c = results[(k, name)]
                    print(f"k={k} {name}: {sw / w:.1f}x faster (wall), "
                          f"{sc / c:.1f}x less CPU, RSS {r / sr:.2f}x, "
                          f"PSS {p / sp:.2f}x of seed", flush=True)
        if (k, "python") in results and (k, "cli") in results:
            pw, _, pp, _ = results[(k, "python")]
            cw, _, cp, _ = results[(k, "cli")]
            print(f"k={k} python/cli: wall {pw / cw:.2f}x, PSS "
                  f"{pp / cp:.2f}x (bars <= 1.3)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
