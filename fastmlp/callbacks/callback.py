"""The Callback base class and the list that dispatches to callbacks."""

from __future__ import annotations

from typing import Any, Callable


class Callback:
    """Base class: override the hooks you need. ``self.model`` and
    ``self.params`` (epochs, steps, verbose) are set before training starts.

    The hooks, as in Keras (each takes ``logs``, a dict or None):
    ``on_train_begin/end``, ``on_epoch_begin/end(epoch, logs)``,
    ``on_train_batch_begin/end(batch, logs)`` (which call Keras 2's
    ``on_batch_begin/end``), ``on_test_begin/end``,
    ``on_test_batch_begin/end``, ``on_predict_begin/end`` and
    ``on_predict_batch_begin/end``. ``on_epoch_end``'s ``logs`` hold the
    epoch's loss and metrics (``val_`` ones too with validation data); a hook
    may add entries, which later callbacks and the History see.

    Raises:
        Nothing: the constructor takes no input; an exception a hook raises
            propagates out of ``fit`` (or ``evaluate``, ``predict``).

    Example:
        >>> class PrintEpochs(fastmlp.callbacks.Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         print(epoch, sorted(logs), self.params["epochs"])
        >>> model = fastmlp.Sequential([fastmlp.Input((2,)), fastmlp.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> x, y = np.ones((8, 2), dtype="float32"), np.zeros((8, 1), dtype="float32")
        >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[PrintEpochs()])
        0 ['loss'] 2
        1 ['loss'] 2
    """

    def __init__(self) -> None:
        self.model: Any = None  # the Model being trained (set by set_model)
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        """Set ``self.model`` (``fit`` calls it before training starts)."""
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        """Set ``self.params`` (``fit`` calls it before training starts)."""
        self.params = params

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None: pass
    def on_train_end(self, logs: dict[str, Any] | None = None) -> None: pass
    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None: pass
    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None: pass
    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.on_batch_end(batch, logs)

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None: pass
    def on_test_end(self, logs: dict[str, Any] | None = None) -> None: pass
    def on_test_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None: pass
    def on_test_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None: pass
    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None: pass
    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None: pass
    def on_predict_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None: pass
    def on_predict_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None: pass

    # Keras 2 names of the training-batch hooks, called by the default ones above
    def on_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None: pass
    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None: pass


_KERAS2_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


class CallbackList:
    """Calls every hook on each callback in order.

    ``fit``, ``evaluate`` and ``predict`` build one; user code rarely needs
    to. Calling ``callbacks.on_<hook>(...)`` calls that hook of each
    callback that has it (``logs`` defaults to None, as Keras passes it).

    Args:
        callbacks: Callback instances, or any objects with some of the hook
            methods (as Keras: a missing hook is skipped, and
            ``set_model``/``set_params`` are called only where they exist).
        model: the model, passed to each callback's ``set_model``.
        params: ``{"epochs", "steps", "verbose"}``, passed to each
            callback's ``set_params``.

    Raises:
        TypeError: an item of ``callbacks`` that is None, a class, a str,
            bytes or a number instead of a callback.

    Example:
        >>> seen = []
        >>> cb = fastmlp.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append((epoch, logs)))
        >>> callbacks = fastmlp.callbacks.CallbackList([cb], model=None, params={"epochs": 1})
        >>> callbacks.on_epoch_end(0, {"loss": 0.5})
        >>> callbacks.on_epoch_end(1)
        >>> seen
        [(0, {'loss': 0.5}), (1, None)]
        >>> callbacks.wants("on_epoch_end"), callbacks.wants("on_epoch_begin")
        (True, False)
    """

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            if isinstance(callback, (type, str, bytes, int, float)) or callback is None:
                raise TypeError(f"callbacks must be Callback instances (or objects with callback "
                                f"methods such as on_epoch_end), got {callback!r}")
            for setter, value in (("set_model", model), ("set_params", params)):
                method = getattr(callback, setter, None)
                if callable(method):
                    method(value)

    def wants(self, hook):
        """Whether a callback overrides ``hook`` (or its Keras 2 alias), so that
        the logs passed to it must be computed; callbacks with
        ``pulls_logs = True`` fetch what they need themselves.

        Args:
            hook: a hook's name, e.g. ``"on_train_batch_end"``.

        Returns:
            A bool.
        """
        names = {hook, _KERAS2_ALIASES.get(hook, hook)}
        return any(not getattr(cb, "pulls_logs", False) and any(_overrides(cb, n) for n in names)
                   for cb in self.callbacks)

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        # Keras passes ``logs`` (None when there are none) to every hook; a
        # duck-typed callback may take it as a required argument.
        arity = 2 if ("batch" in hook or "epoch" in hook) else 1

        def dispatch(*args):
            args = args + (None,) * (arity - len(args))
            for callback in self.callbacks:
                method = getattr(callback, hook, None)
                if method is not None:
                    method(*args)
        return dispatch


def _overrides(callback, hook):
    """Whether ``callback`` has its own ``hook`` (not Callback's no-op)."""
    if not isinstance(callback, Callback):
        return callable(getattr(callback, hook, None))
    return getattr(type(callback), hook) is not getattr(Callback, hook) or hook in vars(callback)


class LambdaCallback(Callback):
    """A callback from plain functions: ``on_epoch_end=lambda epoch, logs: ...``.

    Args:
        **hooks: functions by hook name: ``on_epoch_begin``/``on_epoch_end``
            take ``(epoch, logs)``, ``on_train_batch_begin``/``_end`` (and
            Keras 2's ``on_batch_begin``/``_end``) take ``(batch, logs)``,
            ``on_train_begin``/``_end``, ``on_test_begin``/``_end`` and
            ``on_predict_begin``/``_end`` take ``(logs)``. A hook given as
            None is left out.

    Raises:
        TypeError: a keyword that is not one of those hooks (Keras keeps
            unknown keywords as attributes instead).

    Example:
        >>> model = fastmlp.Sequential([fastmlp.Input((2,)), fastmlp.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> x, y = np.ones((8, 2), dtype="float32"), np.zeros((8, 1), dtype="float32")
        >>> batches = []
        >>> cb = fastmlp.callbacks.LambdaCallback(
        ...     on_train_batch_end=lambda batch, logs: batches.append(batch),
        ...     on_train_end=lambda logs: print("done after", len(batches), "batches"))
        >>> _ = model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[cb])
        done after 4 batches
    """

    _HOOKS = ("on_epoch_begin", "on_epoch_end", "on_train_begin", "on_train_end",
              "on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end",
              "on_test_begin", "on_test_end", "on_predict_begin", "on_predict_end")

    def __init__(self, **hooks: Callable[..., Any]) -> None:
        super().__init__()
        unknown = set(hooks) - set(self._HOOKS)
        if unknown:
            raise TypeError(f"LambdaCallback got unknown hook(s): {', '.join(sorted(unknown))}")
        for name, fn in hooks.items():
            if fn is not None:
                setattr(self, name, fn)
