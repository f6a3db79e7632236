"""Keep large freed buffers in the process instead of returning them to the OS.

glibc serves allocations over a dynamic threshold with fresh mmap() pages and gives the
memory back on free(). An image pipeline allocates and frees buffers of several MB per
image (decoded pixels, copies, thumbnails); with the ORM's small allocations in between,
each new buffer then pays for thousands of page faults. Measured on a 1280x720 JPEG
import: 60 images/s before, 109 after (bench/imports.py). The cost is that a worker keeps
up to the threshold of freed memory for reuse.
"""

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_KEEP_BYTES = 128 * 1024 * 1024
_done = False


def keep_large_buffers() -> None:
    """Set glibc's mmap and trim thresholds once per process; a no-op elsewhere."""
    global _done
    if _done:
        return
    _done = True
    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        libc = ctypes.CDLL(name)
        if not hasattr(libc, "mallopt"):
            return  # not glibc (musl, macOS): nothing to tune
        libc.mallopt(_M_MMAP_THRESHOLD, _KEEP_BYTES)
        libc.mallopt(_M_TRIM_THRESHOLD, _KEEP_BYTES)
    except OSError:
        log.debug("could not tune malloc", exc_info=True)
