"""The gradient allreduce overlaps the backward pass: each layer's
allreduces start as soon as its backward is done, before the layers below it
compute (checked with a recording stand-in for MPI, in one process)."""

import numpy as np

import fastmlp
from fastmlp.models.distributed_fit import DistributedRun, _weighted_from_last


class _Recorder:
    """Stands in for mpi4py's communicator and module: records what is called."""

    IN_PLACE, SUM = object(), object()

    def __init__(self):
        self.events = []
        recorder = self

        class Request:
            @staticmethod
            def Testall(requests):
                recorder.events.append(("drive", len(requests)))

        self.Request = Request

    def Iallreduce(self, buf, recvbuf=None, op=None):
        assert buf is self.IN_PLACE
        self.events.append(("allreduce", recvbuf.shape))
        return object()


def test_each_layers_allreduce_starts_before_the_layers_below_compute(monkeypatch):
    fastmlp.utils.set_random_seed(0)
    model = fastmlp.Sequential([fastmlp.layers.Dense(6, activation="relu", input_shape=(4,), name="hidden"),
                                fastmlp.layers.Dropout(0.5), fastmlp.layers.Dense(3, name="out")])
    model.compile("sgd", fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    model._prepare_run()
    grad = model._loss_step(x, np.array([0, 1, 2, 0, 1], np.int32), None, training=True)
    recorder = _Recorder()
    for layer in model.layers:
        original = layer.backward

        def recording(dy, need_dx=True, layer=layer, original=original):
            recorder.events.append(("backward", layer.name))
            return original(dy, need_dx=need_dx)
        monkeypatch.setattr(layer, "backward", recording)
    run = object.__new__(DistributedRun)
    run.model, run.comm, run.mpi = model, recorder, recorder
    requests = run._backward_and_reduce(grad, 0.5)
    assert len(requests) == 4
    dropout = model.layers[1].name
    assert recorder.events == [
        ("backward", "out"), ("allreduce", (6, 3)), ("allreduce", (3,)), ("drive", 2),
        ("backward", dropout), ("drive", 2),
        ("backward", "hidden"), ("allreduce", (4, 6)), ("allreduce", (6,)), ("drive", 4)]
    # a process with no rows starts the same allreduces in the same order
    assert [g.shape for layer in _weighted_from_last(model) for g in layer._grads.values()] == \
        [(6, 3), (3,), (4, 6), (6,)]
