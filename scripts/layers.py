#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The include graph of hogcount's layers, and its check.

    python3 scripts/layers.py           print the graph: layer -> layers
    python3 scripts/layers.py --check   exit 1 on a violation

Layers and what each may include (besides itself and the C library):
    kernel (kernel/, include/)  -
    keys   (keys/)              kernel
    input  (input/)             keys, kernel
    model  (model/)             input, keys, kernel
    tool   (tool/)              model, input, keys, kernel
    cli    (cli/)               tool, model, input, keys, kernel
    mpi    (mpi/)               tool, model, input, keys, kernel
    python (python/)            loads libhogcount, libhogcount_keys and
                                libhogcount_input (ctypes), copies no
                                private constant
    fuzz   (fuzz/)              input, keys, kernel
tool/ is what the two command-line tools share (hogcount in cli/,
hogcount-mpi in mpi/); every header in it is its interface to them.
Nothing includes a header of cli/ but cli/, and no CMake file outside
cli/ names a source or header of cli/: nothing reaches into cli/.
The public header of the libraries is include/hogcount.h,
keys/hogcount_keys.h, input/hogcount_input.h or model/hogcount_model.h; every
other header of a layer is private to it (the *_internal.h files,
kmer.h, ...) and is included only in its own directory.  tests/ and
stress/ test the kernel and may use its private headers.  A violation
is an include of another layer's private header, or of a layer that is
not below.
"""
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYERS = {"kernel": ["kernel", "include"], "keys": ["keys"],
          "input": ["input"], "model": ["model"], "tool": ["tool"],
          "cli": ["cli"], "mpi": ["mpi"]}
PUBLIC = {"hogcount.h": "kernel", "hogcount_keys.h": "keys",
          "hogcount_input.h": "input", "hogcount_model.h": "model"}
# Layers whose every header is their interface to the layers above.
OPEN = {"tool"}
LIBS = {"kernel", "keys", "input"}
ALLOWED = {"kernel": set(), "keys": {"kernel"},
           "input": {"keys", "kernel"},
           "model": {"input", "keys", "kernel"},
           "tool": {"model"} | LIBS,
           "cli": {"tool", "model"} | LIBS,
           "mpi": {"tool", "model"} | LIBS,
           "fuzz": LIBS,
           "tests": {"kernel"}, "stress": {"kernel"},
           "examples": {"model"} | LIBS}
# A CMake file outside cli/ that names a file or the directory of cli/.
INTO_CLI = re.compile(r'(?:^|[/"\s])cli/[\w./-]+\.[ch]\b|'
                      r'_DIR\}/cli\b(?!/CMakeLists)', re.M)
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
    for top in ALLOWED:
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
                    private = PUBLIC.get(base) != dst and \
                        dst not in OPEN
                    kernel_test = src in ("tests", "stress") and \
                        dst == "kernel"
                    if dst not in ALLOWED.get(src, set()):
                        bad.append(f"{rel}: {src} includes {inc} of "
                                   f"{dst}, which is not below it")
                    elif private and not kernel_test:
                        bad.append(f"{rel}: includes {inc}, private to "
                                   f"{hdir}/")
    # Nothing compiles a source of cli/ or includes from it but cli/.
    for root, dirs, files in os.walk(TOP):
        rel_root = os.path.relpath(root, TOP)
        dirs[:] = [d for d in dirs if not d.startswith((".", "build"))]
        if rel_root.split(os.sep)[0] == "cli":
            continue
        for f in files:
            if f != "CMakeLists.txt" and not f.endswith(".cmake"):
                continue
            rel = os.path.normpath(os.path.join(rel_root, f))
            with open(os.path.join(root, f), encoding="utf-8") as fh:
                for n, line in enumerate(fh, 1):
                    if INTO_CLI.search(line.split("#")[0]):
                        bad.append(f"{rel}:{n}: reaches into cli/: "
                                   f"{line.strip()}")
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
                {"kernel": "kernel", "keys": "keys", "input": "input",
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
