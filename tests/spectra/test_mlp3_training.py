"""SGD epochs of the MLP3 network: one step equals the hand-written update, frozen layers stay
frozen, determinism per seed, and the stopping rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from powertail.errors import InputError
from powertail.spectra.experiments.mlp3_model import LAYERS, init_params
from powertail.spectra.experiments.mlp3_training import Setting, should_stop, train

from ._mlp3_reference import forward_backward, numpy_params


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 784)).astype(np.float32), rng.integers(0, 10, n).astype(np.int32)


def _final(setting, x, y, **kw):
    states = list(train(setting, x, y, **{"init_seed": 0, "order_seed": 0, **kw}))
    return states, numpy_params(states[-1].params)


# --- the stopping rule ------------------------------------------------------------------------


def test_steady_improvement_never_stops():
    assert not should_stop([1.0 - 0.01 * i for i in range(50)])


def test_plateau_stops_after_exactly_three_epochs():
    losses = [1.0, 0.5, 0.4]
    assert not should_stop(losses)
    losses += [0.39995, 0.4, 0.39992]  # within 1e-4 of the best (0.4): three misses
    assert not should_stop(losses[:-1])
    assert should_stop(losses)


def test_an_improvement_resets_the_count_and_must_exceed_min_delta():
    assert not should_stop([1.0, 1.0, 1.0, 0.5, 0.5, 0.5])  # two misses after the reset
    assert should_stop([1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5])
    # falling by exactly min_delta is not an improvement (strictly below best - min_delta)
    assert should_stop([1.0, 1.0 - 2e-4, 1.0 - 2e-4, 1.0 - 2e-4], min_delta=2e-4)
    assert not should_stop([1.0, 1.0 - 2e-4, 1.0 - 2e-4, 1.0 - 3e-4], min_delta=2e-4)
    assert should_stop([1.0, math.nan, math.nan, math.nan])  # NaN never improves


def test_the_loop_stops_when_the_rule_fires():
    x, y = _data()
    # epoch 1 improves on +inf; no later epoch can improve by 10, so 2, 3, 4 miss and it stops
    states, _ = _final(Setting(16, 0.01), x, y, max_epochs=50, min_delta=10.0)
    assert [s.epoch for s in states] == [0, 1, 2, 3, 4]
    assert states[-1].last and not any(s.last for s in states[:-1])
    states, _ = _final(Setting(16, 0.01), x, y, max_epochs=2)
    assert [s.epoch for s in states] == [0, 1, 2] and states[-1].last


# --- the SGD update ---------------------------------------------------------------------------


def test_one_full_batch_epoch_is_one_hand_written_sgd_step():
    x, y = _data(32)
    lr = 0.3
    states, after = _final(Setting(32, lr), x, y, max_epochs=1)
    _, grads = forward_backward(init_params(0), x, y)
    before = numpy_params(init_params(0))
    for layer in LAYERS:
        for name in ("w", "b"):
            expected = before[layer][name] - lr * grads[layer][name]
            np.testing.assert_allclose(after[layer][name], expected, rtol=0, atol=2e-6)
    assert states[1].train_loss == pytest.approx(forward_backward(init_params(0), x, y)[0], 1e-5)
    assert after["fc1"]["w"].dtype == np.float64  # numpy_params widens; the network is float32
    assert np.asarray(states[1].params["fc1"]["w"]).dtype == np.float32


@pytest.mark.parametrize("trainable", ["fc1", "fc2"])
def test_frozen_layers_keep_their_initial_weights(trainable):
    x, y = _data()
    _, after = _final(Setting(8, 0.1, trainable), x, y, max_epochs=2)
    before = numpy_params(init_params(0))
    for layer in LAYERS:
        for name in ("w", "b"):
            same = np.array_equal(after[layer][name], before[layer][name])
            assert same == (layer != trainable), (layer, name)


def test_same_seed_same_weights_and_every_setting_starts_from_them():
    x, y = _data()
    a, pa = _final(Setting(4, 0.05), x, y, max_epochs=2)
    b, pb = _final(Setting(4, 0.05), x, y, max_epochs=2)
    for layer in LAYERS:
        np.testing.assert_array_equal(pa[layer]["w"], pb[layer]["w"])
    assert [s.train_loss for s in a] == pytest.approx([s.train_loss for s in b], nan_ok=True)
    c, _ = _final(Setting(1, 0.01, "fc2"), x, y, max_epochs=1)
    for layer in LAYERS:  # epoch 0 of any setting: the seed's initial weights
        np.testing.assert_array_equal(
            numpy_params(c[0].params)[layer]["w"], numpy_params(a[0].params)[layer]["w"]
        )
    _, pd_ = _final(Setting(4, 0.05), x, y, max_epochs=2, order_seed=1)
    assert not np.array_equal(pa["fc1"]["w"], pd_["fc1"]["w"])  # another image order


def test_batch_size_one_runs_one_step_per_image():
    x, y = _data(40)
    states, _ = _final(Setting(1, 0.01), x, y, max_epochs=1)
    assert math.isfinite(states[1].train_loss) and 0 <= states[1].train_error <= 1


def test_bad_settings_are_one_line_errors():
    with pytest.raises(InputError, match="batch_size: expected an int >= 1"):
        Setting(0, 0.01)
    with pytest.raises(InputError, match="learning_rate: expected a finite number > 0"):
        Setting(32, -1.0)
    with pytest.raises(InputError, match="trainable: expected one of"):
        Setting(32, 0.01, "fc3")
    x, y = _data(8)
    with pytest.raises(InputError, match="max_epochs: expected an int >= 1"):
        next(iter(train(Setting(4, 0.1), x, y, init_seed=0, order_seed=0, max_epochs=0)))
    with pytest.raises(InputError, match="at most the 8 training images"):
        next(iter(train(Setting(16, 0.1), x, y, init_seed=0, order_seed=0, max_epochs=1)))
