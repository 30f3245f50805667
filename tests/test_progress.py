"""verbose: a progress bar on a terminal, one line per epoch elsewhere (stderr or the
"npdnn" logger), as Keras; through make_progress and through DNNClassifier."""

import io
import logging
import re

import numpy as np
import pytest

from npdnn import DNNClassifier
from npdnn.callbacks import EpochLog, ProgressBar
from npdnn.train.progress import make_progress

from conftest import make_data

LINE = re.compile(
    r"^Epoch (\d+)/(\d+) - [0-9.e-]+s - loss: \d+\.\d{4}( - val_loss: \d+\.\d{4} - val_accuracy: \d\.\d{4})?$"
)


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize(
    ("verbose", "terminal", "kind"),
    [
        (0, True, None),
        (False, False, None),
        (True, True, ProgressBar),
        (1, True, ProgressBar),
        (np.int64(1), True, ProgressBar),
        (True, False, EpochLog),  # MLPClassifier prints something without a terminal; so does npdnn
        (2, True, EpochLog),
        (2, False, EpochLog),
    ],
)
def test_make_progress_picks_by_verbose_and_terminal(verbose, terminal, kind):
    made = make_progress(verbose, 10, file=Terminal() if terminal else io.StringIO())
    assert (made is None) if kind is None else type(made) is kind


@pytest.mark.parametrize("bad", [3, -1, "yes", 1.5])
def test_make_progress_rejects_other_values(bad):
    with pytest.raises(ValueError, match=r"verbose must be 0/False, 1/True \(progress bar\) or 2"):
        make_progress(bad, 10)


def test_epoch_log_lines_like_keras():
    out = io.StringIO()
    ticks = iter([0.0, 0.5, 1.25])
    log = EpochLog(3, file=out, clock=lambda: next(ticks))
    log.on_train_begin(None)
    log.on_epoch_end(0, {"loss": 0.693147, "lr": 0.1})
    log.on_epoch_end(1, {"loss": 0.5, "val_loss": 0.4, "val_accuracy": 0.875, "lr": 0.1})
    assert out.getvalue().splitlines() == [
        "Epoch 1/3 - 0.5s - loss: 0.6931",
        "Epoch 2/3 - 0.75s - loss: 0.5000 - val_loss: 0.4000 - val_accuracy: 0.8750",
    ]


def test_estimator_verbose_without_a_terminal_writes_lines(capsys):
    X, y = make_data(60, 3)
    # pytest's captured stderr is not a terminal (and INFO logging is off: the lines go to stderr)
    DNNClassifier(hidden_layer_sizes=(4,), epochs=5, early_stopping=True, verbose=True, random_state=0).fit(X, y)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 5, lines
    assert all(LINE.match(line) for line in lines), lines
    assert [LINE.match(line).group(1) for line in lines] == ["1", "2", "3", "4", "5"]
    assert all(line.split(" - ")[-1].startswith("val_accuracy") for line in lines)


def test_verbose_2_goes_to_the_npdnn_logger_when_logging_is_configured(caplog, capsys):
    X, y = make_data(60, 3)
    with caplog.at_level(logging.INFO, logger="npdnn"):
        DNNClassifier(hidden_layer_sizes=(4,), epochs=3, verbose=2, random_state=0).fit(X, y)
    records = [r for r in caplog.records if r.name == "npdnn"]
    # a small set: the l2 search's line first (npdnn.sklearn.l2_search), by the same route as the epochs
    assert records[0].getMessage().startswith("choosing l2 from 0.1, 1.0 by 3-fold cross-validation")
    assert [r.getMessage().split(" - ")[0] for r in records[1:]] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    assert capsys.readouterr().err == ""
    # logging configured for WARNING only: the lines would be dropped, so they go to stderr instead
    with caplog.at_level(logging.WARNING, logger="npdnn"):
        DNNClassifier(hidden_layer_sizes=(4,), epochs=2, verbose=2, random_state=0).fit(X, y)
    assert len(capsys.readouterr().err.splitlines()) == 3


def test_progress_bar_on_a_terminal_counts_epochs():
    out = Terminal()
    bar = make_progress(1, 4, file=out)
    bar.on_train_begin(None)
    bar.on_epoch_end(2, {"loss": 0.5})  # a run resumed at epoch 3: the bar catches up
    bar.on_epoch_end(3, {"loss": 0.25})
    assert bar.bar.n == 4
    bar.on_train_end(None, {})
    assert "4/4" in out.getvalue()


def test_verbose_does_not_change_the_model():
    X, y = make_data(60, 3)
    quiet = DNNClassifier(hidden_layer_sizes=(4,), epochs=3, random_state=0).fit(X, y)
    loud = DNNClassifier(hidden_layer_sizes=(4,), epochs=3, verbose=2, random_state=0)
    loud.fit(X, y)
    np.testing.assert_array_equal(quiet.network_.theta, loud.network_.theta)
