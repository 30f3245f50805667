"""A Network owns its state: copies, pickles and clones are independent networks whose
W{l}/b{l} are views into their own theta, and they train to the same result."""

import copy
import pickle

import numpy as np
import pytest
from sklearn.base import clone

import npdnn

from conftest import make_data

COPIES = {
    "deepcopy": copy.deepcopy,
    "copy": copy.copy,
    "pickle": lambda net: pickle.loads(pickle.dumps(net)),
    "clone": lambda net: clone(net, safe=False),
}


@pytest.mark.parametrize("how", sorted(COPIES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_copies_train_like_the_original_and_independently(how, dtype):
    X, y = make_data(60, 4, dtype=dtype)
    net = npdnn.Network([4, 5, 3, 1], seed=0, dtype=dtype)
    net.fit(X, y, epochs=2, optimizer="adam", batch_size=16)  # moves theta and the network's generator
    before = net.theta.copy()
    twin = COPIES[how](net)
    assert twin is not net and twin.theta is not net.theta and twin.theta.dtype == dtype
    for layer in twin.dense:  # the views point into the copy's own theta
        assert np.shares_memory(layer.W, twin.theta) and not np.shares_memory(layer.W, net.theta)
    # seed=None: shuffling draws from each network's own generator, which was copied too
    h_twin = twin.fit(X, y, epochs=20, optimizer="adam", batch_size=16, dropout=0.1)
    np.testing.assert_array_equal(net.theta, before)  # training the copy left the original alone
    assert h_twin["loss"][-1] < h_twin["loss"][0]  # it did train (the old deepcopy bug: loss stayed put)
    h_net = net.fit(X, y, epochs=20, optimizer="adam", batch_size=16, dropout=0.1)
    assert h_net == h_twin
    np.testing.assert_array_equal(net.theta, twin.theta)


def test_config_and_state_dict_round_trip():
    net = npdnn.Network([3, 4, 2], "tanh", seed=1, dtype=np.float32)
    config = net.get_config()
    assert config == {"layer_dims": [3, 4, 2], "hidden_activation": "tanh", "init": "glorot", "dtype": "float32"}
    other = npdnn.Network.from_config(config, seed=9)
    other.load_state_dict(net.state_dict())
    np.testing.assert_array_equal(other.theta, net.theta)
    assert other.rng.random() == net.rng.random()
    with pytest.raises(ValueError, match=r"a network config has the keys .*; got \['layer_dims'\]"):
        npdnn.Network.from_config({"layer_dims": [2, 1]})
    with pytest.raises(ValueError, match=r"theta must be 26 finite floats .*got shape \(3,\)"):
        net.load_state_dict({"theta": np.zeros(3)})
    with pytest.raises(ValueError, match="finite floats"):
        net.load_state_dict({"theta": np.full(26, np.nan)})


def test_estimator_pickle_and_clone_keep_working():
    from npdnn import DNNClassifier

    X, y = make_data(60, 4)
    est = DNNClassifier(hidden_layer_sizes=(5,), epochs=5, random_state=0).fit(X, y)
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(back.predict_proba(X), est.predict_proba(X))
    assert np.shares_memory(back.network_.dense[0].W, back.network_.theta)
    refit = clone(est).fit(X, y)
    np.testing.assert_array_equal(refit.network_.theta, est.network_.theta)


def test_cli_train_defaults_are_the_estimators():
    # One place for the estimator's defaults (npdnn.train.options.ESTIMATOR_DEFAULTS): the CLI cannot drift.
    from npdnn import DNNClassifier
    from npdnn.cli.main import build_parser

    args = build_parser().parse_args(["train"])
    params = DNNClassifier().get_params()
    cli = {
        "hidden_layer_sizes": tuple(args.layers),
        "activation": args.activation,
        "optimizer": args.optimizer,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "l2": args.l2,
        "dropout": args.dropout,
    }
    assert cli == {k: params[k] for k in cli}


def test_an_unpickled_textbook_network_stays_textbook():
    import pickle

    net = npdnn.Network([3, 4, 1], seed=0, fast=False)
    back = pickle.loads(pickle.dumps(net))
    assert back.fast is False
    assert type(back.dense[0]) is npdnn.nn.layers.Dense


def test_from_config_takes_the_seed_and_refuses_a_non_dict():
    net = npdnn.Network([3, 2, 1], seed=3)
    np.testing.assert_array_equal(npdnn.Network.from_config(net.get_config(), seed=3).theta, net.theta)
    with pytest.raises(ValueError, match=r"^a network config must be a dict; got list$"):
        npdnn.Network.from_config([3, 2, 1])


def test_copies_keep_the_dropout_rates_and_share_the_generator_object():
    import copy
    import pickle

    net = npdnn.Network([3, 4, 4, 1], seed=0)
    net.set_dropout([0.25, 0.5])
    for back in (pickle.loads(pickle.dumps(net)), copy.deepcopy(net)):
        assert [layer.rate for layer in back.dropout] == [0.25, 0.5]
    # load_state_dict sets the generator's state in place (dropout layers may hold it) when
    # the bit generators match, and builds one of the state's kind when they do not
    target = npdnn.Network([3, 4, 4, 1], seed=1)
    rng = target.rng
    target.load_state_dict(net.state_dict())
    assert target.rng is rng and target.rng.random() == copy.deepcopy(net).rng.random()
    mt = npdnn.Network([3, 4, 4, 1], seed=np.random.Generator(np.random.MT19937(5)))
    target.load_state_dict(mt.state_dict())
    assert type(target.rng.bit_generator).__name__ == "MT19937"
    assert target.rng.random() == mt.rng.random()
