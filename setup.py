"""Build fastwsgi._core: the Cython engine plus the C helpers in csrc/.

Options (httptools/uvloop style) via environment, so that `pip install -e .`
and `python setup.py build_ext` take them alike:
  FASTWSGI_DEBUG=1     define FASTWSGI_DEBUG, keep asserts, -O0 -g
  FASTWSGI_ANNOTATE=1  write Cython's HTML annotation next to _core.pyx
  FASTWSGI_WERROR=1    turn C warnings into errors (CI)
"""
import glob
import os
import shutil
import subprocess
import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("FASTWSGI_DEBUG") == "1"
WERROR = os.environ.get("FASTWSGI_WERROR") == "1"

cflags = ["-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"]
cflags += ["-O0", "-g"] if DEBUG else ["-O2"]
if WERROR:
    cflags.append("-Werror")
macros = [("FASTWSGI_DEBUG", "1")] if DEBUG else [("NDEBUG", "1")]


# -- System libraries found with pkg-config: libssl (csrc/fw_tls.c, TLS) and
# liburing (csrc/fw_uring.c, the io_uring backend) ---------------------------
def pkg_flags(package, what, debian):
    """(include dirs, library dirs, libraries) of a pkg-config package, or
    exit with one line saying what to install."""
    fix = f"install pkg-config and {debian} (Debian/Ubuntu: apt-get install pkg-config {debian})"
    if shutil.which("pkg-config") is None:
        sys.exit(f"fastwsgi build: pkg-config not found; {fix}")
    try:
        out = subprocess.run(["pkg-config", "--cflags", "--libs", package], check=True,
                             capture_output=True, text=True).stdout.split()
    except subprocess.CalledProcessError:
        sys.exit(f"fastwsgi build: pkg-config does not find {package} ({what}); {fix}")
    return ([f[2:] for f in out if f.startswith("-I")], [f[2:] for f in out if f.startswith("-L")],
            [f[2:] for f in out if f.startswith("-l")])


ssl_includes, ssl_libdirs, ssl_libs = pkg_flags("openssl", "libssl", "libssl-dev")
uring_includes, uring_libdirs, uring_libs = pkg_flags("liburing", "liburing", "liburing-dev")
# ---------------------------------------------------------------------------

core = Extension(
    "fastwsgi._core",
    sources=["fastwsgi/_core.pyx"] + sorted(glob.glob("csrc/*.c")),
    include_dirs=["csrc"] + ssl_includes + uring_includes,
    library_dirs=ssl_libdirs + uring_libdirs,
    define_macros=macros,
    extra_compile_args=cflags,
    libraries=["dl"] + ssl_libs + uring_libs,
    depends=sorted(glob.glob("csrc/*.h") + glob.glob("fastwsgi/engine/*.pyx")
                   + glob.glob("fastwsgi/engine/*.pxd") + ["fastwsgi/_core.pxd"]
                   + glob.glob("fastwsgi/includes/*.pxd")),
)

setup(
    ext_modules=cythonize(
        [core],
        language_level=3,
        annotate=os.environ.get("FASTWSGI_ANNOTATE") == "1",
        compiler_directives={
            "boundscheck": DEBUG,
            "wraparound": False,
            "cdivision": True,
            "embedsignature": True,
        },
    ),
)
