"""Graded exercises: write the article's functions yourself, and have them checked.

>>> from npdnn import exercises
>>> def linear_forward(A, W, b):
...     Z = W @ A + b
...     return Z, (A, W, b)
>>> exercises.check("linear_forward", linear_forward)
linear_forward: passed (2 seeded cases agree with npdnn's reference)

The exercises, in the article's order (:data:`EXERCISES`): ``initialize_parameters_deep``,
``linear_forward``, ``linear_activation_forward``, ``L_model_forward``, ``compute_cost``,
``linear_backward``, ``relu_backward``, ``sigmoid_backward``, ``L_model_backward``,
``update_parameters``. Their signatures and conventions are those of
:mod:`npdnn.exercises.reference` (the solutions: read them after trying). ``check``
never raises on the learner's bug: it answers with what is wrong (a transposed W, a
missing 1/m, db summed over the wrong axis, the cost's sign, a cache in the wrong order,
ReLU's derivative at 0, an input changed in place, a shape), or with the first differing
entry. ``notebooks/exercises.ipynb`` walks through them.

An edge package: NumPy and npdnn's own ``nn`` only; PyTorch, when installed, also checks
the gradients by autograd.
"""

from .grader import Result, check
from .reference import EXERCISES

__all__ = ["EXERCISES", "Result", "check"]
