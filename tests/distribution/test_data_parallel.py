"""fastmlp.distribution: the API, and DataParallel fit in one process (an
MPI singleton: the same code path as under mpiexec, with one shard)."""

import numpy as np
import pytest

import fastmlp
import fastmlp.distribution as distribution
from fastmlp.models import compiled_training

MPI = pytest.importorskip("mpi4py.MPI", reason="mpi4py is not installed (pip install 'fastmlp[mpi]')")


@pytest.fixture(autouse=True)
def no_distribution_left():
    yield
    distribution.set_distribution(None)


class FakeComm:
    def __init__(self, rank, size):
        self.rank, self.size = rank, size

    def Get_rank(self):
        return self.rank

    def Get_size(self):
        return self.size


def shards(rows, size):
    out = []
    for rank in range(size):
        dist = distribution.DataParallel()
        dist.comm = FakeComm(rank, size)
        out.append(dist.shard(rows))
    return out


@pytest.mark.parametrize("rows,size", [(63, 2), (64, 2), (10, 3), (2, 4), (1, 1)])
def test_shards_are_contiguous_cover_the_batch_and_differ_by_at_most_one(rows, size):
    found = shards(rows, size)
    assert found[0][0] == 0 and found[-1][1] == rows
    assert all(found[i][1] == found[i + 1][0] for i in range(size - 1))
    sizes = [stop - start for start, stop in found]
    assert max(sizes) - min(sizes) <= 1 and sum(sizes) == rows


def test_without_a_distribution_this_process_is_the_chief():
    assert distribution.distribution() is None
    assert distribution.is_chief() and distribution.process_index() == 0
    assert distribution.process_count() == 1


def test_launched_size_reads_the_launchers_variables(monkeypatch):
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "SLURM_NTASKS"):
        monkeypatch.delenv(name, raising=False)
    assert distribution.launched_size() == 1
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "4")
    assert distribution.launched_size() == 4


def test_set_distribution_takes_a_data_parallel_or_none():
    with pytest.raises(TypeError, match="DataParallel"):
        distribution.set_distribution("data_parallel")
    dist = distribution.DataParallel()
    distribution.set_distribution(dist)
    assert distribution.distribution() is dist
    assert distribution.list_devices() == [f"cpu:{i}" for i in range(dist.size)]
    with pytest.raises(ValueError, match="device_type"):
        distribution.list_devices("gpu")
    with pytest.raises(ValueError, match="num_processes"):
        distribution.initialize(num_processes=dist.size + 1)


def small_model():
    fastmlp.utils.set_random_seed(5)
    model = fastmlp.Sequential([fastmlp.Input((6,)), fastmlp.layers.Dense(8, activation="relu"),
                                fastmlp.layers.Dropout(0.3), fastmlp.layers.Dense(3)])
    model.compile(optimizer="adam", loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def test_one_process_data_parallel_fit_equals_plain_fit(monkeypatch):
    monkeypatch.setenv("FASTMLP_NUM_THREADS", "1")  # the compiled step on one thread: bit for bit
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(50, 6)).astype("float32"), rng.integers(0, 3, 50)
    plain = small_model()
    expected = plain.fit(x, y, batch_size=16, epochs=2, verbose=0).history
    distribution.set_distribution(distribution.DataParallel())
    model = small_model()
    assert compiled_training.why_not(model, None) == "distributed training"
    got = model.fit(x, y, batch_size=16, epochs=2, verbose=0).history
    # One process: the same operations on the same rows, in the same order.
    for a, b in zip(plain.get_weights(), model.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(got["loss"], expected["loss"], rtol=1e-6)
    np.testing.assert_allclose(got["accuracy"], expected["accuracy"], rtol=1e-6)


def test_data_other_than_arrays_is_not_implemented_and_leaves_the_model_unchanged():
    distribution.set_distribution(distribution.DataParallel())
    model = small_model()
    before = model.get_weights()

    def batches():
        while True:
            yield np.zeros((4, 6), "float32"), np.zeros(4, "int64")

    with pytest.raises(NotImplementedError, match="arrays"):
        model.fit(batches(), steps_per_epoch=2, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("metric,names", [
    (fastmlp.metrics.Mean(), ["total", "count"]),
    (fastmlp.metrics.Precision(), ["counts"]),
    (fastmlp.metrics.AUC(), ["counts"]),
    (fastmlp.metrics.SparseCategoricalAccuracy(), ["total", "count"]),
])
def test_the_summed_metric_state_is_what_reset_state_assigns(metric, names):
    from fastmlp.models.distributed_fit import _state_names
    assert sorted(_state_names(metric)) == sorted(names)


def test_a_metric_without_float_state_is_refused():
    from fastmlp.models.distributed_fit import _state_names

    class Seen(fastmlp.metrics.Metric):
        def update_state(self, y_true, y_pred, sample_weight=None):
            self.seen += len(y_true)

        def result(self):
            return self.seen

        def reset_state(self):
            self.seen = 0

    metric = Seen()
    metric.reset_state()
    with pytest.raises(NotImplementedError, match="no float state"):
        _state_names(metric)


def test_fit_under_a_launcher_whose_processes_mpi_cannot_see_trains_alone_and_says_so(monkeypatch):
    """The launcher's variables say 2 processes, but this process runs alone
    (MPI sees one, or mpi4py is missing): fit warns and trains alone."""
    monkeypatch.setenv("PMI_SIZE", "2")
    rng = np.random.default_rng(0)
    model = small_model()
    with pytest.warns(UserWarning, match="launcher with 2 processes, but .*trains alone"):
        model.fit(rng.normal(size=(8, 6)).astype("float32"), rng.integers(0, 3, 8), verbose=0)
    assert distribution.distribution() is None


def test_fastmlp_distributed_0_keeps_processes_alone_without_a_warning(monkeypatch, recwarn):
    monkeypatch.setenv("PMI_SIZE", "2")
    monkeypatch.setenv("FASTMLP_DISTRIBUTED", "0")
    rng = np.random.default_rng(0)
    small_model().fit(rng.normal(size=(8, 6)).astype("float32"), rng.integers(0, 3, 8), verbose=0)
    assert not [w for w in recwarn if "launcher" in str(w.message)]
