"""What the ``npdnn`` commands write, checked before any work: an output path that is a
folder, under a file or an unwritable folder, or the same file as an input or as another
output, is refused with :class:`CLIError`; messages go to stderr unless ``--quiet``.

Owns: CLIError, say, warn_line, said_warnings, check_output, refuse_same_files, make_parent.
Imports: the standard library only.
"""

from __future__ import annotations

import os
import sys


class CLIError(Exception):
    """A usage problem found after parsing (e.g. --resume without --checkpoint)."""


def say(args, message):
    """``message`` on stderr, unless the command runs with ``--quiet``. A stderr nobody reads any more
    (``npdnn train ... 2>&1 | head``) is not a reason to lose the model being trained: the messages
    then go nowhere, and the work goes on."""
    if getattr(args, "quiet", False):
        return
    try:
        print(message, file=sys.stderr, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stderr.fileno())


def warn_line(args, message):
    """A warning as one line ``npdnn: warning: ...`` on stderr (unless ``--quiet``), and kept for the
    command's ``--json`` report: a script that silences stderr still learns of a leaked label."""
    text = " ".join(str(message).split())
    vars(args).setdefault("warnings_said", []).append(text)
    say(args, f"npdnn: warning: {text}")


def said_warnings(args):
    """The warnings :func:`warn_line` gave during this command, in order (a list of str)."""
    return list(vars(args).get("warnings_said", []))


def check_output(path, option):
    """Fail before any work when ``path`` cannot be an output file."""
    if path is None:
        return
    if os.path.isdir(path):
        raise CLIError(f"{option} {path} is a directory; expected a file path")
    folder = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(folder):
        folder = os.path.dirname(folder)
    if not os.path.isdir(folder):
        raise CLIError(f"{option} {path}: {folder} is a file, not a folder; expected a path to a new or existing file")
    if not os.access(folder, os.W_OK):
        raise CLIError(f"{option} {path}: folder {folder} is not writable")


def _same_file(a, b):
    """Whether paths ``a`` and ``b`` name one file: the same inode when both exist
    (hard links, symlinks, ``./x`` and ``x``), else the same resolved path."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def refuse_same_files(outputs, inputs):
    """Raise :class:`CLIError` if an output (``(path, option)`` pairs, None skipped) is the
    same file as an input or as another output: writing it would destroy the input
    (``train --out DATA.csv``) or make a later step fail (``--out P --checkpoint P``)."""
    outputs = [(p, o) for p, o in outputs if p is not None and p != "-"]
    inputs = [(p, o) for p, o in inputs if p is not None and p != "-"]
    for i, (path, option) in enumerate(outputs):
        for other, other_option in inputs + outputs[i + 1 :]:
            if _same_file(path, other):
                harm = "overwrite the input" if (other, other_option) in inputs else "clobber the other"
                raise CLIError(
                    f"{option} {path} and {other_option} {other} are the same file; writing {option} would {harm}; "
                    "choose another path"
                )


def make_parent(path):
    """Create the folders above the output file ``path``."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
