"""compile, fit, evaluate and predict: the training loop, apart from the layers."""

import signal
import threading

import numpy as np

from .. import callbacks as callbacks_module
from .. import losses, metrics as metrics_module, optimizers
from .. import random as _random
from ..layers.layer import as_input_batch
from ..utils.progbar import Progbar
from ..utils.validation import check_batch, check_positive_int, check_same_length
from .data import ArrayData

DEFAULT_BATCH_SIZE = 32


def _verbosity(verbose):
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    return verbose


def _reject_weights(sample_weight=None, class_weight=None):
    if sample_weight is not None or class_weight is not None:
        raise NotImplementedError("fastmlp does not support sample_weight or class_weight yet")


class _DeferredInterrupt:
    """Ctrl-C during ``fit`` lets the current step finish, so the weights and
    the optimizer state stay consistent; a second Ctrl-C interrupts at once."""

    def __init__(self):
        self.hit = False
        self._previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def _handler(self, signum, frame):
        if self.hit:
            signal.signal(signal.SIGINT, self._previous)
            raise KeyboardInterrupt
        self.hit = True

    def __exit__(self, *exc_info):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


class Trainer:
    """The training half of :class:`fastmlp.Model`."""

    def __init__(self):
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._metric_specs = []
        self._metrics = None
        self._plan = None
        self._loss_total = 0.0
        self._loss_count = 0
        # Shuffles are keyed by (shuffle seed, epochs trained), so training
        # resumed from a saved model draws the same orders as uninterrupted training.
        self._shuffle_seed = _random.draw_seed()
        self._epochs_seen = 0

    # -------------------------------------------------------------- compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1, jit_compile="auto",
                auto_scale_loss=True):
        """Set the optimizer, the loss and the metrics (names or objects)."""
        if loss_weights is not None or weighted_metrics:
            raise NotImplementedError("fastmlp does not support loss_weights or weighted_metrics")
        if loss is None:
            raise ValueError("compile needs a loss, e.g. loss='sparse_categorical_crossentropy'")
        if isinstance(metrics, dict):
            raise NotImplementedError("fastmlp models have one output: pass metrics as a list")
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            metrics = [metrics]
        self.loss = losses.get(loss)
        self.optimizer = optimizers.get(optimizer)
        for spec in metrics or ():
            metrics_module.get(spec, self.loss, num_outputs=2)  # reject unknown names now
        self._metric_specs = list(metrics or ())
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
            self._metrics = [metrics_module.get(spec, self.loss, num_outputs=outputs)
                             for spec in self._metric_specs]
        return self._metrics

    @property
    def metrics(self):
        return list(self._compiled_metrics()) if self.compiled and self.built else []

    @property
    def metrics_names(self):
        return ["loss"] + [m.name for m in self.metrics]

    def reset_metrics(self):
        """Start the running loss and metrics over."""
        self._loss_total = 0.0
        self._loss_count = 0
        for metric in self._compiled_metrics():
            metric.reset_state()

    def _logs(self):
        logs = {"loss": self._loss_total / self._loss_count if self._loss_count else 0.0}
        for metric in self._metrics:
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

    def _loss_step(self, xb, yb, training):
        """Forward pass, loss (and its gradient when training), metric counts."""
        out = self.forward(xb, training=training, logits=self._fused_softmax)
        grad = self.buffer("dloss", out.shape) if training else None
        loss = self.loss.value_and_grad(self.ops, out, yb, grad, outputs_are_logits=self._fused_softmax)
        # Weight penalties count in the loss that is trained on and reported (as in Keras).
        for reg, weights, _ in self._penalties:
            loss += reg(weights)
        n = xb.shape[0]
        self._loss_total += loss * n
        self._loss_count += n
        for metric in self._metrics:
            metric.update_counts(self.ops, out, yb)
        return grad

    def _train_step(self, xb, yb):
        grad = self._loss_step(xb, yb, training=True)
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

    # ------------------------------------------------------------------ fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` epochs; returns a :class:`History`."""
        self._require_compiled("fit")
        _reject_weights(sample_weight, class_weight)
        if steps_per_epoch is not None or validation_steps is not None:
            raise NotImplementedError("fastmlp trains on whole arrays: steps_per_epoch is not supported")
        batch_size = check_positive_int(DEFAULT_BATCH_SIZE if batch_size is None else batch_size, "batch_size")
        epochs = int(epochs)
        initial_epoch = int(initial_epoch)
        verbose = _verbosity(verbose)
        validation_freq = check_positive_int(validation_freq, "validation_freq")
        if not 0.0 <= float(validation_split) < 1.0:
            raise ValueError(f"validation_split must be in [0, 1), got {validation_split}")
        if x is None:
            raise ValueError("fit needs training inputs x")
        x = x if isinstance(x, np.ndarray) else np.asarray(x)
        y = y if y is None or isinstance(y, np.ndarray) else np.asarray(y)
        if validation_data is None and validation_split:
            if y is None:
                raise ValueError("fit needs targets y")
            check_same_length(len(x), len(y), "x", "y")
            split = int(len(x) * (1.0 - float(validation_split)))
            if split == 0 or split == len(x):
                raise ValueError(f"validation_split={validation_split} leaves no training or no "
                                 f"validation samples out of {len(x)}")
            validation_data = (x[split:], y[split:])
            x, y = x[:split], y[:split]
        train = ArrayData(self, x, y, "x")
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                raise ValueError("validation_data must be a tuple (x_val, y_val)")
            if len(validation_data) == 3 and validation_data[2] is not None:
                _reject_weights(sample_weight=validation_data[2])
            val = ArrayData(self, validation_data[0], validation_data[1], "validation x")
        val_batch = check_positive_int(batch_size if validation_batch_size is None else validation_batch_size,
                                  "validation_batch_size")

        steps = -(-len(train) // batch_size)
        history = callbacks_module.History()
        # As in Keras: the progress bar first (its epoch line comes before the
        # other callbacks' messages), History last.
        cbs = [callbacks_module.ProgbarLogger(verbose)] if verbose else []
        cbs += list(callbacks or []) + [history]
        callback_list = callbacks_module.CallbackList(
            cbs, self, {"epochs": epochs, "steps": steps, "verbose": verbose})

        self._prepare_run()
        self._bind_optimizer()
        self.stop_training = False
        self.history = history
        callback_list.on_train_begin()
        logs = {}
        # Batch logs cost a host sync on a GPU: build them only for callbacks
        # that read them (the progress bar asks the model when it draws).
        batch_logs = callback_list.wants("on_train_batch_end")
        with _DeferredInterrupt() as interrupt, self.ops.training_context(batch_size):
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                callback_list.on_epoch_begin(epoch)
                order = None
                if shuffle:
                    rng = np.random.default_rng([self._shuffle_seed, self._epochs_seen])
                    order = rng.permutation(len(train))
                for step, (xb, yb) in enumerate(train.batches(batch_size, order)):
                    callback_list.on_train_batch_begin(step)
                    self._train_step(xb, yb)
                    callback_list.on_train_batch_end(step, self._logs() if batch_logs else None)
                    if self.stop_training or interrupt.hit:
                        break
                if interrupt.hit:
                    break
                self._epochs_seen += 1
                logs = self._logs()
                if val is not None and (epoch + 1) % validation_freq == 0:
                    val_logs = self._evaluate_data(val, val_batch)
                    logs.update({f"val_{key}": value for key, value in val_logs.items()})
                callback_list.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
        if interrupt.hit:
            raise KeyboardInterrupt("training interrupted; the model holds the weights of the last "
                                    "completed step")
        callback_list.on_train_end(logs)
        return history

    # ------------------------------------------------------------- evaluate
    def _evaluate_data(self, data, batch_size, callback_list=None, bar=None):
        self.reset_metrics()
        for step, (xb, yb) in enumerate(data.batches(batch_size)):
            if callback_list is not None:
                callback_list.on_test_batch_begin(step)
            self._loss_step(xb, yb, training=False)
            if callback_list is not None:
                callback_list.on_test_batch_end(step, self._logs())
            if bar is not None:
                bar.update(step + 1, self._logs(), finalize=False)
        return self._logs()

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """Loss and metrics on ``(x, y)``: a float when there are no metrics,
        else ``[loss, *metrics]``, or a dict with ``return_dict=True``."""
        self._require_compiled("evaluate")
        _reject_weights(sample_weight)
        batch_size = check_positive_int(DEFAULT_BATCH_SIZE if batch_size is None else batch_size, "batch_size")
        verbose = _verbosity(verbose)
        data = ArrayData(self, x, y, "x")
        self._prepare_run()
        steps = -(-len(data) // batch_size)
        callback_list = callbacks_module.CallbackList(callbacks or [], self,
                                                      {"steps": steps, "verbose": verbose})
        bar = Progbar(steps, verbose=verbose) if verbose else None
        callback_list.on_test_begin()
        logs = self._evaluate_data(data, batch_size, callback_list, bar)
        if bar is not None:
            bar.update(steps, logs, finalize=True)
        callback_list.on_test_end(logs)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    # -------------------------------------------------------------- predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs for ``x`` in batches, as one array (NumPy on the CPU backends)."""
        batch_size = check_positive_int(DEFAULT_BATCH_SIZE if batch_size is None else batch_size, "batch_size")
        verbose = _verbosity(verbose)
        x = check_batch(x, "predict's x")
        self._ensure_built(x.shape[1:])
        n = x.shape[0]
        result = self.ops.xp.empty((n,) + self.output_shape_, dtype=np.float32)
        flat_result = result.reshape(n, -1)
        total = -(-n // batch_size)
        callback_list = callbacks_module.CallbackList(callbacks or [], self,
                                                      {"steps": total, "verbose": verbose})
        bar = Progbar(total, verbose=verbose) if verbose else None
        callback_list.on_predict_begin()
        for step, start in enumerate(range(0, n, batch_size)):
            callback_list.on_predict_batch_begin(step)
            xb, _ = as_input_batch(self.ops, x[start:start + batch_size], self.input_shape_, "predict")
            flat_result[start:start + batch_size] = self.forward(xb)
            callback_list.on_predict_batch_end(step, {})
            if bar is not None:
                bar.update(step + 1, finalize=False)
        if bar is not None:
            bar.update(total, finalize=True)
        callback_list.on_predict_end()
        return result

    # ------------------------------------------------------------ on batch
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One optimizer step on one batch. Like Keras 3, the loss and metrics
        returned are running values since the last ``reset_metrics``."""
        self._require_compiled("train_on_batch")
        _reject_weights(sample_weight, class_weight)
        data = ArrayData(self, x, y, "x")
        self._prepare_run()
        self._bind_optimizer()
        for xb, yb in data.batches(len(data)):
            self._train_step(xb, yb)
        return self._batch_result(return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss and metrics on one batch, without training."""
        self._require_compiled("test_on_batch")
        _reject_weights(sample_weight)
        data = ArrayData(self, x, y, "x")
        self._prepare_run()
        for xb, yb in data.batches(len(data)):
            self._loss_step(xb, yb, training=False)
        return self._batch_result(return_dict)

    def predict_on_batch(self, x):
        """Outputs for one batch (inference mode)."""
        return self(x)

    def _batch_result(self, return_dict):
        logs = self._logs()
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values
