"""Exchange formats: a network as an ONNX graph, and its weights to and from PyTorch. Each
imports its library (onnx, torch) only when called."""

# What users may import from npdnn.export, and the module that holds each.
_WHERE = {"to_onnx": "onnx", "to_torch": "torch", "from_torch": "torch"}
__all__ = sorted(_WHERE)


def __getattr__(name):
    # Lazily: each module imports its library (onnx, torch) only when its name is asked for.
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
