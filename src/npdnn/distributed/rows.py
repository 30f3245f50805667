"""Where a shard's rows live: in the worker's memory, or in ``.npy`` files read on demand.

Both give ``take(idx) -> (len(idx), n_x)`` in the network's dtype, the rows in the
order of ``idx`` (the order of the global batch, so a share's columns come in the
same order as they would in single-process training).
"""

from __future__ import annotations

import os

import numpy as np


class MemoryRows:
    """Rows held in memory: the concatenation of a shard's row blocks (n_local, n_x)."""

    def __init__(self, blocks, dtype):
        blocks = [np.asarray(B) for B in blocks]
        self.X = np.ascontiguousarray(np.concatenate(blocks, axis=0) if len(blocks) > 1 else blocks[0], dtype=dtype)
        if self.X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features); a block has shape {self.X.shape}")
        if not np.isfinite(self.X).all():
            raise ValueError("X contains NaN or infinity (found on a worker while loading its rows)")
        self.n, self.n_x = self.X.shape
        self._buf = None

    def take(self, idx):
        if self._buf is None or self._buf.shape[0] < idx.shape[0]:
            self._buf = np.empty((idx.shape[0], self.n_x), dtype=self.X.dtype)
        return self.X.take(idx, axis=0, out=self._buf[: idx.shape[0]], mode="clip")

    def nbytes(self):
        return self.X.nbytes


class NpyRows:
    """Rows of C-ordered 2-D ``.npy`` files, read row by row with ``os.pread`` for each batch.

    Out of core: nothing but one batch buffer is resident. A memory map would be simpler,
    but its touched pages count in the worker's RSS, which Dask's memory monitor watches,
    and on a machine without memory pressure they stay there until the whole file is resident.
    """

    def __init__(self, paths, dtype):
        self.files, starts, n_x, file_dtype = [], [0], None, None
        for path in paths:
            with open(path, "rb") as f:
                version = np.lib.format.read_magic(f)
                read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                shape, fortran, fdtype = read(f)
                offset = f.tell()
            if len(shape) != 2 or fortran:
                raise ValueError(f"{path}: expected a C-ordered 2-D array (rows, features); got shape {shape}")
            if n_x is not None and (shape[1] != n_x or fdtype != file_dtype):
                raise ValueError(f"{path}: shape {shape} {fdtype} does not match the first part's {n_x} {file_dtype}")
            n_x, file_dtype = shape[1], fdtype
            self.files.append((os.fspath(path), offset))
            starts.append(starts[-1] + shape[0])
        self.starts = np.asarray(starts)
        self.n, self.n_x, self.file_dtype, self.dtype = int(starts[-1]), int(n_x), file_dtype, np.dtype(dtype)
        self.row_bytes = self.n_x * file_dtype.itemsize
        self._fds = None

    def take(self, idx):
        if self._fds is None:
            self._fds = [os.open(path, os.O_RDONLY) for path, _ in self.files]
        raw = bytearray(idx.shape[0] * self.row_bytes)
        view = memoryview(raw)
        part = np.searchsorted(self.starts, idx, side="right") - 1
        rb = self.row_bytes
        for j, (i, p) in enumerate(zip(idx.tolist(), part.tolist(), strict=True)):
            offset = self.files[p][1] + (i - int(self.starts[p])) * rb
            if os.preadv(self._fds[p], [view[j * rb : (j + 1) * rb]], offset) != rb:
                raise OSError(f"{self.files[p][0]}: short read at row {i - int(self.starts[p])}")
        X = np.frombuffer(raw, dtype=self.file_dtype).reshape(idx.shape[0], self.n_x)
        if not np.isfinite(X).all():
            raise ValueError(f"X contains NaN or infinity (in the .npy parts {self.files[0][0]}, ...)")
        return X.astype(self.dtype, copy=False)

    def nbytes(self):
        return 0

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k != "_fds"} | {"_fds": None}
