"""Optimizers on their own: the coefficients each accepts and refuses, defaults, repr, state
dicts, and one optimizer stepping parameter vectors of different sizes (parity with
torch.optim is in test_optimizers_torch.py)."""

import numpy as np
import pytest

from npdnn import optimizers


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda v: optimizers.RMSProp(0.01, rho=v), "rho"),
        (lambda v: optimizers.Momentum(0.01, momentum=v), "momentum"),
    ],
)
def test_optimizer_coefficients_may_be_zero_but_not_negative(make, name):
    assert make(0.0) is not None  # zero is a valid coefficient: plain gradient scaling / no momentum
    with pytest.raises(ValueError, match=rf"^{name} must be a number >= 0; got -0\.1$"):
        make(-0.1)


def test_rmsprop_names_a_bad_epsilon():
    with pytest.raises(ValueError, match=r"^epsilon must be a number > 0; got 0\.0$"):
        optimizers.RMSProp(0.01, epsilon=0.0)


def test_optimizer_repr_names_the_class_and_rate():
    assert repr(optimizers.GD(0.5)) == "GD(learning_rate=0.5)"
    assert repr(optimizers.Adam(0.25)) == "Adam(learning_rate=0.25)"


def test_optimizer_state_refuses_unknown_entries_and_accepts_missing_arrays():
    adam = optimizers.Adam(0.01)
    with pytest.raises(
        ValueError,
        match=r"^Adam state has unknown entries \['velocity'\]; expected t, learning_rate and \['m_sum', 'v_sum'\]$",
    ):
        adam.load_state_dict({"t": 0, "learning_rate": 0.01, "velocity": np.zeros(3)})
    adam.load_state_dict(optimizers.Adam(0.5).state_dict())  # before any step: no arrays yet
    assert adam.learning_rate == 0.5 and adam.m_sum is None and adam.v_sum is None


def test_adam_defaults_and_refused_coefficients():
    assert optimizers.Adam().learning_rate == 0.001
    assert optimizers.Adam(beta1=0.0, beta2=0.0).beta1 == 0.0  # no averaging is valid
    for name in ("beta1", "beta2"):
        for bad in (1.0, "0.5", True):
            with pytest.raises(ValueError, match=rf"^{name} must be a number in \[0, 1\); got {bad!r}$"):
                optimizers.Adam(**{name: bad})
    with pytest.raises(ValueError, match=r"^epsilon must be a number > 0; got 0$"):
        optimizers.Adam(epsilon=0)


def test_one_optimizer_steps_parameters_of_another_size():
    opt = optimizers.GD(0.5)
    a, b = np.zeros(5), np.zeros(7)
    opt.step(a, np.ones(5))
    opt.step(b, np.ones(7))
    np.testing.assert_array_equal(b, np.full(7, -0.5))


@pytest.mark.parametrize(
    "make",
    [
        lambda: optimizers.Momentum(0.05),
        lambda: optimizers.Momentum(0.05, nesterov=True),
        lambda: optimizers.RMSProp(0.01),
        lambda: optimizers.Adam(0.01),
    ],
    ids=["momentum", "nesterov", "rmsprop", "adam"],
)
def test_state_loaded_into_a_stepped_optimizer_is_the_state_it_updates(make):
    # A step updates the state arrays gathered when they were allocated (issue 29: not looked up
    # per step). An optimizer that has already stepped and then loads another's state (resume,
    # restore) must update the loaded arrays: same parameters and state as the one that saved it.
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((6, 9))
    saver, loader = make(), make()
    theta_s = rng.standard_normal(9)
    for g in grads[:3]:
        saver.step(theta_s, g)
    loader.step(np.zeros(9), np.ones(9))  # allocated, with other values
    loader.load_state_dict(saver.state_dict())
    theta_l = theta_s.copy()
    for g in grads[3:]:
        saver.step(theta_s, g)
        loader.step(theta_l, g)
    np.testing.assert_array_equal(theta_l, theta_s)
    for name, value in saver.state_dict().items():
        np.testing.assert_array_equal(loader.state_dict()[name], value, err_msg=name)
