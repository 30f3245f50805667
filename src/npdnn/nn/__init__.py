"""The article's network, one equation per file: activations, initializers, losses (output
layers with their costs), layers (``Z = W @ A_prev + b``, forward and backward through caches),
the fast layer pinned to the textbook one, prediction in row chunks, the gradient check and
the shape summary. NumPy and the standard library only."""
