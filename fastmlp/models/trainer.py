"""compile and fit: the training loop, apart from the layers (evaluate and
predict are in :mod:`fastmlp.models.evaluator`).

Data comes in through the adapters of :mod:`fastmlp.models.data_adapters`
(arrays, generators, datasets of batches) as ``(x, y, sample_weight)``
backend batches; :class:`~fastmlp.models.epoch_iterator.EpochIterator` cuts
them into epochs.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from .. import callbacks as callbacks_module
from .. import losses, metrics as metrics_module, optimizers
from .. import random as _random
from ..utils.validation import check_positive_int, check_same_length
from . import compiled_training, distributed_eval, distributed_fit
from .data_adapters import ArrayData, data_kind, get_data_adapter
from .data_adapters.inputs import host_array
from .epoch_iterator import EpochIterator
from .evaluator import Evaluator
from .loop_utils import DEFAULT_BATCH_SIZE, DeferredInterrupt, optional_steps, validation_epochs, verbosity

def _as_list(metrics: Any, what: str) -> list[Any]:
    if isinstance(metrics, dict):
        raise NotImplementedError(f"fastmlp models have one output: pass {what} as a list")
    if metrics is not None and not isinstance(metrics, (list, tuple)):
        metrics = [metrics]
    return list(metrics or ())


def _steps_per_execution(value):
    """``compile``'s ``steps_per_execution``: a positive int or ``"auto"``."""
    if isinstance(value, str) and value == "auto":
        return value
    return check_positive_int(value, "steps_per_execution")


class Trainer(Evaluator):
    """The training half of :class:`fastmlp.Model`."""

    if TYPE_CHECKING:
        # Provided by Layer, Model's other base (declared here for the type checker only).
        ops: Any
        built: bool
        emits_softmax: bool
        input_shape_: Any
        output_shape_: Any
        stores: Any
        leaves: Any
        forward: Any
        backward: Any
        buffer: Any
        __call__: Any

    def __init__(self):
        self.optimizer: Any = None
        self.loss: Any = None
        self.compiled = False
        self.stop_training = False
        self.history: Any = None
        self._metric_specs = []
        self._weighted_specs = []
        self._metrics: Any = None
        self._plan: Any = None
        self._loss_total = 0.0
        self._loss_count = 0
        self._initial_epoch = None  # set by BackupAndRestore when it resumes
        self.steps_per_execution: int | str = 1
        # Shuffles are keyed by (shuffle seed, epochs trained), so training
        # resumed from a saved model draws the same orders as uninterrupted training.
        self._shuffle_seed = _random.draw_seed()
        self._epochs_seen = 0

    # -------------------------------------------------------------- compile
    def compile(self, optimizer: str | dict[str, Any] | optimizers.Optimizer = "rmsprop",
                loss: str | dict[str, Any] | losses.Loss | Callable[..., Any] | None = None,
                metrics: Sequence[Any] | None = None, loss_weights: Any = None,
                weighted_metrics: Sequence[Any] | None = None, run_eagerly: bool = False,
                steps_per_execution: int | str = 1, jit_compile: bool | str = "auto",
                auto_scale_loss: bool = True) -> None:
        """Set the optimizer, the loss and the metrics (names or objects).

        Args:
            weighted_metrics: metrics that take the ``sample_weight`` (or
                ``class_weight``) of ``fit`` and ``evaluate``; ``metrics`` do
                not. A weighted metric named like an unweighted one is logged
                as ``weighted_<name>``, as in Keras.
            steps_per_execution: training steps per call of the compiled
                step (a positive int, or ``"auto"``). When a callback
                overrides a batch hook, ``fit`` returns to Python every that
                many steps and the hooks see the first and last step of each
                call, as in Keras; with no such callback, or with ``"auto"``,
                it returns about every 50 ms. Results do not depend on it.

        Raises:
            ValueError: no loss, an unknown name, or a bad
                ``steps_per_execution``.
            NotImplementedError: ``loss_weights`` (fastmlp models have one
                output).

        Example:
            >>> model.compile(optimizer="adam",
            ...               loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True),
            ...               metrics=["accuracy"])
        """
        if loss_weights is not None:
            raise NotImplementedError("fastmlp models have one output: loss_weights is not supported")
        if loss is None:
            raise ValueError("compile needs a loss, e.g. loss='sparse_categorical_crossentropy'")
        metrics = _as_list(metrics, "metrics")
        weighted_metrics = _as_list(weighted_metrics, "weighted_metrics")
        self.steps_per_execution = _steps_per_execution(steps_per_execution)
        self.loss = losses.get(loss)
        self.optimizer = optimizers.get(optimizer)
        for spec in metrics + weighted_metrics:
            metrics_module.get(spec, self.loss, num_outputs=2)  # reject unknown names now
        self._metric_specs = metrics
        self._weighted_specs = weighted_metrics
        self._metrics = None
        self._plan = None
        if self.built:
            self._training_plan()  # freeze the trainable flags as they are now
        self.compiled = True

    def _require_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(f"call model.compile(optimizer, loss, metrics) before model.{what}()")

    def _compiled_metrics(self):
        if self._metrics is None:
            outputs = int(np.prod(self.output_shape_))
            plain = [metrics_module.get(spec, self.loss, num_outputs=outputs) for spec in self._metric_specs]
            weighted = [metrics_module.get(spec, self.loss, num_outputs=outputs)
                        for spec in self._weighted_specs]
            taken = {"loss"} | {m.name for m in plain}
            for metric in weighted:
                if metric.name in taken:
                    metric.name = "weighted_" + metric.name
                taken.add(metric.name)
            self._metrics = plain + weighted
            self._metric_weighted = [False] * len(plain) + [True] * len(weighted)
        return self._metrics

    @property
    def metrics(self) -> list[metrics_module.Metric]:
        return list(self._compiled_metrics()) if self.compiled and self.built else []

    @property
    def metrics_names(self) -> list[str]:
        """The names Keras 3 gives, ``[]`` before ``compile``, ``["loss"]``
        without metrics, else ``["loss", "compile_metrics"]`` (one name for
        all compiled metrics; ``evaluate(..., return_dict=True)`` names each
        value)."""
        if not self.compiled:
            return []
        return ["loss"] + (["compile_metrics"] if self._metric_specs or self._weighted_specs else [])

    def reset_metrics(self) -> None:
        """Start the running loss and metrics over."""
        self._loss_total = 0.0
        self._loss_count = 0
        if getattr(self, "_distributed", None) is not None:
            self._distributed.logs = None
        if self.built:
            for metric in self._compiled_metrics():
                metric.reset_state()

    def _logs(self):
        distributed = getattr(self, "_distributed", None)
        if distributed is not None and distributed.logs is not None:
            return dict(distributed.logs)  # the global values, reduced at each step
        logs = {"loss": self._loss_total / self._loss_count if self._loss_count else 0.0}
        for metric in self._metrics or ():
            logs[metric.name] = float(metric.result())
        return logs

    # ---------------------------------------------------------------- steps
    def _prepare_run(self):
        """Resolve the metrics for the output size and choose the loss path:
        a softmax output trained with a probability cross-entropy emits its
        logits to the fused kernel."""
        self._compiled_metrics()
        self._fused_softmax = (self.loss.fuses_softmax and not self.loss.from_logits
                               and self.emits_softmax)
        self._penalties = [(reg, layer._weights[name], layer._grads[name])
                           for layer in self.leaves()
                           for name, reg in layer.regularizers().items()]

    def _loss_step(self, xb, yb, wb, training):
        """Forward pass, loss (and its gradient when training), metrics.
        ``wb``: per-sample weights (backend float32 ``(n,)``) or None."""
        out = self.forward(xb, training=training, logits=self._fused_softmax)
        grad = self.buffer("dloss", out.shape) if training else None
        if wb is None:
            loss = self.loss.value_and_grad(self.ops, out, yb, grad, outputs_are_logits=self._fused_softmax)
        else:
            loss = self.loss.value_and_grad(self.ops, out, yb, grad, outputs_are_logits=self._fused_softmax,
                                            sample_weight=wb)
        # Weight penalties count in the loss that is trained on and reported
        # (as in Keras), unweighted by the samples.
        for reg, weights, _ in self._penalties:
            loss += reg(weights)
        # As Keras: the reported loss is the batch-size-weighted mean of the batch losses.
        n = xb.shape[0]
        self._loss_total += loss * n
        self._loss_count += n
        self._update_metrics(out, yb, wb)
        return grad

    def _update_metrics(self, out, yb, wb):
        """Metrics take probabilities: when the model emitted logits for the
        fused loss, one softmax per batch serves every metric that needs it
        (the argmax accuracies take the logits as they are)."""
        probs = None
        for metric, weighted in zip(self._metrics, self._metric_weighted):
            pred = out
            if self._fused_softmax and not getattr(metric, "argmax_only", False):
                if probs is None:
                    probs = self.ops.softmax(out, self.buffer("metric_probs", out.shape))
                pred = probs
            metric.update_batch(self.ops, yb, pred, wb if weighted else None)

    def _train_step(self, xb, yb, wb=None):
        grad = self._loss_step(xb, yb, wb, training=True)
        self.backward(grad, need_dx=False)
        for reg, weights, weight_grad in self._penalties:
            reg.add_gradient(self.ops, weights, weight_grad)
        self.optimizer.apply()

    def _training_plan(self):
        """Which runs of which parameter stores the optimizer updates. As in
        Keras, the layers' ``trainable`` flags count as they were at compile
        time (or at the first training call of a model built after it)."""
        stores = self.stores()
        if self._plan is None or [store for store, _ in self._plan] != stores:
            self._plan = [(store, store.trainable_segments()) for store in stores]
        return self._plan

    def _bind_optimizer(self):
        self.optimizer.bind(self._training_plan())

    # ----------------------------------------------------------------- data
    def _adapter(self, x, y, sample_weight, class_weight, batch_size, what="x"):
        """The data adapter for ``x``, with the default batch size for arrays."""
        if data_kind(x) == "arrays":
            batch_size = check_positive_int(DEFAULT_BATCH_SIZE if batch_size is None else batch_size,
                                            "batch_size")
        elif batch_size is not None:
            check_positive_int(batch_size, "batch_size")
        return get_data_adapter(self, x, y, sample_weight, class_weight, batch_size, what)

    def _split(self, x, y, sample_weight, validation_split):
        """``(train, validation)`` tuples: the last ``validation_split`` of the samples validate."""
        if data_kind(x) != "arrays":
            raise ValueError("`validation_split` is only supported for Tensors or NumPy arrays, "
                             f"found {type(x).__name__}")
        x, y, sample_weight = (host_array(v) for v in (x, y, sample_weight))
        x = x if isinstance(x, np.ndarray) else np.asarray(x)
        if y is None:
            raise ValueError("fit needs targets y")
        y = y if isinstance(y, np.ndarray) else np.asarray(y)
        check_same_length(len(x), len(y), "x", "y")
        split = int(len(x) * (1.0 - float(validation_split)))
        if split == 0 or split == len(x):
            raise ValueError(f"validation_split={validation_split} leaves no training or no "
                             f"validation samples out of {len(x)}")
        weights = (None, None)
        if sample_weight is not None and np.ndim(sample_weight) > 0:
            sample_weight = np.asarray(sample_weight)
            weights = (sample_weight[:split], sample_weight[split:])
        elif sample_weight is not None:
            weights = (sample_weight, sample_weight)
        return (x[:split], y[:split], weights[0]), (x[split:], y[split:], weights[1])

    def _validation(self, validation_data, batch_size, steps):
        """``(EpochIterator or None, DataParallel or None)``: the validation
        batches, this process's shard of them under a distribution (None: an
        empty shard)."""
        if validation_data is None:
            return None, None
        if isinstance(validation_data, (tuple, list)):
            if len(validation_data) not in (2, 3):
                raise ValueError("validation_data must be a tuple (x_val, y_val) or (x_val, y_val, "
                                 f"val_sample_weight), got {len(validation_data)} items")
            vx, vy, vw = tuple(validation_data) + (None,) * (3 - len(validation_data))
        else:
            vx, vy, vw = validation_data, None, None
        adapter = self._adapter(vx, vy, vw, None, batch_size, "validation x")
        dist = distributed_eval.current(vx)
        if dist is not None:  # checked whole above, so every process refuses bad data alike
            mine = distributed_eval.shard(self, dist, vx, vy, vw, adapter.batch_size, steps)
            if mine is None:
                return None, dist
            sx, sy, sw = mine
            adapter, steps = self._adapter(sx, sy, sw, None, batch_size, "validation x"), None
        return EpochIterator(adapter, steps, "the validation data"), dist

    # ------------------------------------------------------------------ fit
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: int | str = "auto", callbacks: Sequence[callbacks_module.Callback] | None = None,
            validation_split: float = 0.0, validation_data: Any = None, shuffle: bool | str = True,
            class_weight: dict[int, float] | None = None, sample_weight: ArrayLike | None = None,
            initial_epoch: int = 0, steps_per_epoch: int | None = None,
            validation_steps: int | None = None, validation_batch_size: int | None = None,
            validation_freq: int = 1) -> callbacks_module.History:
        """Train for ``epochs`` epochs; returns a :class:`History`.

        Args:
            x: arrays (NumPy, lists, ``np.memmap``, pandas), a generator or
                iterator of ``(x, y)``/``(x, y, sample_weight)`` batches, or a
                :class:`fastmlp.utils.PyDataset` (or any object with
                ``__len__``/``__getitem__`` giving such batches).
            y, sample_weight: targets and per-sample weights, with array ``x`` only.
            class_weight: ``{label: weight}``, turned into per-sample weights.
            steps_per_epoch: batches per epoch (the next epoch goes on where
                the last stopped), or None for one pass.
            validation_data: ``(x, y)``, ``(x, y, sample_weight)``, a
                generator or a dataset; ``validation_freq``: an int (every
                N-th epoch) or the 1-based epochs to validate after.
            initial_epoch: the epoch to start from (for resuming).

        Returns:
            A :class:`fastmlp.callbacks.History` whose ``history`` maps each
            logged name (``loss``, the metrics, ``val_*``) to one value per
            epoch.

        Raises:
            RuntimeError: the model was not compiled.
            ValueError: inputs or targets of the wrong shape, length or dtype,
                non-finite values, labels out of range, or a bad argument
                (``validation_split`` outside [0, 1)); nothing is trained.

        Example:
            >>> history = model.fit(x_train, y_train, epochs=5, batch_size=32,
            ...                     validation_split=0.1)
            >>> history.history["val_accuracy"][-1]
        """
        self._require_compiled("fit")
        verbose = verbosity(verbose)
        due = validation_epochs(validation_freq)
        steps_per_epoch = optional_steps(steps_per_epoch, "steps_per_epoch")
        validation_steps = optional_steps(validation_steps, "validation_steps")
        epochs, initial_epoch = int(epochs), int(initial_epoch)
        if not 0.0 <= float(validation_split) < 1.0:
            raise ValueError(f"validation_split must be in [0, 1), got {validation_split}")
        if x is None:
            raise ValueError("fit needs training inputs x")
        if validation_data is None and validation_split:
            (x, y, sample_weight), validation_data = self._split(x, y, sample_weight, validation_split)
        train = EpochIterator(self._adapter(x, y, sample_weight, class_weight, batch_size),
                              steps_per_epoch)
        val_batch = validation_batch_size if validation_batch_size is not None else batch_size
        val, val_dist = self._validation(validation_data, val_batch, validation_steps)

        history = callbacks_module.History()
        # As in Keras: the progress bar first (its epoch line comes before the
        # other callbacks' messages), History last.
        cbs: list[callbacks_module.Callback] = [callbacks_module.ProgbarLogger(verbose)] if verbose else []
        cbs += list(callbacks or []) + [history]
        callback_list = callbacks_module.CallbackList(
            cbs, self, {"epochs": epochs, "steps": train.num_batches, "verbose": verbose})
        ready = self.built
        compiled = None
        if ready:
            self._prepare_run()
            self._bind_optimizer()
        # Under a DataParallel distribution (set, or the launcher's processes):
        # process 0's state everywhere, every process's model and data checked
        # against it. Decided before the compiled step, which steps aside then.
        distributed = distributed_fit.start(self, train.adapter)
        self._distributed = distributed
        if ready and steps_per_epoch is None and distributed is None:
            compiled = compiled_training.prepare(self, train.adapter)
        train_step = self._train_step if distributed is None else distributed.train_step
        self.stop_training = False
        self.history = history
        self._initial_epoch = None
        callback_list.on_train_begin()
        initial_epoch = self._initial_epoch or initial_epoch
        logs = {}
        # Batch logs cost a host sync on a GPU: build them only for callbacks
        # that read them (the progress bar asks the model when it draws).
        batch_logs = callback_list.wants("on_train_batch_end")
        # The compiled step returns to Python every steps_per_execution steps
        # when a callback watches batches (as Keras), else in automatic chunks.
        watched = batch_logs or callback_list.wants("on_train_batch_begin")
        per_step = (None if self.steps_per_execution == "auto" or not watched
                    else self.steps_per_execution)
        with distributed_fit.guard(distributed), DeferredInterrupt() as interrupt, \
                self._run_context(getattr(train.adapter, "batch_size", None)):
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                callback_list.on_epoch_begin(epoch)
                rng = np.random.default_rng([self._shuffle_seed, self._epochs_seen]) if shuffle else None
                steps = 0
                if compiled is not None:
                    steps = compiled_training.run_epoch(compiled, train.num_batches, rng, callback_list,
                                                        per_step, batch_logs, interrupt)
                for step, (xb, yb, wb) in () if compiled is not None else train.epoch(rng):
                    if not ready:  # a generator's first batch built the model
                        self._prepare_run()
                        self._bind_optimizer()
                        ready = True
                    callback_list.on_train_batch_begin(step)
                    train_step(xb, yb, wb)
                    steps += 1
                    callback_list.on_train_batch_end(step, self._logs() if batch_logs else None)
                    if self.stop_training or interrupt.hit:
                        break
                if interrupt.hit or (steps == 0 and train.exhausted):
                    break
                self._epochs_seen += 1
                logs = self._logs()
                if (val is not None or val_dist is not None) and due(epoch):
                    val_logs = distributed_eval.evaluate_data(self, val, val_dist)
                    logs.update({f"val_{key}": value for key, value in val_logs.items()})
                callback_list.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
        if interrupt.hit:
            raise KeyboardInterrupt("training interrupted; the model holds the weights of the last "
                                    "completed step")
        callback_list.on_train_end(logs)
        self._distributed = None
        return history

    def _run_context(self, batch_size):
        """The backend's training context for ``batch_size`` (None: unknown),
        or a no-op before the model is built."""
        if not self.built:
            return contextlib.nullcontext()
        return self.ops.training_context(batch_size or DEFAULT_BATCH_SIZE)

    # ------------------------------------------------------------ on batch
    def train_on_batch(self, x: ArrayLike, y: ArrayLike | None = None,
                       sample_weight: ArrayLike | None = None,
                       class_weight: dict[int, float] | None = None,
                       return_dict: bool = False) -> float | list[float] | dict[str, float]:
        """One optimizer step on one batch, weighted by ``sample_weight`` or
        ``class_weight``. Like Keras 3, the metrics are reset first, so the
        loss and metrics returned are this batch's alone."""
        self._require_compiled("train_on_batch")
        data = ArrayData(self, x, y, "x", sample_weight, class_weight)
        self._prepare_run()
        self._bind_optimizer()
        self.reset_metrics()  # after the checks: a rejected call changes nothing
        for xb, yb, wb in data.batches(len(data)):
            self._train_step(xb, yb, wb)
        return self._batch_result(return_dict)

