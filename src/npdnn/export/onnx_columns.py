"""A column plan (:mod:`npdnn.sklearn.columns`) as ONNX nodes: one input per used column,
concatenated into the network's inputs ``(N, n_x)`` in the plan's order.

================  ===========================  =======================================================
column kind       ONNX input (N, 1)            nodes
================  ===========================  =======================================================
numeric, boolean  the model's float dtype,     ``IsNaN`` -> ``Where(missing, fill, x)``; the
                  NaN where missing (booleans  indicator ``Cast(missing)``
                  as 1/0)
categorical       string, ``""`` where         ``ai.onnx.ml.LabelEncoder`` (category -> 0..k-1,
                  missing                      ``""`` -> -2, anything else -> -1), ``Equal`` with
                                               0..k-1 -> ``Cast``: the one-hot columns (all zeros when
                                               unseen); the indicator ``Cast(Equal(code, -2))``
dropped           no input
================  ===========================  =======================================================

A category's string is the text the plan keeps (:func:`npdnn.sklearn.column_values.canonical`:
stripped, integral numbers without ``.0``). The values equal Python's: the fill is the
same number in the same dtype, and the one-hot and indicator columns are exact 0/1.

Owns: emit_columns. Imports: NumPy; onnx lazily.
"""

from __future__ import annotations

import numpy as np

MISSING_CODE = -2  # the code of "" (a missing category) from the LabelEncoder
UNSEEN_CODE = -1


def emit_columns(g, columns, dtype):
    """``(inputs, A)``: the graph inputs (value infos) and the name of the (N, n_x) tensor
    of network inputs, built in the graph builder ``g`` from a plan's ``columns``."""
    from onnx import TensorProto, helper

    float_type = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    inputs, parts = [], []
    for c in columns:
        if c["kind"] == "dropped":
            continue
        name = g._name(c["name"])
        if c["kind"] == "categorical":
            inputs.append(helper.make_tensor_value_info(name, TensorProto.STRING, ["N", 1]))
            k = len(c["categories"])
            code = g.node(
                "LabelEncoder",
                [name],
                f"{name}_code",
                domain="ai.onnx.ml",
                keys_strings=["", *c["categories"]],
                values_int64s=[MISSING_CODE, *range(k)],
                default_int64=UNSEEN_CODE,
            )  # (N, 1) int64
            hot = g.node("Equal", [code, g.const(f"{name}_codes", np.arange(k, dtype=np.int64))], f"{name}_equal")
            parts.append(g.node("Cast", [hot], f"{name}_onehot", to=float_type))  # (N, k)
            if c["indicator"]:
                missing = g.node(
                    "Equal", [code, g.const(f"{name}_missing_code", np.array([MISSING_CODE]))], f"{name}_na"
                )
                parts.append(g.node("Cast", [missing], f"{name}_indicator", to=float_type))
            continue
        inputs.append(helper.make_tensor_value_info(name, float_type, ["N", 1]))
        missing = g.node("IsNaN", [name], f"{name}_isnan")
        fill = g.const(f"{name}_fill", np.array([c["fill"]], dtype=dtype))
        parts.append(g.node("Where", [missing, fill, name], f"{name}_filled"))
        if c["indicator"]:
            parts.append(g.node("Cast", [missing], f"{name}_indicator", to=float_type))
    A = g.node("Concat", parts, "X_columns", axis=1) if len(parts) > 1 else parts[0]
    return inputs, A
