#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The include graph of hogcount's layers, and its check.

    python3 scripts/layers.py           print the graph: layer -> layers
    python3 scripts/layers.py --check   exit 1 on a violation

Layers and what each may include (besides itself and the C library):
    kernel (kernel/, include/)  -
    keys   (keys/)              kernel
    model  (model/)             keys, kernel
    cli    (cli/, mpi/)         model, keys, kernel
    python (python/)            loads libhogcount and libhogcount_keys
                                (ctypes), copies no private constant
A layer's public header is include/hogcount.h, keys/hogcount_keys.h or
model/hogcount_model.h; every other header of a layer is private to it (the
*_internal.h files, kmer.h, ...) and is included only in its own
directory.  tests/ and stress/ test the kernel and may use its private
headers.  A violation is an include of another layer's private header,
or of a layer that is not below.
"""
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYERS = {"kernel": ["kernel", "include"], "keys": ["keys"],
          "model": ["model"], "cli": ["cli", "mpi"]}
PUBLIC = {"hogcount.h": "kernel", "hogcount_keys.h": "keys",
          "hogcount_model.h": "model"}
ALLOWED = {"kernel": set(), "keys": {"kernel"},
           "model": {"keys", "kernel"},
           "cli": {"model", "keys", "kernel"},
           "tests": {"kernel"}, "stress": {"kernel"},
           "examples": {"kernel", "keys", "model"}}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
LOAD = re.compile(r'_load\("[A-Z_]+", "([a-z]+)"')
PRIVATE_CONSTANTS = ("0xff51afd7ed558ccd", "0xc4ceb9fe1a85ec53")


def layer_of(rel):
    top = rel.split(os.sep)[0]
    for name, dirs in LAYERS.items():
        if top in dirs:
            return name
    return top


def headers():
    """Every quoted header name -> (layer, its directory)."""
    out = {}
    for name, dirs in LAYERS.items():
        for d in dirs:
            for root, _, files in os.walk(os.path.join(TOP, d)):
                for f in files:
                    if f.endswith(".h"):
                        out.setdefault(f, (name, os.path.relpath(root,
                                                                 TOP)))
    return out


def main():
    check = "--check" in sys.argv[1:]
    hdr = headers()
    graph, bad = {}, []
    for top in list(ALLOWED) + ["mpi"]:
        for root, _, files in os.walk(os.path.join(TOP, top)):
            if "/build" in root:
                continue
            for f in files:
                if not f.endswith((".c", ".h")):
                    continue
                path = os.path.join(root, f)
                rel = os.path.relpath(path, TOP)
                src = layer_of(rel)
                with open(path, encoding="utf-8", errors="replace") as fh:
                    text = fh.read()
                for inc in INCLUDE.findall(text):
                    base = os.path.basename(inc)
                    if base not in hdr:
                        continue
                    dst, hdir = hdr[base]
                    if dst == src:
                        continue
                    graph.setdefault(src, set()).add(dst)
                    private = PUBLIC.get(base) != dst
                    kernel_test = src in ("tests", "stress") and \
                        dst == "kernel"
                    if dst not in ALLOWED.get(src, set()):
                        bad.append(f"{rel}: {src} includes {inc} of "
                                   f"{dst}, which is not below it")
                    elif private and not kernel_test:
                        bad.append(f"{rel}: includes {inc}, private to "
                                   f"{hdir}/")
    # python: the libraries it loads through ctypes, and no copy of the
    # kernel's private hash constants (mix64, kernel/hash.c).
    pydir = os.path.join(TOP, "python", "hogcount")
    for f in sorted(os.listdir(pydir)) if os.path.isdir(pydir) else []:
        if not f.endswith(".py"):
            continue
        with open(os.path.join(pydir, f), encoding="utf-8") as fh:
            text = fh.read()
        for sub in LOAD.findall(text):
            graph.setdefault("python", set()).add(
                {"kernel": "kernel", "keys": "keys",
                 "model": "model"}.get(sub, sub))
        for c in PRIVATE_CONSTANTS:
            if c in text.lower():
                bad.append(f"python/hogcount/{f}: copies the kernel's "
                           f"private hash constant {c}")
    for src in sorted(graph):
        print(f"{src} -> {', '.join(sorted(graph[src]))}")
    for b in bad:
        print("layers: " + b, file=sys.stderr)
    return 1 if check and bad else 0


if __name__ == "__main__":
    sys.exit(main())
