"""One BLAS thread for the DiD's matrix products, so a busy machine does not stall them.

numpy's and scipy's OpenBLAS split every product above a small size over all
cores. When other processes keep the cores busy (two evaluation workers, a
test suite), each such product waits for its descheduled helper thread, and
the helper's spin-waiting takes CPU from the thread doing the work. Measured
on the 2-core machine while another test suite ran, one metric's aggregation
and bootstrap took 0.42 s and its pre-trend tests (two pseudo-inverses, each
dozens of LAPACK products) 0.48 s with two threads, and 0.13 s and 0.02 s with
one; on an idle machine two threads save about a tenth of a DiD estimate.

``single_threaded_blas`` sets every loaded OpenBLAS to one thread for the
duration and restores the previous count after (the last of several
overlapping users restores it). It does what threadpoolctl's
``threadpool_limits(1, "blas")`` does, for OpenBLAS only, through the
library's own ``openblas_set_num_threads``; where no OpenBLAS is found
(another BLAS, not Linux) it does nothing.
"""

from __future__ import annotations

import ctypes
import functools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# numpy's and scipy's wheels rename OpenBLAS's symbols (prefix, 64-bit suffix).
_SETTERS = (
    "scipy_openblas_set_num_threads64_",
    "scipy_openblas_set_num_threads",
    "openblas_set_num_threads64_",
    "openblas_set_num_threads",
)
_GETTERS = tuple(name.replace("set_num", "get_num") for name in _SETTERS)

_lock = threading.Lock()
_users = 0
_restore: list[tuple[ctypes._CFuncPtr, int]] = []


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the block with one OpenBLAS thread (see the module docstring)."""
    global _users
    with _lock:
        if _users == 0:
            _restore[:] = [(setter, getter()) for getter, setter in _openblas_controls()]
            for setter, _ in _restore:
                setter(1)
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                for setter, threads in _restore:
                    setter(threads)
                _restore.clear()


@functools.cache
def _openblas_controls() -> tuple[tuple[ctypes._CFuncPtr, ctypes._CFuncPtr], ...]:
    """(get, set) thread-count functions of every OpenBLAS loaded in this process.

    Looked up once: the DiD modules import numpy and scipy, which load theirs,
    before the first use.
    """
    controls = []
    for path in _loaded_openblas():
        try:
            library = ctypes.CDLL(path, mode=os.RTLD_NOLOAD)
        except OSError:
            continue
        pair = _thread_functions(library)
        if pair is not None:
            controls.append(pair)
    return tuple(controls)


def _loaded_openblas() -> list[str]:
    """Shared libraries named like OpenBLAS among this process's mappings (Linux)."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return []
    found = {line.rsplit(maxsplit=1)[-1] for line in maps.splitlines() if "openblas" in line}
    return sorted(p for p in found if ".so" in Path(p).name)


def _thread_functions(library: ctypes.CDLL):
    for getter_name, setter_name in zip(_GETTERS, _SETTERS, strict=True):
        getter = getattr(library, getter_name, None)
        setter = getattr(library, setter_name, None)
        if getter is not None and setter is not None:
            getter.restype, getter.argtypes = ctypes.c_int, []
            setter.restype, setter.argtypes = None, [ctypes.c_int]
            return getter, setter
    return None
