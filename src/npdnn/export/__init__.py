"""Exchange formats: a network as an ONNX graph, and its weights to and from PyTorch. Each
imports its library (onnx, torch) only when called."""
