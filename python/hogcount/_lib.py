# SPDX-License-Identifier: MIT
"""Loading libhogcount.so and declaring its functions for ctypes.

The library is found, in this order: the path in the environment
variable HOGCOUNT_LIB; a CMake build tree beside the package
(``build*/kernel/libhogcount.so``, walking up from this file); then the
system (``ctypes.util.find_library("hogcount")``, libhogcount.so.0).
"""
import ctypes
import ctypes.util
import glob
import os

c_u64 = ctypes.c_uint64
c_size = ctypes.c_size_t
c_vp = ctypes.c_void_p
c_int = ctypes.c_int

KEY_U64, KEY_BYTES, KEY_DENSE, KEY_PACKED = 1, 2, 3, 4
MODE_EXACT, MODE_HOGWILD = 1, 2
OPEN_RDONLY, OPEN_RDWR = 0, 1
USER_MAX = 256


class Options(ctypes.Structure):
    _fields_ = [("size", c_size), ("key_kind", c_int), ("mode", c_int),
                ("capacity", c_u64), ("dense_bits", ctypes.c_uint),
                ("arena_bytes", c_u64), ("seed", c_u64),
                ("key_bits", ctypes.c_uint)]


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


def _candidates():
    env = os.environ.get("HOGCOUNT_LIB")
    if env:
        yield env
        return
    d = os.path.dirname(os.path.abspath(__file__))
    for _ in range(4):
        d = os.path.dirname(d)
        for p in sorted(glob.glob(os.path.join(d, "build*", "kernel",
                                               "libhogcount.so"))):
            yield p
    found = ctypes.util.find_library("hogcount")
    if found:
        yield found
    yield "libhogcount.so.0"


def _load():
    errors = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            errors.append(f"{path}: {e}")
    raise OSError("libhogcount.so not found; set HOGCOUNT_LIB to its path "
                  "(tried: " + "; ".join(errors) + ")")


lib, path = _load()

_P = ctypes.POINTER
_SIGS = {
    "hc_strerror": (ctypes.c_char_p, [c_int]),
    "hc_errname": (ctypes.c_char_p, [c_int]),
    "hc_version": (ctypes.c_char_p, []),
    "hc_options_init": (None, [_P(Options)]),
    "hc_table_create": (c_int, [_P(c_vp), _P(Options)]),
    "hc_table_create_shm": (c_int, [_P(c_vp), ctypes.c_char_p, _P(Options)]),
    "hc_table_create_file": (c_int, [_P(c_vp), ctypes.c_char_p,
                                     _P(Options)]),
    "hc_table_attach": (c_int, [_P(c_vp), ctypes.c_char_p, c_int]),
    "hc_table_open": (c_int, [_P(c_vp), ctypes.c_char_p, c_int]),
    "hc_table_save": (c_int, [c_vp, ctypes.c_char_p]),
    "hc_table_sync": (c_int, [c_vp]),
    "hc_table_prefault": (c_int, [c_vp]),
    "hc_table_close": (c_int, [c_vp]),
    "hc_shm_unlink": (c_int, [ctypes.c_char_p]),
    "hc_table_options": (c_int, [c_vp, _P(Options)]),
    "hc_table_set_user": (c_int, [c_vp, ctypes.c_char_p, c_size]),
    "hc_table_get_user": (c_int, [c_vp, ctypes.c_char_p, c_size,
                                  _P(c_size)]),
    "hc_add": (c_int, [c_vp, c_u64, c_u64]),
    "hc_add_batch": (c_int, [c_vp, c_vp, c_vp, c_size, _P(c_size)]),
    "hc_add_batch_mode": (c_int, [c_vp, c_vp, c_vp, c_size, _P(c_size),
                                  c_int]),
    "hc_add_bytes": (c_int, [c_vp, ctypes.c_char_p, c_size, c_u64]),
    "hc_add_bytes_batch": (c_int, [c_vp, c_vp, c_vp, c_vp, c_size,
                                   _P(c_size)]),
    "hc_get": (c_int, [c_vp, c_u64, _P(c_u64)]),
    "hc_get_bytes": (c_int, [c_vp, ctypes.c_char_p, c_size, _P(c_u64)]),
    "hc_table_stats": (c_int, [c_vp, _P(Stats)]),
    "hc_table_view": (c_int, [c_vp, _P(View)]),
    "hc_histo": (c_int, [c_vp, c_vp, c_size]),
    "hc_table_merge": (c_int, [c_vp, c_vp]),
}
for _name, (_res, _args) in _SIGS.items():
    _f = getattr(lib, _name)
    _f.restype = _res
    _f.argtypes = _args
