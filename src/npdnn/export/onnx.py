"""Export a network or a fitted :class:`~npdnn.DNNClassifier` to ONNX.

The graph computes what ``predict`` and ``predict_proba`` compute, in the model's
dtype (float32 or float64), for a batch of any size::

    X (N, n_x)
      -> Sub(mean_), Div(scale_)                 the estimator's standardization, if fitted
      -> Gemm(W1, b1, transB=1) -> activation    layers 1..L-1: Z.T = A_prev.T @ W.T + b.T
      -> Gemm(WL, bL, transB=1)                  the logits Z_L.T (N, n_L)
      -> probabilities (N, n_classes)            binary: [sigmoid(-Z), sigmoid(Z)]; else Softmax
      -> label (N,)                              Gather(classes, Z > 0) or Gather(classes, ArgMax(Z))

``W{l}`` (n_l, n_{l-1}) is stored as it is and ``Gemm`` transposes it (``transB``),
so the rows of X never need a transpose. The outputs are named and laid out as
skl2onnx lays out classifiers: ``label`` holds the original class values (int64 or
string) and ``probabilities`` one column per class in the order of ``classes_``.

The default opset is :data:`DEFAULT_OPSET` (17, IR version 8): every operator used
has had its current semantics since opset 13, and onnxruntime 1.13 and later,
onnxruntime-web and the cloud runtimes load it. ``onnx`` is imported only inside
these functions (the ``onnx`` extra).
"""

from __future__ import annotations

import numpy as np

from ..nn.activations import LEAKY_SLOPE

DEFAULT_OPSET = 17
MIN_OPSET = 13  # Softmax(axis=1) normalizes over that one axis only since opset 13

# hidden_activation -> ONNX operator; leaky_relu is written out below.
HIDDEN_OPS = {"relu": "Relu", "tanh": "Tanh", "sigmoid": "Sigmoid"}


def import_onnx():
    """``onnx``, or an ImportError that says how to install it."""
    try:
        import onnx
    except ImportError:
        raise ImportError("ONNX export needs the onnx package; install it with: pip install 'npdnn[onnx]'") from None
    return onnx


def label_values(classes):
    """The class values as ONNX can hold them: int64 for integers and bools, str for
    strings; float classes only when they are whole numbers (as skl2onnx does)."""
    classes = np.asarray(classes)
    kind = classes.dtype.kind
    if kind in "UO" or kind == "S":
        values = [c.decode() if isinstance(c, bytes) else c for c in classes.tolist()]
        if not all(isinstance(c, str) for c in values):
            raise ValueError(f"ONNX labels must be all strings or all integers; got classes {classes.tolist()}")
        return np.array(values, dtype=object)
    if kind in "biu" or (kind == "f" and np.all(classes == np.round(classes))):
        if kind == "u" and classes.max() > np.iinfo(np.int64).max:
            raise ValueError(f"class value {classes.max()} does not fit an int64 ONNX label")
        return classes.astype(np.int64)
    raise ValueError(
        f"ONNX labels must be integers or strings; got classes {classes.tolist()} of dtype {classes.dtype}"
    )


def _hidden(g, net, Z, hint):
    if net.hidden_activation == "leaky_relu":
        # max(Z, slope Z) as activations.leaky_relu computes it: ONNX LeakyRelu's alpha is a
        # float32 attribute, 0.01 rounded to float32, off by 3e-10 in a float64 model.
        slope = g.const("leaky_slope", np.array(LEAKY_SLOPE, dtype=net.dtype))
        return g.node("Max", [Z, g.node("Mul", [Z, slope], hint + "_slope")], hint)
    return g.node(HIDDEN_OPS[net.hidden_activation], [Z], hint)


def emit_classifier(
    g, X, net, classes, mean=None, scale=None, threshold=None, label="label", probabilities="probabilities", clip=None
):
    """Add the nodes from the input ``X`` (N, n_x) to the outputs ``label`` (N,) and
    ``probabilities`` (N, n_classes) to the graph builder ``g``.

    Binary labels follow ``DNNClassifier.predict`` (``Z > 0``) when ``threshold`` is
    None, else ``Network.predict`` (``proba >= threshold``), which differ at Z = 0.

    ``g`` has ``const(hint, array) -> name`` and ``node(op, inputs, hint, output=None,
    **attributes) -> name`` (:class:`Graph` here; the skl2onnx converter has its own).
    """
    from onnx import TensorProto

    A = X
    if mean is not None:
        # The same two IEEE operations as the estimator's (X - mean_) / scale_, so bit-equal.
        A = g.node("Sub", [A, g.const("mean", mean)], "X_centered")
        A = g.node("Div", [A, g.const("scale", scale)], "A0")
        if clip is not None:  # robust scaling: the estimator's np.clip(Z, -clip, clip)
            low, high = (
                g.const(n, np.array(v, dtype=net.dtype)) for n, v in (("clip_low", -clip), ("clip_high", clip))
            )
            A = g.node("Clip", [A, low, high], "A0_clipped")
    L = len(net.dense)
    for l, dense in enumerate(net.dense, start=1):
        W = g.const(f"W{l}", np.array(dense.W))  # (n_l, n_{l-1}); transB=1 multiplies by W.T
        b = g.const(f"b{l}", np.array(dense.b[:, 0]))  # (n_l,) broadcasts over the N rows
        Z = g.node("Gemm", [A, W, b], f"Z{l}", transB=1)  # (N, n_l) = A_{l-1}.T @ W.T + b.T
        A = _hidden(g, net, Z, f"A{l}") if l < L else Z
    ZL = A  # logits (N, n_L)
    if net.layer_dims[-1] == 1:
        # Both columns from a sigmoid (1 - p would lose the small probabilities to cancellation),
        # exactly as DNNClassifier.predict_proba does.
        p0 = g.node("Sigmoid", [g.node("Neg", [ZL], "minus_Z")], "p0")
        p1 = g.node("Sigmoid", [ZL], "p1")
        g.node("Concat", [p0, p1], "P", output=probabilities, axis=1)
        if threshold is None:  # DNNClassifier.predict: Z > 0
            positive = g.node("Greater", [ZL, g.const("zero", np.zeros((), dtype=net.dtype))], "positive")
        else:  # Network.predict: proba >= threshold
            positive = g.node("GreaterOrEqual", [p1, g.const("threshold", np.array(threshold, net.dtype))], "positive")
        index = g.node("Cast", [positive], "index_N1", to=TensorProto.INT64)  # (N, 1)
        index = g.node("Reshape", [index, g.const("flat", np.array([-1], dtype=np.int64))], "index")
    else:
        g.node("Softmax", [ZL], "P", output=probabilities, axis=1)
        index = g.node("ArgMax", [ZL], "index", axis=1, keepdims=0)  # the first maximum, as NumPy's argmax
    g.node("Gather", [g.const("classes", label_values(classes)), index], "label", output=label, axis=0)


class Graph:
    """Collects the nodes and initializers of a standalone ONNX graph."""

    def __init__(self):
        self.nodes, self.initializers, self._used = [], [], set()

    def _name(self, hint):
        name, k = hint, 0
        while name in self._used:
            k += 1
            name = f"{hint}_{k}"
        self._used.add(name)
        return name

    def const(self, hint, array):
        from onnx import TensorProto, helper, numpy_helper

        name = self._name(hint)
        array = np.asarray(array)
        if array.dtype == object:  # strings, stored as UTF-8 bytes
            values = [s.encode() for s in array.ravel()]
            tensor = helper.make_tensor(name, TensorProto.STRING, list(array.shape), values)
        else:
            tensor = numpy_helper.from_array(array, name)
        self.initializers.append(tensor)
        return name

    def node(self, op, inputs, hint, output=None, **attrs):
        from onnx import helper

        out = self._name(output or hint)
        self.nodes.append(helper.make_node(op, inputs, [out], name=self._name(f"{op}_{hint}"), **attrs))
        return out


def check_opset(opset):
    """``opset`` (None for :data:`DEFAULT_OPSET`) as an int this onnx package knows."""
    onnx = import_onnx()
    if opset is None:
        return DEFAULT_OPSET
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)) or not MIN_OPSET <= opset <= newest:
        raise ValueError(f"opset must be an integer from {MIN_OPSET} to {newest} (this onnx package); got {opset!r}")
    return int(opset)


def to_onnx(net, classes=None, mean=None, scale=None, opset=None, threshold=0.5, name="npdnn", clip=None, columns=None):
    """An ``onnx.ModelProto`` computing ``label`` (N,) and ``probabilities`` (N, n_classes)
    from the input ``X`` (N, n_x) of the network's dtype; ``N`` is dynamic.

    Parameters
    ----------
    net : npdnn.Network
    classes : array (n_classes,) of int or str, optional
        The label values; ``0..n_classes-1`` by default.
    mean, scale : arrays (n_x,) of the network's dtype, optional
        A standardization ``(X - mean) / scale`` applied first.
    opset : int, optional
        The default ONNX opset, :data:`DEFAULT_OPSET` unless given; the IR version is
        the lowest that holds it (8 for opset 17).
    threshold : float or None
        Binary labels: ``proba >= threshold`` (``Network.predict``), or ``Z > 0`` (as
        ``DNNClassifier.predict``) for None.
    clip : float or None
        Clip the scaled inputs to ``[-clip, clip]`` (robust scaling).
    columns : list of dict or None
        A column plan's columns (:mod:`npdnn.sklearn.columns`): then the graph has one
        input per used column instead of ``X`` (see :mod:`npdnn.export.onnx_columns`).
    """
    onnx = import_onnx()
    from onnx import helper

    opset = check_opset(opset)
    n_classes = max(net.layer_dims[-1], 2)
    classes = np.arange(n_classes, dtype=np.int64) if classes is None else np.asarray(classes)
    if classes.shape != (n_classes,):
        raise ValueError(f"classes must hold {n_classes} values, one per output class; got shape {classes.shape}")
    labels = label_values(classes)
    g = Graph()
    float_type = helper.np_dtype_to_tensor_dtype(net.dtype)
    if columns is None:
        g._used.add("X")
        inputs, X = [helper.make_tensor_value_info("X", float_type, ["N", net.layer_dims[0]])], "X"
    else:
        from .onnx_columns import emit_columns

        inputs, X = emit_columns(g, columns, net.dtype)
    emit_classifier(g, X, net, labels, mean, scale, threshold, clip=clip)
    label_type = onnx.TensorProto.STRING if labels.dtype == object else onnx.TensorProto.INT64
    opsets = [helper.make_opsetid("", opset)]
    if columns is not None:
        opsets.append(helper.make_opsetid("ai.onnx.ml", 2))  # LabelEncoder with string keys
    graph = helper.make_graph(
        g.nodes,
        name,
        inputs,
        [
            helper.make_tensor_value_info("label", label_type, ["N"]),
            helper.make_tensor_value_info("probabilities", float_type, ["N", n_classes]),
        ],
        initializer=g.initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=opsets,
        ir_version=helper.find_min_ir_version_for(opsets),
        producer_name="npdnn",
        producer_version=_version(),
        doc_string=f"{net!r}: label (N,) and probabilities (N, {n_classes}) from "
        + (f"X (N, {net.layer_dims[0]})" if columns is None else "one (N, 1) input per column"),
    )
    onnx.checker.check_model(model, full_check=True)
    return model


def _version():
    # From the installed metadata: importing npdnn.__version__ would point up the layering.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("npdnn")
    except PackageNotFoundError:
        return ""


def classifier_to_onnx(model, opset=None, clip=None):
    """:func:`to_onnx` for a fitted :class:`~npdnn.DNNClassifier`: its column plan (if
    any), scaling (``clip``: robust scaling's bound), network and ``classes_``."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model)
    plan = getattr(model, "columns_", None)
    return to_onnx(
        model.network_,
        model.classes_,
        model.mean_,
        model.scale_,
        opset,
        None,
        "DNNClassifier",
        clip=clip,
        columns=None if plan is None else plan.columns,
    )
