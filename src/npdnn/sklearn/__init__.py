"""The scikit-learn side: :class:`~npdnn.sklearn.estimator.DNNClassifier`, its section of the
model file, its feature standardization, the skl2onnx converter and its fit on Dask input."""

# What users may import from npdnn.sklearn, and the module that holds each.
_WHERE = {"DNNClassifier": "estimator", "register": "skl2onnx"}
__all__ = sorted(_WHERE)


def __getattr__(name):
    # Lazily: each module imports its library (scikit-learn, skl2onnx) only when its name is asked for.
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
