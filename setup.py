"""Build fastwsgi._core: the Cython engine plus the C helpers in csrc/.

Options (httptools/uvloop style) via environment, so that `pip install -e .`
and `python setup.py build_ext` take them alike:
  FASTWSGI_DEBUG=1     define FASTWSGI_DEBUG, keep asserts, -O0 -g
  FASTWSGI_ANNOTATE=1  write Cython's HTML annotation next to _core.pyx
  FASTWSGI_WERROR=1    turn C warnings into errors (CI)
"""
import glob
import os

from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("FASTWSGI_DEBUG") == "1"
WERROR = os.environ.get("FASTWSGI_WERROR") == "1"

cflags = ["-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"]
cflags += ["-O0", "-g"] if DEBUG else ["-O2"]
if WERROR:
    cflags.append("-Werror")
macros = [("FASTWSGI_DEBUG", "1")] if DEBUG else [("NDEBUG", "1")]

core = Extension(
    "fastwsgi._core",
    sources=["fastwsgi/_core.pyx"] + sorted(glob.glob("csrc/*.c")),
    include_dirs=["csrc"],
    define_macros=macros,
    extra_compile_args=cflags,
    libraries=["dl"],
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
