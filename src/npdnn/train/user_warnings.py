"""Warnings that point at the user's line and show once per place, as Python means them to.

Two things go wrong with a plain ``warnings.warn(..., stacklevel=3)`` in a library:

* The fixed ``stacklevel`` points inside npdnn whenever the call chain is one frame deeper
  or shallower than assumed (``Network.fit``, ``npdnn.train.loop.fit`` and
  ``DNNClassifier.fit`` reach a warning through different depths). :func:`user_stacklevel`
  walks the stack to the first frame outside npdnn and scikit-learn instead (a Pipeline or
  a GridSearchCV calling ``fit`` is not the user's line).
* Python's "default" action shows a warning once per (text, category, line), but its record
  (``__warningregistry__``) is emptied whenever any code changes the filters, and
  scikit-learn's input validation does so on every ``fit`` (``warnings.catch_warnings``).
  A GridSearchCV of 12 fits then prints 12 copies. :func:`warn` keeps its own record of what
  it showed under the actions "default", "module" and "once" (the key each action
  implies), and shows a warning again when the filter that decides it or the function that
  shows warnings changes (``catch_warnings(record=True)`` installs a new one, as pytest does
  for each test). A filter that does not match the warning, which a library may add or take
  away in the middle of a grid search (a lazy import, a ``catch_warnings`` block around its
  own code), does not bring a second copy. "always", "error" and "ignore" (``pytest.warns``,
  ``-W error``) behave exactly as Python's.

Owns: user_stacklevel, warn. Imports: the standard library only.
"""

from __future__ import annotations

import os
import sys
import warnings

# Files under this folder are npdnn's own frames, skipped when a warning looks for the user's line.
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_shown = {}  # key of a warning shown -> (the filter that decided it, the display functions then)


# Packages whose frames stand between a user's line and npdnn's fit: a Pipeline, a GridSearchCV
# (and joblib, which runs its fits) calling DNNClassifier.fit. Their line is not the user's.
_CALLERS = frozenset({"sklearn", "joblib"})


def _inside(frame):
    """Whether ``frame`` is npdnn's own or a scikit-learn meta-estimator's."""
    return frame.f_code.co_filename.startswith(_PACKAGE) or (
        str(frame.f_globals.get("__name__", "")).partition(".")[0] in _CALLERS
    )


def user_stacklevel(skip=1):
    """The ``stacklevel`` (for a ``warnings.warn`` in the frame ``skip`` levels above this
    call) that names the first caller outside npdnn and scikit-learn: the user's ``fit``
    line, also when a Pipeline or a GridSearchCV called npdnn's."""
    frame, level = sys._getframe(skip), 1
    while frame is not None and _inside(frame):
        frame, level = frame.f_back, level + 1
    return level


def _user_frame():
    frame = sys._getframe(1)
    while frame is not None and _inside(frame):
        frame = frame.f_back
    return frame


def _deciding_filter(text, category, module, lineno):
    """The filter that decides this warning (the same matching as ``warnings.warn_explicit``),
    or None for ``warnings.defaultaction``."""
    for entry in warnings.filters:
        _, message, cat, mod, line = entry
        if (
            (message is None or message.match(text))
            and issubclass(category, cat)
            and (mod is None or mod.match(module))
            and (line == 0 or line == lineno)
        ):
            return entry
    return None


def warn(w):
    """Emit the warning instance ``w`` at the user's line, at most once per place under the
    default filter (see the module docstring); the numbers of a run belong in ``w``'s
    attributes, never in its text, or every run would be a new warning."""
    frame = _user_frame()
    if frame is None:  # called from npdnn itself at the top of the stack: nothing to point at
        warnings.warn(w, stacklevel=2)
        return
    text, category = str(w), type(w)
    filename, lineno = frame.f_code.co_filename, frame.f_lineno
    module = frame.f_globals.get("__name__", filename)
    deciding = _deciding_filter(text, category, module, lineno)
    action = warnings.defaultaction if deciding is None else deciding[0]
    keys = {
        "default": (text, category, filename, lineno),
        "module": (text, category, filename),
        "once": (text, category),
    }
    if action in keys:
        shown_under = (deciding, id(warnings.showwarning), id(getattr(warnings, "_showwarnmsg_impl", None)))
        if _shown.get(keys[action]) == shown_under:
            return
        _shown[keys[action]] = shown_under
    warnings.warn(w, stacklevel=user_stacklevel())
