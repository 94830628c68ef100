"""The engine: the worker's hot path, compiled into ``fastwsgi._core``.

The Cython parts (``*.pyx``, included by ``fastwsgi/_core.pyx``) and their
declarations (``*.pxd``, included by ``fastwsgi/_core.pxd``) live here, with
``settings``, the one Python module: the engine's settings object, built from
the registry.  The engine imports only the base units (``config``, ``errors``,
...); workers and everything above import it.
"""
