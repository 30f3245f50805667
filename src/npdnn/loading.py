"""``npdnn.load``: read any npdnn model file, whoever wrote it.

Owns: load. Sits above the estimator: it imports it (lazily, only for a file that
holds an estimator section), so that nothing below has to.
"""

from __future__ import annotations

from .network import Network, network_from_file


def load(path, *, max_parameters=None, key=None):
    """Load a model file written by ``Network.save`` or ``DNNClassifier.save``:
    returns a :class:`~npdnn.Network` or a fitted :class:`~npdnn.DNNClassifier`.

    ``max_parameters`` (default ``$NPDNN_MAX_PARAMETERS`` or
    :data:`npdnn.files.limits.MAX_PARAMETERS`) refuses larger architectures before
    anything is allocated. ``key`` (bytes, or a str): the file must carry a valid
    signature made with it at save (see :mod:`npdnn.files.integrity`); every file's
    digest is checked with or without one."""
    net, arrays, meta = network_from_file(path, Network, max_parameters, key=key)
    if "estimator" in meta:
        from .sklearn.estimator import DNNClassifier  # scikit-learn, loaded only for an estimator file
        from .sklearn.estimator_file import estimator_from_file

        return estimator_from_file(DNNClassifier, path, net, arrays, meta)
    return net
