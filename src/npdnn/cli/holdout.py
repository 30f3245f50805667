"""The train/test split of ``npdnn train``, made by moving rows of X in place: no copy of X.

scikit-learn's ``train_test_split`` returns ``X[train]`` and ``X[test]``, new arrays that
together hold the data a second time. Here the same stratified draw chooses the test
rows (``StratifiedShuffleSplit``, what ``train_test_split(..., stratify=y)`` uses: a
``--seed`` holds out the same rows as before), then test rows among the first
``n_train`` positions trade places with training rows after them, so that the training
rows are the view ``X[:n_train]`` and the test rows the view ``X[n_train:]``. Only
misplaced rows move, a block of at most :data:`SWAP_BLOCK_BYTES` at a time: the extra
memory is two such blocks, whatever the size of X.

The rows' order is not ``train_test_split``'s (which shuffles them): rows already on
their side stay where they are, and a moved row takes the place of the row it swapped
with. It depends on the seed only, so a ``--seed`` gives the same model every time.

A read-only X (a memory-mapped ``.npy``) cannot be rearranged: its rows are gathered, in
the same order, into two new arrays (the data once in memory, as ``train_test_split``).

Owns: holdout. Imports: NumPy; scikit-learn lazily.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

# Rows swapped at a time: the split's only buffers (two of them) hold at most this many bytes each.
SWAP_BLOCK_BYTES = 1 << 24


class Split(NamedTuple):
    """The split rows; ``X`` and ``y`` are every row with labels matching (X rearranged)."""

    X_train: object
    X_test: object
    y_train: np.ndarray
    y_test: np.ndarray
    X: object
    y: np.ndarray


def holdout(X, y, test_size, seed):
    """Hold out a stratified ``test_size`` share of the rows, by rearranging X in place.

    Parameters
    ----------
    X : (m, n) ndarray or DataFrame; rearranged in place when writable (the caller's data
        changes: rows move), else read
    y : (m,) labels (the strata)
    test_size : float in (0, 1)
    seed : int, the ``random_state`` of the draw

    Returns
    -------
    Split : ``X_train`` (n_train, n) and ``X_test`` (m - n_train, n), views of X when it
        was rearranged; ``y_train``, ``y_test``; ``X`` and ``y`` with every row
    """
    from sklearn.model_selection import StratifiedShuffleSplit

    m = len(y)
    draw = StratifiedShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
    _, test = next(draw.split(np.zeros((m, 0)), y))  # the split uses X only for its row count
    n_train = m - test.shape[0]
    is_test = np.zeros(m, dtype=bool)
    is_test[test] = True
    misplaced_test = np.flatnonzero(is_test[:n_train])  # test rows in the training part
    misplaced_train = n_train + np.flatnonzero(~is_test[n_train:])  # and as many training rows after it
    order = np.arange(m)  # the row of the given X at each position of the rearranged one
    order[misplaced_test], order[misplaced_train] = misplaced_train, misplaced_test
    y_given = np.asarray(y)
    y = y_given[order]
    if _writable(X):
        rows_per_block = max(1, SWAP_BLOCK_BYTES // max(1, X.shape[1] * _itemsize(X)))
        for start in range(0, misplaced_test.shape[0], rows_per_block):
            block = slice(start, start + rows_per_block)
            _swap_rows(X, misplaced_test[block], misplaced_train[block])
        return Split(_rows(X, slice(0, n_train)), _rows(X, slice(n_train, m)), y[:n_train], y[n_train:], X, y)
    X_train, X_test = _rows(X, order[:n_train]), _rows(X, order[n_train:])
    return Split(X_train, X_test, y[:n_train], y[n_train:], X, y_given)


def _writable(X):
    """A DataFrame is written through pandas (which copies first if another frame shares
    its data); an ndarray only when NumPy lets it be written."""
    if hasattr(X, "iloc"):  # a table with text columns: rows gathered (assigning rows would mix dtypes)
        return all(np.dtype(d).kind in "biuf" for d in X.dtypes if isinstance(d, np.dtype)) and all(
            isinstance(d, np.dtype) for d in X.dtypes
        )
    return X.flags.writeable


def _itemsize(X):
    dtypes = [X.dtype] if hasattr(X, "dtype") else list(X.dtypes)
    return max(np.dtype(d).itemsize for d in dtypes)


def _rows(X, rows):
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def _swap_rows(X, a, b):
    """Rows ``a`` and ``b`` of X trade places (one block of rows held aside)."""
    if hasattr(X, "iloc"):
        held = X.iloc[a].to_numpy()
        X.iloc[a] = X.iloc[b].to_numpy()
        X.iloc[b] = held
    else:
        held = X[a]
        X[a] = X[b]
        X[b] = held
