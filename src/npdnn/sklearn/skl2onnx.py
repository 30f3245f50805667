"""A skl2onnx converter for :class:`~npdnn.DNNClassifier`, so whole scikit-learn
pipelines that end in one convert with ``skl2onnx.to_onnx``::

    from npdnn.sklearn.skl2onnx import register
    register()  # once per process
    onx = skl2onnx.to_onnx(Pipeline([("scale", StandardScaler()), ("dnn", DNNClassifier())]), X[:1])

The graph is the one :mod:`npdnn.export.onnx` builds; the outputs follow skl2onnx's
classifier convention (``label``, then ``probabilities``, which skl2onnx turns into a
list of dicts with a ZipMap unless ``options={DNNClassifier: {"zipmap": False}}``).
When the pipeline's tensors have another float type than the network (float32 data
into a float64 model), the converter casts in and out.
"""

from __future__ import annotations

import numpy as np

from ..export.onnx import emit_classifier, label_values
from .standardization import CLIP, scaling_of

ALIAS = "NpdnnDNNClassifier"


class _Skl2OnnxGraph:
    """The graph builder of :func:`npdnn.export.onnx.emit_classifier` over skl2onnx's
    scope (unique names) and container (nodes and initializers)."""

    def __init__(self, scope, container):
        self.scope, self.container = scope, container

    def const(self, hint, array):
        from onnx import TensorProto, numpy_helper

        name = self.scope.get_unique_variable_name(hint)
        array = np.asarray(array)
        if array.dtype == object:  # strings, stored as UTF-8 bytes (a TensorProto here would lose them)
            values = [s.encode() for s in array.ravel()]
            self.container.add_initializer(name, TensorProto.STRING, list(array.shape), values)
        else:
            tensor = numpy_helper.from_array(array, name)
            self.container.add_initializer(name, tensor.data_type, list(array.shape), tensor)
        return name

    def node(self, op, inputs, hint, output=None, **attrs):
        out = output or self.scope.get_unique_variable_name(hint)
        self.container.add_node(op, inputs, [out], name=self.scope.get_unique_operator_name(op), **attrs)
        return out


def _labels(scope, model):
    # nocl=True (a skl2onnx option): labels are the class indices 0..n_classes-1.
    if scope.get_options(model, {"nocl": False})["nocl"]:
        return np.arange(len(model.classes_), dtype=np.int64)
    return label_values(model.classes_)


def shape_calculator(operator):
    """Outputs: ``label`` (N,) int64 or string, ``probabilities`` (N, n_classes) of the
    pipeline's float type (the network's dtype when the input is not float)."""
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType, Int64TensorType, StringTensorType

    model = operator.raw_operator
    N = operator.inputs[0].get_first_dimension()
    labels = _labels(operator.scope_inst, model)
    label_type = StringTensorType if labels.dtype == object else Int64TensorType
    operator.outputs[0].type = label_type(shape=[N])
    proba_type = operator.inputs[0].type.__class__
    if proba_type not in (FloatTensorType, DoubleTensorType):
        proba_type = FloatTensorType if model.network_.dtype == np.float32 else DoubleTensorType
    operator.outputs[1].type = proba_type(shape=[N, len(model.classes_)])


def converter(scope, operator, container):
    """Emit the estimator's graph between the operator's input and its two outputs."""
    from onnx import helper

    model = operator.raw_operator
    plan = getattr(model, "columns_", None)
    if plan is not None:
        raise ValueError(
            f"this DNNClassifier was fitted on a table ({plan.describe_short()}): its column plan reads one "
            "input per column, which a skl2onnx pipeline does not give it; export it alone with model.to_onnx()"
        )
    net = model.network_
    g = _Skl2OnnxGraph(scope, container)
    X = operator.inputs[0].full_name
    label, proba = operator.outputs[0].full_name, operator.outputs[1].full_name
    net_type = helper.np_dtype_to_tensor_dtype(net.dtype)
    in_type = operator.inputs[0].type.to_onnx_type().tensor_type.elem_type
    out_type = operator.outputs[1].type.to_onnx_type().tensor_type.elem_type
    if in_type != net_type:
        X = g.node("Cast", [X], "X_cast", to=net_type)
    proba_net = proba if out_type == net_type else scope.get_unique_variable_name("probabilities_net")
    labels = _labels(scope, model)
    robust = model.mean_ is not None and scaling_of(model.standardize) == "robust"
    emit_classifier(
        g, X, net, labels, model.mean_, model.scale_, None, label=label, probabilities=proba_net,
        clip=CLIP if robust else None,
    )  # fmt: skip
    if proba_net != proba:
        g.node("Cast", [proba_net], "probabilities", output=proba, to=out_type)


def register():
    """Register the converter with skl2onnx (idempotent). Needs the ``onnx`` extra."""
    try:
        from skl2onnx import update_registered_converter
    except ImportError:
        raise ImportError("the skl2onnx converter needs skl2onnx; install it with: pip install 'npdnn[onnx]'") from None

    from .estimator import DNNClassifier

    update_registered_converter(
        DNNClassifier,
        ALIAS,
        shape_calculator,
        converter,
        options={"zipmap": [True, False, "columns"], "nocl": [False, True]},
    )
