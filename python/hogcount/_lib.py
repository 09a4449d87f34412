# SPDX-License-Identifier: MIT
"""Loading libhogcount.so (the kernel), libhogcount_keys.so (the key
layer) and libhogcount_input.so (the input layer) and declaring their
functions for ctypes.

Each library is found, in this order: the path in the environment
variable HOGCOUNT_LIB (HOGCOUNT_KEYS_LIB, HOGCOUNT_INPUT_LIB); the
directory recorded at
install time (``_paths.py``, written by ``cmake --install``, or by
``pip install`` where the libraries were built into the package); a
CMake build tree beside the package (``build*/kernel/libhogcount.so``,
``build*/keys/...``, ``build*/input/...``, walking up from this file: the source tree, which
has no ``_paths.py``); then the system (``ctypes.util.find_library``,
``libhogcount.so.1``).
"""
import ctypes
import ctypes.util
import glob
import os

c_u64 = ctypes.c_uint64
c_size = ctypes.c_size_t
c_vp = ctypes.c_void_p
c_int = ctypes.c_int

MODE_EXACT, MODE_HOGWILD = 1, 2
OPEN_RDONLY, OPEN_RDWR = 0, 1
ECORRUPT = -3
EIO = -6
USER_MAX = 256


class Options(ctypes.Structure):
    _fields_ = [("size", c_size), ("key_kind", c_int), ("mode", c_int),
                ("capacity", c_u64), ("dense_bits", ctypes.c_uint),
                ("grow", c_int), ("arena_bytes", c_u64), ("seed", c_u64),
                ("key_bits", ctypes.c_uint), ("max_bits", ctypes.c_uint),
                ("perm", ctypes.c_uint)]


class Stats(ctypes.Structure):
    _fields_ = [("size", c_size), ("key_kind", c_int), ("mode", c_int),
                ("capacity", c_u64), ("distinct", c_u64), ("total", c_u64),
                ("unique", c_u64), ("max_count", c_u64),
                ("claimed", c_u64), ("load", ctypes.c_double),
                ("arena_used", c_u64), ("arena_bytes", c_u64),
                ("mapped_bytes", c_u64)]


class View(ctypes.Structure):
    _fields_ = [("size", c_size), ("key_kind", c_int), ("seed", c_u64),
                ("capacity", c_u64), ("slot_size", c_size),
                ("slots", c_vp), ("zero_count", c_vp), ("zero_key", c_u64),
                ("arena", c_vp), ("arena_bytes", c_u64)]


class Verdict(ctypes.Structure):
    """hc_verdict: what hc_table_verify() found."""
    _fields_ = [("size", c_size), ("state", c_int), ("region", c_int),
                ("index", ctypes.c_uint), ("damaged", ctypes.c_uint),
                ("bytes", c_u64)]


SEAL_STATES = {0: "none", 1: "live", 2: "ok", 3: "damaged", 4: "dead"}


def _installed():
    """(libdir, soname pattern) written by pip install, or None."""
    try:
        from ._paths import LIBDIR, SONAME
        return LIBDIR, SONAME
    except ImportError:
        return None


def _candidates(env, subdir, name):
    env = os.environ.get(env)
    if env:
        yield env
        return
    installed = _installed()
    if installed:
        yield os.path.join(installed[0], installed[1] % name)
    d = os.path.dirname(os.path.abspath(__file__))
    for _ in range(4):
        d = os.path.dirname(d)
        for p in sorted(glob.glob(os.path.join(d, "build*", subdir,
                                               f"lib{name}.so"))):
            yield p
    found = ctypes.util.find_library(name)
    if found:
        yield found


def _load(env, subdir, name):
    errors = []
    for path in _candidates(env, subdir, name):
        try:
            # RTLD_GLOBAL: the key layer resolves the kernel's symbols
            # in the copy loaded here, not in a second one.
            # use_errno: HC_EIO leaves errno as the OS set it.
            return ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL,
                               use_errno=True), path
        except OSError as e:
            errors.append(f"{path}: {e}")
    raise OSError(f"lib{name}.so not found; set {env} to its path "
                  "(tried: " + "; ".join(errors) + ")")


lib, path = _load("HOGCOUNT_LIB", "kernel", "hogcount")
keys_lib, keys_path = _load("HOGCOUNT_KEYS_LIB", "keys", "hogcount_keys")

_P = ctypes.POINTER
_SIGS = {
    "hc_strerror": (ctypes.c_char_p, [c_int]),
    "hc_errname": (ctypes.c_char_p, [c_int]),
    "hc_version": (ctypes.c_char_p, []),
    "hc_options_init_size": (None, [_P(Options), c_size]),
    "hc_table_create": (c_int, [_P(c_vp), _P(Options)]),
    "hc_table_create_shm": (c_int, [_P(c_vp), ctypes.c_char_p, _P(Options)]),
    "hc_table_create_file": (c_int, [_P(c_vp), ctypes.c_char_p,
                                     _P(Options)]),
    "hc_table_attach": (c_int, [_P(c_vp), ctypes.c_char_p, c_int]),
    "hc_table_open": (c_int, [_P(c_vp), ctypes.c_char_p, c_int]),
    "hc_table_save": (c_int, [c_vp, ctypes.c_char_p]),
    "hc_table_save_compact": (c_int, [c_vp, ctypes.c_char_p]),
    "hc_table_sync": (c_int, [c_vp]),
    "hc_table_prefault": (c_int, [c_vp]),
    "hc_table_set_progress": (c_int, [c_vp, c_u64, c_u64]),
    "hc_table_close": (c_int, [c_vp]),
    "hc_shm_unlink": (c_int, [ctypes.c_char_p]),
    "hc_table_options_size": (c_int, [c_vp, _P(Options), c_size]),
    "hc_table_set_user": (c_int, [c_vp, ctypes.c_char_p, c_size]),
    "hc_table_get_user": (c_int, [c_vp, ctypes.c_char_p, c_size,
                                  _P(c_size)]),
    "hc_add": (c_int, [c_vp, c_u64, c_u64]),
    "hc_add_batch": (c_int, [c_vp, c_vp, c_vp, c_size, _P(c_size)]),
    "hc_add_batch_mode": (c_int, [c_vp, c_vp, c_vp, c_size, _P(c_size),
                                  c_int]),
    "hc_add_bytes": (c_int, [c_vp, ctypes.c_char_p, c_size, c_u64]),
    "hc_put_bytes": (c_int, [c_vp, ctypes.c_char_p, c_size, c_u64,
                             _P(c_u64)]),
    "hc_add_bytes_batch": (c_int, [c_vp, c_vp, c_vp, c_vp, c_size,
                                   _P(c_size)]),
    "hc_cache_create": (c_int, [_P(c_vp), c_vp, c_size, c_u64]),
    "hc_cache_add_batch": (c_int, [c_vp, c_vp, c_vp, c_size, _P(c_size)]),
    "hc_cache_add_bytes_batch": (c_int, [c_vp, c_vp, c_vp, c_vp, c_size,
                                         _P(c_size)]),
    "hc_cache_flush": (c_int, [c_vp]),
    "hc_cache_pending": (c_u64, [c_vp]),
    "hc_cache_destroy": (c_int, [c_vp]),
    "hc_get": (c_int, [c_vp, c_u64, _P(c_u64)]),
    "hc_get_bytes": (c_int, [c_vp, ctypes.c_char_p, c_size, _P(c_u64)]),
    "hc_table_stats": (c_int, [c_vp, _P(Stats)]),
    "hc_table_view": (c_int, [c_vp, _P(View)]),
    "hc_histo": (c_int, [c_vp, c_vp, c_size]),
    "hc_table_merge": (c_int, [c_vp, c_vp]),
    "hc_table_verify": (c_int, [c_vp, _P(Verdict)]),
    "hc_table_reseal": (c_int, [ctypes.c_char_p, _P(Verdict)]),
    "hc_region_name": (ctypes.c_char_p, [c_int]),
}
for _name, (_res, _args) in _SIGS.items():
    _f = getattr(lib, _name)
    _f.restype = _res
    _f.argtypes = _args


class Meta(ctypes.Structure):
    """hck_meta: what a table's keys mean (hogcount_keys.h)."""
    _fields_ = [("tokens", c_int), ("k", ctypes.c_uint),
                ("canonical", c_int)]


class PlanIn(ctypes.Structure):
    _fields_ = [("size", c_size), ("keys", c_u64), ("key_bytes", c_u64),
                ("arena_bytes", c_u64), ("mode", c_int), ("wide", c_int),
                ("max_capacity", c_u64)]


class Plan(ctypes.Structure):
    _fields_ = [("size", c_size), ("opt", Options), ("size_hint", c_u64)]


class ShardId(ctypes.Structure):
    """hck_shard_id: a shard file as a manifest records it."""
    _fields_ = [("size", c_u64), ("sum", c_u64)]


class ManifestInfo(ctypes.Structure):
    """hck_manifest_info: what a manifest says."""
    _fields_ = [("size", c_size), ("version", ctypes.c_uint),
                ("shards", ctypes.c_uint32), ("run", c_u64),
                ("meta", Meta)]


INT_TEXT_MAX = 32

_KSIGS = {
    "hck_tokens_name": (ctypes.c_char_p, [c_int]),
    "hck_kind_name": (ctypes.c_char_p, [c_int]),
    "hck_meta_parse": (c_int, [ctypes.c_char_p, c_size, _P(Meta)]),
    "hck_shard_path": (c_int, [ctypes.c_char_p, c_size, ctypes.c_char_p,
                               ctypes.c_uint32, ctypes.c_uint32]),
    "hck_shard_id_read": (c_int, [ctypes.c_char_p, _P(ShardId)]),
    "hck_shard_check": (c_int, [ctypes.c_char_p, _P(ShardId),
                                _P(ShardId)]),
    "hck_manifest_write": (c_int, [ctypes.c_char_p, _P(Meta),
                                   ctypes.c_uint32, c_u64, _P(ShardId)]),
    "hck_manifest_read": (c_int, [_P(c_vp), ctypes.c_char_p,
                                  _P(ctypes.c_uint),
                                  _P(ctypes.c_char_p)]),
    "hck_manifest_free": (None, [c_vp]),
    "hck_manifest_info_get": (c_int, [c_vp, _P(ManifestInfo)]),
    "hck_manifest_shard": (c_int, [c_vp, ctypes.c_uint32,
                                   _P(ctypes.c_char_p), _P(ShardId)]),
    "hck_manifest_verify": (c_int, [c_vp, _P(ctypes.c_uint32),
                                    _P(ShardId)]),
    "hck_meta_store": (c_int, [c_vp, _P(Meta)]),
    "hck_meta_load": (c_int, [c_vp, _P(Meta)]),
    "hck_int_keys": (c_int, [_P(Meta)]),
    "hck_key_encode": (c_int, [_P(Meta), ctypes.c_char_p, c_size,
                               _P(c_u64)]),
    "hck_key_decode_array": (c_int, [_P(Meta), c_vp, c_size, c_vp]),
    "hck_get_text": (c_int, [c_vp, _P(Meta), ctypes.c_char_p, c_size,
                             _P(c_u64)]),
    "hck_plan_in_init": (None, [_P(PlanIn)]),
    "hck_plan_table": (c_int, [_P(Meta), _P(PlanIn), _P(Plan)]),
    "hck_plan_chunk": (c_u64, [c_u64, c_u64]),
    "hck_export": (c_int, [c_vp, c_vp, c_vp, c_size, _P(c_size)]),
    "hck_part_keys": (c_int, [c_vp, c_size, ctypes.c_uint32, c_vp]),
    "hck_table_filter": (c_int, [_P(c_vp), c_vp, c_u64, c_u64]),
    "hck_export_bytes": (c_int, [c_vp, c_vp, c_size, c_vp, c_vp, c_size,
                                 _P(c_size), _P(c_size)]),
}
for _name, (_res, _args) in _KSIGS.items():
    _f = getattr(keys_lib, _name)
    _f.restype = _res
    _f.argtypes = _args


def _names(fn):
    """{name: value} of an enum whose names the C library gives (fn:
    values 1, 2, ... up to the first "?"), never written here."""
    names = {}
    while True:
        name = fn(len(names) + 1).decode("ascii")
        if name == "?":
            return names
        names[name] = len(names) + 1


# The token kinds (enum hck_tokens) and the key kinds (enum
# hc_key_kind), by the names the CLI prints.
TOKENS = _names(keys_lib.hck_tokens_name)
KINDS = _names(keys_lib.hck_kind_name)
KEY_U64, KEY_BYTES, KEY_DENSE, KEY_PACKED, KEY_NARROW = (
    KINDS[n] for n in ("u64", "bytes", "dense", "packed", "narrow"))

# The input layer (hogcount_input.h): files opened, decompressed and cut
# in C, for hogcount.count_files.
input_lib, input_path = _load("HOGCOUNT_INPUT_LIB", "input",
                              "hogcount_input")


class InputStats(ctypes.Structure):
    """hci_stats: what a job holds and has done."""
    _fields_ = [("size", c_size), ("inputs", c_size), ("items", c_size),
                ("total", c_u64), ("have_stdin", c_int),
                ("blocks", ctypes.c_uint), ("done", c_u64),
                ("skipped", c_u64), ("added", c_u64),
                ("blocks_shared", c_u64)]


_ISIGS = {
    "hci_strerror": (ctypes.c_char_p, [c_int]),
    "hci_errname": (ctypes.c_char_p, [c_int]),
    "hci_job_create": (c_int, [_P(c_vp), c_int, c_u64]),
    "hci_job_add": (c_int, [c_vp, ctypes.c_char_p]),
    "hci_job_share": (c_int, [c_vp, ctypes.c_uint]),
    "hci_job_count": (c_int, [c_vp, c_vp, _P(Meta)]),
    "hci_job_failed": (c_int, [c_vp]),
    "hci_job_stats": (c_int, [c_vp, _P(InputStats)]),
    "hci_job_error": (c_int, [c_vp, _P(c_int), _P(ctypes.c_char_p),
                              _P(ctypes.c_char_p)]),
    "hci_job_destroy": (None, [c_vp]),
}
for _name, (_res, _args) in _ISIGS.items():
    _f = getattr(input_lib, _name)
    _f.restype = _res
    _f.argtypes = _args


def numpy():
    """numpy, imported where an array is made or read rather than with
    the package, so that a parent that only counts files (count_files,
    Job) never loads it."""
    import numpy as np
    return np
