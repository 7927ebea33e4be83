"""evaluate and predict (and their one-batch forms): the model's forward
passes over data, apart from training. :class:`~fastmlp.models.trainer.Trainer`
builds on this class; predict runs through the compiled inference path
(:mod:`fastmlp.models.compiled_inference`) when it can."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
from numpy.typing import ArrayLike

from .. import callbacks as callbacks_module
from .. import distribution as distribution_module
from ..layers.layer import as_input_batch
from ..utils.progbar import log_progbar
from ..utils.types import Float32Array
from ..utils.validation import check_positive_int
from . import compiled_inference, distributed_eval
from .data_adapters import ArrayData, data_kind, get_data_adapter, model_inputs
from .epoch_iterator import EpochIterator
from .loop_utils import DEFAULT_BATCH_SIZE, optional_steps, verbosity


if TYPE_CHECKING:
    # The rest of Model (its layers, the training half) supplies the
    # attributes these methods use; to the type checker they are Any.
    _ModelParts = Any
else:
    _ModelParts = object


class Evaluator(_ModelParts):
    """The evaluation half of :class:`fastmlp.Model`."""

    # ------------------------------------------------------------- evaluate
    def _evaluate_data(self, data, callback_list=None, bar=None):
        """Loss and metrics over one epoch of ``data`` (an EpochIterator)."""
        self.reset_metrics()
        ready = self.built
        if ready:
            self._prepare_run()
        for step, (xb, yb, wb) in data.epoch():
            if not ready:
                self._prepare_run()
                self.reset_metrics()
                ready = True
            if callback_list is not None:
                callback_list.on_test_batch_begin(step)
            self._loss_step(xb, yb, wb, training=False)
            if callback_list is not None:
                callback_list.on_test_batch_end(step, self._logs())
            if bar is not None:
                bar.update(step + 1, self._logs(), finalize=False)
        if not ready:
            raise ValueError(f"{data.what} gave no batches to evaluate")
        return self._logs()

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None,
                 verbose: int | str = "auto", sample_weight: ArrayLike | None = None,
                 steps: int | None = None, callbacks: Sequence[callbacks_module.Callback] | None = None,
                 return_dict: bool = False) -> float | list[float] | dict[str, float]:
        """Loss and metrics on ``(x, y)`` (or a generator or dataset of
        batches, as ``fit`` takes them).

        Args:
            x, y, sample_weight: as for :meth:`fit`.
            batch_size: samples per batch (32 when None).
            verbose: ``"auto"``, 0, 1 or 2, as in Keras.
            steps: batches to evaluate, or None for all.
            callbacks: callbacks whose test hooks run.
            return_dict: return ``{name: value}`` instead of a list.

        Under a :class:`~fastmlp.distribution.DataParallel` distribution,
        array data is split into contiguous shards, one per process, and
        every process returns the loss and metrics over all the samples.

        Returns:
            A float when there are no metrics, else ``[loss, *metrics]``, or
            a dict with ``return_dict=True``.

        Raises:
            RuntimeError: the model was not compiled.
            ValueError: inputs or targets that ``fit`` would refuse.

        Example:
            >>> loss, accuracy = model.evaluate(x_test, y_test, verbose=2)
        """
        self._require_compiled("evaluate")
        verbose = verbosity(verbose)
        steps = optional_steps(steps, "steps")
        # Under a DataParallel distribution (arrays): this process's shard,
        # the loss and metrics then summed over every process. A check of the
        # whole data fails alike everywhere; past it, a failure on one process
        # aborts them all (the others would wait in a collective).
        dist = distributed_eval.current(x)
        mine = None
        if dist is not None:
            batch_size = check_positive_int(DEFAULT_BATCH_SIZE if batch_size is None else batch_size,
                                            "batch_size")
            mine = distributed_eval.shard(self, dist, x, y, sample_weight, batch_size, steps)
            verbose = verbose if distribution_module.is_chief() else 0
        with distributed_eval.guard(dist):
            if dist is not None and mine is None:
                distributed_eval.empty_logs(self)
                logs = distributed_eval.global_logs(self, dist)
            else:
                if mine is not None:
                    (x, y, sample_weight), steps = mine, None
                logs = self._evaluate_run(x, y, sample_weight, batch_size, verbose, steps, callbacks, dist)
        return self._evaluate_result(logs, return_dict)

    def _evaluate_run(self, x, y, sample_weight, batch_size, verbose, steps, callbacks, dist):
        """evaluate's pass over the data, its callbacks and progress bar."""
        data = EpochIterator(self._adapter(x, y, sample_weight, None, batch_size), steps,
                             "the evaluation data")
        total = data.num_batches
        callback_list = callbacks_module.CallbackList(callbacks or [], self,
                                                      {"steps": total, "verbose": verbose})
        bar = log_progbar(total, verbose) if verbose and total else None
        callback_list.on_test_begin()
        logs = self._evaluate_data(data, callback_list, bar)
        if dist is not None:
            logs = distributed_eval.global_logs(self, dist)
        if bar is not None:
            bar.update(total, logs, finalize=True)
        callback_list.on_test_end(logs)
        return logs

    @staticmethod
    def _evaluate_result(logs, return_dict):
        """evaluate's return value: the logs, or their values (one: a float)."""
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    # -------------------------------------------------------------- predict
    def predict(self, x: Any, batch_size: int | None = None, verbose: int | str = "auto",
                steps: int | None = None,
                callbacks: Sequence[callbacks_module.Callback] | None = None) -> Float32Array:
        """Outputs for ``x`` in batches, as one array.

        Args:
            x: arrays, or a generator or dataset of ``(x,)`` or ``(x, y)``
                batches (the targets are ignored).
            batch_size: samples per batch (32 when None).
            verbose: ``"auto"``, 0, 1 or 2, as in Keras.
            steps: batches to predict, or None for all.
            callbacks: callbacks whose predict hooks run.

        Under a :class:`~fastmlp.distribution.DataParallel` distribution, each
        process predicts its contiguous shard of array ``x`` and every process
        returns all the outputs, in sample order.

        Returns:
            The model's outputs, ``(n, *output_shape)`` float32 (NumPy on the
            CPU backends, CuPy on ``cupy``).

        Raises:
            ValueError: inputs of the wrong shape or dtype, or a bad
                ``batch_size`` or ``steps``.

        Example:
            >>> probabilities = model.predict(x_test[:5], verbose=0)
            >>> probabilities.argmax(axis=1)
        """
        batch_size = check_positive_int(DEFAULT_BATCH_SIZE if batch_size is None else batch_size, "batch_size")
        verbose = verbosity(verbose)
        steps = optional_steps(steps, "steps")
        dist = distributed_eval.current(x)
        if dist is not None:  # each process predicts its shard; every process gets all rows
            return distributed_eval.predict(self, dist, x, batch_size, verbose, steps, callbacks)
        if data_kind(x) != "arrays":
            adapter = get_data_adapter(self, x, what="predict's x", targets=False)
            batches = EpochIterator(adapter, steps, "predict's data").epoch()
            return self._predict_batches(((step, xb) for step, (xb, _, _) in batches),
                                         adapter.num_batches, verbose, callbacks)
        x = model_inputs(self, x, "predict's x")
        total = -(-x.shape[0] // batch_size) if steps is None else min(steps, -(-x.shape[0] // batch_size))
        n = min(x.shape[0], total * batch_size)
        # Allocated first: an input too large for memory fails at once, not after hours.
        result = self.ops.xp.empty((n,) + self.output_shape_, dtype=np.float32)
        if not callbacks and not verbose and n:
            fast = compiled_inference.outputs(self, x[:n] if n < x.shape[0] else x, batch_size,
                                              result.reshape(n, -1), block=True)
            if fast is not None:
                return result
        batches = ((step, as_input_batch(self.ops, x[start:start + batch_size], self.input_shape_,
                                         "predict")[0])
                   for step, start in enumerate(range(0, n, batch_size)))
        return self._predict_batches(batches, total, verbose, callbacks, result.reshape(n, -1), batch_size)

    def _predict_batches(self, batches, total, verbose, callbacks, into=None, batch_size=None):
        """Outputs of ``(step, x_batch)`` pairs: written into ``into`` (rows
        of ``batch_size``) when given, else gathered and joined."""
        callback_list = callbacks_module.CallbackList(callbacks or [], self,
                                                      {"steps": total, "verbose": verbose})
        bar = log_progbar(total, verbose) if verbose and total else None
        callback_list.on_predict_begin()
        outputs = []
        for step, xb in batches:
            callback_list.on_predict_batch_begin(step)
            if into is not None:
                into[step * batch_size:step * batch_size + xb.shape[0]] = self.forward(xb)
            else:
                outputs.append(self.forward(xb).copy())
            callback_list.on_predict_batch_end(step, {})
            if bar is not None:
                bar.update(step + 1, finalize=False)
        if bar is not None:
            bar.update(total, finalize=True)
        callback_list.on_predict_end()
        if into is not None:
            return into.reshape((into.shape[0],) + self.output_shape_)
        if not outputs:
            raise ValueError("predict's data gave no batches")
        result = outputs[0] if len(outputs) == 1 else self.ops.xp.concatenate(outputs)
        return result.reshape((result.shape[0],) + self.output_shape_)

    def test_on_batch(self, x: ArrayLike, y: ArrayLike | None = None,
                      sample_weight: ArrayLike | None = None,
                      return_dict: bool = False) -> float | list[float] | dict[str, float]:
        """Loss and metrics on one batch, without training. Like Keras 3, the
        metrics are reset first, so the values returned are this batch's alone."""
        self._require_compiled("test_on_batch")
        data = ArrayData(self, x, y, "x", sample_weight)
        self._prepare_run()
        self.reset_metrics()  # after the checks: a rejected call changes nothing
        for xb, yb, wb in data.batches(len(data)):
            self._loss_step(xb, yb, wb, training=False)
        return self._batch_result(return_dict)

    def predict_on_batch(self, x: ArrayLike) -> Float32Array:
        """Outputs for one batch (inference mode)."""
        return self(x)

    def _batch_result(self, return_dict):
        logs = self._logs()
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values
