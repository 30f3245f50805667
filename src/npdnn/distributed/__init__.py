"""Data-parallel training on a Dask cluster (``pip install npdnn[dask]``).

``npdnn.distributed.fit(net, X, y, client)`` trains on a Dask array or DataFrame (or
``.npy`` parts on disk) with the same steps as ``net.fit``; see docs/distributed.md.
This package imports dask; ``import npdnn`` does not import it.
"""

from .cluster import SchedulerLostError
from .driver import fit
from .sources import NpyParts, is_dask

__all__ = ["fit", "NpyParts", "SchedulerLostError", "is_dask"]
