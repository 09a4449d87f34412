# SPDX-License-Identifier: MIT
"""pip install ./python: the package, with the C libraries it loads.

The package is pure Python over ctypes; what pip needs to add is
libhogcount (the kernel), libhogcount_keys (the key layer) and
libhogcount_input (the input layer).  Where they come from
(HOGCOUNT_LIBS):

  build      CMake builds them from the source tree this directory is
             in (the kernel, the key and the input layer only: no
             tests, CLI or stress), into pip's build directory; they are copied into
             the package, beside _lib.py, and _paths.py points there.
  installed  a libhogcount installed with cmake --install, found by
             pkg-config (PKG_CONFIG_PATH) with this package's version
             and the other two beside it; _paths.py points to its
             directory and nothing is copied.
  auto       (default) build where the source tree and cmake are
             there, else installed.

Nothing is downloaded: with --no-build-isolation, setuptools and wheel
come from the system (Debian: python3-setuptools, python3-wheel).
"""
import os
import re
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
LIBS = ("hogcount", "hogcount_keys", "hogcount_input")
SUBDIRS = {"hogcount": "kernel", "hogcount_keys": "keys",
           "hogcount_input": "input"}


def from_cmake(pattern):
    """A value of the top CMakeLists.txt, or None outside the tree."""
    try:
        with open(os.path.join(SRC, "CMakeLists.txt")) as f:
            m = re.search(pattern, f.read())
            return m.group(1) if m else None
    except OSError:
        return None


def version():
    """The project's version."""
    return from_cmake(r"project\(hogcount VERSION ([0-9.]+)") or "0.2.0"


def soname(name):
    """The file name the loader asks for: lib<name>.so.<ABI number>."""
    abi = from_cmake(r"set\(HC_SOVERSION ([0-9]+)\)") or "1"
    return f"lib{name}.so.{abi}"


def have_source():
    return (os.path.exists(os.path.join(SRC, "kernel", "CMakeLists.txt"))
            and shutil.which("cmake") is not None)


def installed_libdir(want):
    """The libdir of an installed libhogcount of version @want, or
    None."""
    try:
        v = subprocess.run(["pkg-config", "--modversion", "hogcount"],
                           capture_output=True, text=True, check=True)
        d = subprocess.run(["pkg-config", "--variable=libdir", "hogcount"],
                           capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    libdir = d.stdout.strip()
    if v.stdout.strip() != want:
        return None
    for name in LIBS:
        if not os.path.exists(os.path.join(libdir, soname(name))):
            return None
    return libdir


class BinaryDistribution(Distribution):
    """The wheel carries shared libraries: tag it for this platform."""

    def has_ext_modules(self):
        return True


class BuildWithLibs(build_py):
    def run(self):
        super().run()
        pkg = os.path.join(self.build_lib, "hogcount")
        how = os.environ.get("HOGCOUNT_LIBS", "auto")
        if how not in ("auto", "build", "installed"):
            raise SystemExit(f"HOGCOUNT_LIBS={how}: use auto, build or "
                             "installed")
        if how == "auto":
            how = "build" if have_source() else "installed"
        if how == "installed":
            libdir = installed_libdir(version())
            if not libdir:
                raise SystemExit(
                    f"hogcount: no installed libhogcount {version()} found "
                    "by pkg-config (set PKG_CONFIG_PATH to its "
                    "lib/pkgconfig), and no source tree with cmake to "
                    "build one")
            self.announce(f"hogcount: using the libraries in {libdir}", 2)
            self.write_paths(pkg, repr(libdir))
            return
        if not have_source():
            raise SystemExit(f"hogcount: HOGCOUNT_LIBS=build needs cmake "
                             f"and the source tree around {HERE}")
        self.build_libs(pkg)
        self.write_paths(pkg, "os.path.dirname(os.path.abspath(__file__))")

    def build_libs(self, pkg):
        temp = os.path.abspath(
            self.get_finalized_command("build").build_temp)
        cbuild = os.path.join(temp, "cmake")
        jobs = str(os.cpu_count() or 1)
        # RUNPATH $ORIGIN: the key layer finds the kernel beside it.
        steps = [
            ["cmake", "-S", SRC, "-B", cbuild, "-DCMAKE_BUILD_TYPE=Release",
             "-DHC_BUILD_TESTS=OFF", "-DHC_BUILD_STRESS=OFF",
             "-DHC_BUILD_CLI=OFF", "-DCMAKE_BUILD_WITH_INSTALL_RPATH=ON",
             "-DCMAKE_INSTALL_RPATH=$ORIGIN"],
            ["cmake", "--build", cbuild, "-j", jobs, "--target",
             "hogcount_shared", "hogcount_keys_shared",
             "hogcount_input_shared"],
        ]
        for cmd in steps:
            self.announce("hogcount: " + " ".join(cmd), 2)
            subprocess.run(cmd, check=True)
        os.makedirs(pkg, exist_ok=True)
        for name in LIBS:
            sub = SUBDIRS[name]
            # The real file under the name the loader asks for (the
            # soname): the key layer's DT_NEEDED libhogcount.so.N is
            # the kernel _lib.py loaded first.
            src = os.path.realpath(os.path.join(cbuild, sub, soname(name)))
            shutil.copyfile(src, os.path.join(pkg, soname(name)))

    def write_paths(self, pkg, expr):
        with open(os.path.join(pkg, "_paths.py"), "w") as f:
            f.write("# SPDX-License-Identifier: MIT\n"
                    "# Written by pip install (python/setup.py): where "
                    "the libraries are.\n"
                    "import os\n\n"
                    f"LIBDIR = {expr}\n"
                    f"SONAME = {soname('%s')!r}\n")


setup(
    version=version(),
    packages=["hogcount"],
    cmdclass={"build_py": BuildWithLibs},
    distclass=BinaryDistribution,
    zip_safe=False,
)
