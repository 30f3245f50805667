"""``net.summary()``: the shape bookkeeping of a network as a table.

One row per layer ``l`` with the shapes the article's equations use: ``W{l}``
(n_l, n_{l-1}), ``b{l}`` (n_l, 1), ``Z{l}`` and ``A{l}`` (n_l, m) where ``m`` is
the number of samples in a batch, the activation ``g`` of the layer, the dropout
rate after it when non-zero, and the parameter count ``n_l * n_{l-1} + n_l``.
"""

from __future__ import annotations


class Summary(str):
    """The summary text: a ``str`` (``print`` it, split it, compare it) whose ``repr``
    is the text itself, so that ``net.summary()`` at the REPL shows the table."""

    __slots__ = ()

    def __repr__(self):
        return str(self)

    def _repr_pretty_(self, printer, cycle):  # IPython / Jupyter
        printer.text(str(self))


def describe(net):
    """One line: ``Network: 30 -> 16 -> 8 -> 1, hidden relu, output sigmoid, float64``."""
    dims = " -> ".join(str(n) for n in net.layer_dims)
    return f"Network: {dims}, hidden {net.hidden_activation}, output {net.output.name}, {net.dtype.name}"


def summary(net):
    """Return the layer table of ``net`` as a :class:`Summary` (a ``str``).

    Columns: layer, ``W`` shape, ``b`` shape, ``Z, A`` shape (m = batch size),
    activation, dropout (only when some rate is non-zero) and parameter count; the
    last row is the total, equal to ``net.theta.size``.
    """
    dims, L = net.layer_dims, net.L
    rates = [layer.rate for layer in net.dropout]
    with_dropout = any(rates)
    header = ["layer", "W", "b", "Z, A", "activation"] + (["dropout"] if with_dropout else []) + ["params"]
    rows = []
    for l in range(1, L + 1):
        n, n_prev = dims[l], dims[l - 1]
        activation = net.hidden_activation if l < L else net.output.name
        row = [str(l), f"({n}, {n_prev})", f"({n}, 1)", f"({n}, m)", activation]
        if with_dropout:
            row.append(f"{rates[l - 1]:g}" if l < L and rates[l - 1] else "-")
        row.append(str(n * n_prev + n))
        rows.append(row)
    total = ["total"] + [""] * (len(header) - 2) + [str(net.theta.size)]
    widths = [max(len(r[i]) for r in [header, *rows, total]) for i in range(len(header))]

    def line(cells):
        # params right-aligned (numbers), everything else left-aligned
        return "  ".join(
            c.rjust(w) if i == len(cells) - 1 else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    input_line = f"input  A0 = X.T: ({dims[0]}, m)"
    return Summary("\n".join([describe(net), line(header), *[line(r) for r in rows], line(total), input_line]))


def estimator_summary(est):
    """A fitted DNNClassifier's :func:`summary`, followed by its classes, features,
    standardization and training state."""
    names = getattr(est, "feature_names_in_", None)
    features = f"{est.n_features_in_}" + ("" if names is None else ": " + ", ".join(str(n) for n in names))
    classes = ", ".join(repr(c.item() if hasattr(c, "item") else c) for c in est.classes_)
    best = (
        f"best validation loss {est.best_validation_loss_:.6g}, accuracy {est.best_validation_score_:.6g}"
        if est.best_validation_loss_ is not None
        else ("" if est.best_loss_ is None else f"best training loss {est.best_loss_:.6g}")
    )
    lines = [
        summary(est.network_),
        f"classes  ({len(est.classes_)}): {classes}",
        f"features {features}",
        "standardized: " + ("yes (mean_, scale_ stored)" if est.mean_ is not None else "no"),
        *(
            [
                f"columns: a table of {est.n_features_in_} columns -> "
                f"{est.network_.layer_dims[0]} network inputs (columns_)"
            ]
            if getattr(est, "columns_", None) is not None
            else []
        ),
        f"trained: {est.n_iter_} epochs" + (f", {best}" if best else ""),
    ]
    return Summary("\n".join(lines))
