#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Count the order-k byte fragments (k <= 8) of files with N MPI ranks
into a sharded table, from Python with mpi4py: the layout of
``hogcount-mpi count`` (docs/scaling.md), which every hogcount command
reads as one table.

    mpiexec -n 4 python3 python/examples/mpi_count.py -k 4 -o sh.hc *.txt
    hogcount dump --top 10 sh.hc

The ranks of a node (those sharing memory; HOGCOUNT_MPI_RANKS_PER_NODE=R
makes every R ranks a node, a testing aid as for hogcount-mpi) map one
table in shared memory.  The inputs are cut into blocks; in round i
rank r takes block r + i*P, makes its fragment keys with numpy, sums
their repeats (np.unique), and one Alltoallv sends each key to a rank
of the node that owns it (the partition "hck-part-1", computed by the C
key layer).  Every rank adds what it received to its node's table with
one add_batch call.  Then each node saves its shard and reports its
size and sum, and rank 0 writes the manifest, last, once it sees every
shard as its node wrote it.  Inputs must be on a file system every rank sees.
"""
import argparse
import os
import sys

import numpy as np
from mpi4py import MPI

import hogcount


def nodes(world):
    """(my node's communicator, my node, how many nodes, dest) where
    dest[j] is the rank I send node j's keys to."""
    rank = world.Get_rank()
    host = world.Split_type(MPI.COMM_TYPE_SHARED, key=rank)
    per = int(os.environ.get("HOGCOUNT_MPI_RANKS_PER_NODE") or 0)
    node = host.Split(rank // per, rank) if per > 0 else host.Dup()
    host.Free()
    lead = node.Get_rank() == 0
    leaders = world.Split(0 if lead else MPI.UNDEFINED, rank)
    nid, nnodes = (leaders.Get_rank(), leaders.Get_size()) if lead else (0, 0)
    if lead:
        leaders.Free()
    nid, nnodes = node.bcast((nid, nnodes), root=0)
    node_of = world.allgather(nid)
    members = [[q for q, j in enumerate(node_of) if j == n]
               for n in range(nnodes)]
    dest = np.array([m[rank % len(m)] for m in members], dtype=np.int64)
    return node, nid, nnodes, dest


def node_table(world, node, nid, k):
    """One table per node: node rank 0 creates it in shared memory, the
    others attach it, and its name is removed once all have it."""
    tag = world.bcast(f"/hc-mpipy-{os.getpid():x}" if world.Get_rank() == 0
                      else None, root=0)
    name = f"{tag}-{nid}"
    if node.Get_rank() == 0:
        t = hogcount.Table.for_ngrams("bytes", k, shm=name)
    node.Barrier()
    if node.Get_rank() != 0:
        t = hogcount.Table.attach(name, writable=True)
    node.Barrier()
    if node.Get_rank() == 0:
        hogcount.Table.unlink(name)
    return t


def exchange(world, dest, nnodes, keys, counts):
    """Send each key, with its count, to a rank of the node that owns
    it; returns the keys and counts this rank received."""
    size = world.Get_size()
    to = dest[hogcount.partition(keys, nnodes)]
    order = np.argsort(to, kind="stable")
    keys, counts = keys[order], counts[order]
    scount = np.bincount(to, minlength=size).astype(np.int64)
    rcount = np.empty(size, dtype=np.int64)
    world.Alltoall(scount, rcount)
    sdispl = np.concatenate(([0], np.cumsum(scount)[:-1]))
    rdispl = np.concatenate(([0], np.cumsum(rcount)[:-1]))
    got = []
    for a in (keys, counts):
        r = np.empty(int(rcount.sum()), dtype=np.uint64)
        world.Alltoallv([a, (scount, sdispl), MPI.UINT64_T],
                        [r, (rcount, rdispl), MPI.UINT64_T])
        got.append(r)
    return got


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-k", type=int, required=True, help="order, 1..8")
    ap.add_argument("-o", "--output", default="counts.hc")
    ap.add_argument("--block", type=int, default=1 << 20,
                    help="bytes of input per rank and round")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    world = MPI.COMM_WORLD
    rank, size = world.Get_rank(), world.Get_size()
    k = args.k

    # One line from rank 0 and a non-zero status on every rank.
    why = None
    if not 1 <= k <= 8:
        why = f"-k: order {k} is not 1..8"
    for p in args.files:
        if why is None and not os.access(p, os.R_OK):
            why = f"{p}: cannot read it"
    why = world.bcast(why, root=0)
    if why:
        if rank == 0:
            print(f"mpi_count.py: {why}", file=sys.stderr)
        return 1

    node, nid, nnodes, dest = nodes(world)
    t = node_table(world, node, nid, k)
    blocks = [(p, off) for p in args.files
              for off in range(0, os.path.getsize(p), args.block)]
    mine = blocks[rank::size]
    for i in range(world.allreduce(len(mine), op=MPI.MAX)):
        keys = np.empty(0, dtype=np.uint64)
        counts = keys
        if i < len(mine):
            path, off = mine[i]
            with open(path, "rb") as f:
                f.seek(off)
                # The fragments that start in this block.
                data = f.read(args.block + k - 1)
            keys, n = np.unique(hogcount.fragments(data, k),
                                return_counts=True)
            counts = n.astype(np.uint64)
        keys, counts = exchange(world, dest, nnodes, keys, counts)
        if keys.size:
            t.add_batch(keys, counts)
    world.Barrier()

    # Each node saves its shard and says what it wrote; rank 0 checks
    # that it sees the same files (a shared output directory) as it
    # writes the manifest.
    mine = None
    if node.Get_rank() == 0:
        path = hogcount.shard_path(args.output, nid, nnodes)
        t.save(path)
        mine = (nid, hogcount.shard_id(path))
    ids = [i for _, i in sorted(x for x in world.gather(mine, root=0) or []
                                if x)]
    why = None
    if rank == 0:
        try:
            hogcount.write_manifest(args.output, nnodes, t.user, ids)
        except OSError as e:
            why = str(e)
    why = world.bcast(why, root=0)
    if why:
        if rank == 0:
            print(f"mpi_count.py: {why}", file=sys.stderr)
        if node.Get_rank() == 0:
            os.unlink(hogcount.shard_path(args.output, nid, nnodes))
        return 1
    if rank == 0:
        print(f"mpi_count.py: {size} ranks, {nnodes} shards: "
              f"{args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
