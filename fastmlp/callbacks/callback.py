"""The Callback base class and the list that dispatches to callbacks."""

from __future__ import annotations

from typing import Any, Callable


class Callback:
    """Base class: override the hooks you need. ``self.model`` and
    ``self.params`` (epochs, steps, verbose) are set before training starts."""

    def __init__(self) -> None:
        self.model: Any = None  # the Model being trained (set by set_model)
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
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
    """Calls every hook on each callback in order."""

    def __init__(self, callbacks, model, params):
        """Args: callbacks: Callback instances, or any objects with some of
        the hook methods (as Keras: a missing hook is skipped, and
        ``set_model``/``set_params`` are called only where they exist);
        model: the model; params: ``{"epochs", "steps", "verbose"}``."""
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
        ``pulls_logs = True`` fetch what they need themselves."""
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
    """A callback from plain functions: ``on_epoch_end=lambda epoch, logs: ...``."""

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
