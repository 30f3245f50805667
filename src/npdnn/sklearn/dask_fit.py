"""``DNNClassifier.fit`` on Dask input: the estimator's preparation done with Dask, the
training done by :func:`npdnn.distributed.fit`. Only small things reach the client: the
classes, the feature means and scales, the parameters."""

from __future__ import annotations

import numpy as np

from ..checks import is_dask
from ..distributed.driver import fit as distributed_fit
from ..distributed.sources import _as_dask_array
from .standardization import from_moments


def fit_estimator(est, X, y, sample_weight=None, *, client=None, checkpoint=None, checkpoint_every=1, resume=False):
    """Fit ``est`` (a DNNClassifier) on a Dask array/DataFrame ``X`` and labels ``y``; returns ``est``."""
    import dask
    import dask.array as da

    if est.dropout:
        raise ValueError(
            f"dropout={est.dropout!r} is not supported on Dask input (masks drawn on each worker would not "
            "match a single-process run); use dropout=0"
        )
    if est.class_weight is not None or est.lr_schedule is not None:
        raise ValueError("class_weight and lr_schedule are not supported on Dask input yet; fit without them")
    if est.early_stopping is True:  # "auto" (the default) turns it off here without a word
        from ..train.user_warnings import warn

        warn(
            UserWarning(
                "early stopping is not supported on Dask input yet: this fit trains for all epochs without a "
                "validation split (pass early_stopping=False to silence this)"
            )
        )
    est.__dict__.pop("network_", None)
    columns = getattr(X, "columns", None)
    Xd = _as_dask_array(X, "X")
    if Xd.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features); got shape {Xd.shape}")
    dtype = (
        np.dtype(est.dtype) if est.dtype is not None else np.dtype(np.float32 if Xd.dtype == np.float32 else np.float64)
    )
    Xd = Xd.astype(dtype)
    yd = _as_dask_array(y, "y").reshape(-1) if is_dask(y) else da.from_array(np.asarray(y).reshape(-1))
    yd = yd.rechunk((Xd.chunks[0],))
    wd = None
    if sample_weight is not None:
        wd = _as_dask_array(sample_weight, "sample_weight") if is_dask(sample_weight) else np.asarray(sample_weight)
    # The estimator's own encoding, on the distinct labels only (the only part of y that comes here).
    classes, _ = est._encode_labels(yd.compute() if yd.dtype == object else da.unique(yd).compute())
    labels = yd.map_blocks(lambda v: np.searchsorted(classes, v).astype(np.int64), dtype=np.int64)
    mean = scale = None
    if est.standardize:
        X64 = Xd.astype(np.float64)
        if wd is None:
            mean_d, var_d = X64.mean(axis=0), X64.var(axis=0)
        else:
            wcol = (da.from_array(wd) if not is_dask(wd) else wd).rechunk((Xd.chunks[0],))[:, None]
            mean_d = (X64 * wcol).sum(axis=0) / wcol.sum()
            var_d = (((X64 - mean_d) ** 2) * wcol).sum(axis=0) / wcol.sum()
        auto = isinstance(est.standardize, str) and est.standardize == "auto"
        # "auto" leaves 0/1 features as they are, as fit does (computed only then: one more pass over X)
        kept_d = ((Xd == 0) | (Xd == 1)).all(axis=0) if auto else None
        mean_v, var_v, low, high, kept = dask.compute(mean_d, var_d, X64.min(axis=0), X64.max(axis=0), kept_d)
        mean, scale = from_moments(mean_v, var_v, low, high, dtype)
        if auto:
            mean[kept], scale[kept] = 0, 1
        Xd = (Xd - mean) / scale
    n = Xd.shape[0]
    auto = est._resolve(None if np.isnan(n) else int(n))
    auto = type(auto)(batch_size=auto.batch_size, l2=auto.l2, early_stopping=False)
    net = est._build_network(Xd.shape[1], len(classes), dtype)
    opt = est._make_optimizer()  # the estimator's optimizer and default rate (train.options.make_optimizer)
    history = distributed_fit(
        net,
        Xd,
        labels,
        client,
        optimizer=opt,
        epochs=est.epochs,
        batch_size=auto.batch_size,
        l2=auto.l2,
        sample_weight=wd,
        checkpoint=checkpoint,
        checkpoint_every=checkpoint_every,
        resume=resume,
    )
    est.classes_, est.dtype_, est.mean_, est.scale_ = classes, dtype, mean, scale
    est.n_features_in_ = Xd.shape[1]
    if columns is not None and all(isinstance(c, str) for c in columns):
        est.feature_names_in_ = np.asarray(list(columns), dtype=object)
    est.network_, est._optimizer = net, opt
    est.batch_size_, est.l2_, est.early_stopping_ = auto.batch_size, auto.l2, False
    est.l2_search_ = None  # the cluster's fit does not cross-validate l2: 1.0 on a small set (resolve_auto)
    est._set_history(history["loss"], None, None)
    return est
