"""The ``npdnn`` command's argparse pieces: a parser whose errors are one line, help
that shows defaults, and the option value types (each error names the value received
and what was expected)."""

from __future__ import annotations

import argparse

import numpy as np


class Help(argparse.HelpFormatter):
    """Shows ``(default: X)`` for options whose default is a value (not None or False)."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.option_strings and not any(action.default is v for v in (None, False, argparse.SUPPRESS)):
            text += " (default: %(default)s)"
        return text


class Parser(argparse.ArgumentParser):
    def __init__(self, **kwargs):
        kwargs.setdefault("formatter_class", Help)
        kwargs.setdefault("allow_abbrev", False)  # else --drop is silently taken for --dropout
        super().__init__(**kwargs)

    def error(self, message):
        # argparse prints the usage too; one line is easier to read in a log.
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# ---------------------------------------------------------------- option types
def _number(text, kind, ok, expected):
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not np.isfinite(value) or not ok(value):
        raise argparse.ArgumentTypeError(f"expected {expected}; got {text!r}")
    return value


def positive_int(text):
    return _number(text, int, lambda v: v > 0, "a positive integer")


def positive_float(text):
    return _number(text, float, lambda v: v > 0, "a positive number")


def nonnegative_float(text):
    return _number(text, float, lambda v: v >= 0, "a number >= 0")


def dropout_rate(text):
    return _number(text, float, lambda v: 0 <= v < 1, "a rate in [0, 1)")


def fraction(text):
    return _number(text, float, lambda v: 0 < v < 1, "a fraction in (0, 1)")


def int_list(text):
    try:
        sizes = tuple(int(s) for s in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers such as 64,32; got {text!r}")
    return sizes
