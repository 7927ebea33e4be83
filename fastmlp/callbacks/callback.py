"""The Callback base class and the list that dispatches to callbacks."""


class Callback:
    """Base class: override the hooks you need. ``self.model`` and
    ``self.params`` (epochs, steps, verbose) are set before training starts."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)

    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass

    # Keras 2 names of the training-batch hooks, called by the default ones above
    def on_batch_begin(self, batch, logs=None): pass
    def on_batch_end(self, batch, logs=None): pass


_KERAS2_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


class CallbackList:
    """Calls every hook on each callback in order."""

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"callbacks must be fastmlp.callbacks.Callback instances, got {callback!r}")
            callback.set_model(model)
            callback.set_params(params)

    def wants(self, hook):
        """Whether a callback overrides ``hook`` (or its Keras 2 alias), so that
        the logs passed to it must be computed; callbacks with
        ``pulls_logs = True`` fetch what they need themselves."""
        names = {hook, _KERAS2_ALIASES.get(hook, hook)}
        return any(not getattr(cb, "pulls_logs", False)
                   and any(getattr(type(cb), n) is not getattr(Callback, n) or n in vars(cb) for n in names)
                   for cb in self.callbacks)

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def dispatch(*args):
            for callback in self.callbacks:
                getattr(callback, hook)(*args)
        return dispatch


class LambdaCallback(Callback):
    """A callback from plain functions: ``on_epoch_end=lambda epoch, logs: ...``."""

    _HOOKS = ("on_epoch_begin", "on_epoch_end", "on_train_begin", "on_train_end",
              "on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end",
              "on_test_begin", "on_test_end", "on_predict_begin", "on_predict_end")

    def __init__(self, **hooks):
        super().__init__()
        unknown = set(hooks) - set(self._HOOKS)
        if unknown:
            raise TypeError(f"LambdaCallback got unknown hook(s): {', '.join(sorted(unknown))}")
        for name, fn in hooks.items():
            if fn is not None:
                setattr(self, name, fn)
