"""Model files: the safe archive (bounded, atomic, never unpickles), what an untrusted file may
declare, and a network's file. NumPy and the standard library only."""

from ..errors import ModelFileError
from .archive import read_archive, write_archive
from .limits import MAX_PARAMETERS
from .network_file import read_model, save_model

# What users may import from npdnn.files.
__all__ = ["ModelFileError", "read_archive", "write_archive", "MAX_PARAMETERS", "read_model", "save_model"]
