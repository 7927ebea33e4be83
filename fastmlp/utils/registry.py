"""One resolver for every table of named objects (layers, losses, metrics,
optimizers, schedules, initializers, regularizers, activations).

A :class:`Registry` is filled by the modules that define the objects: the
base classes add their public subclasses as they are defined, and aliases
(``"mse"``, ``"glorot_uniform"``) are added next to the classes. It is a
closed table: a saved file or a string can only name what is already in it,
and nothing a file contains is ever imported or executed.

The one case rule: names match case-insensitively (``"Adam"``, ``"adam"``
and ``"ADAM"`` are the same optimizer), class names and aliases alike.
"""


class Registry:
    """Named objects of one kind, looked up case-insensitively.

    Args:
        kind: what the objects are, for error messages (``"loss"``).
    """

    def __init__(self, kind):
        self.kind = kind
        self._by_key = {}
        self._names = []

    def register(self, obj, *aliases):
        """Add ``obj`` under its ``__name__`` and under each alias.

        Args:
            obj: a class or a function.
            *aliases: further names (``"mse"``) for the same object.

        Returns:
            ``obj``, so that this works as a class decorator.

        Raises:
            ValueError: when a name already stands for a different object.
        """
        for name in (obj.__name__,) + aliases:
            key = name.lower()
            known = self._by_key.get(key)
            if known is not None and known is not obj:
                raise ValueError(f"{self.kind} name {name!r} is already taken by {known.__name__}")
            if known is None:
                self._by_key[key] = obj
                self._names.append(name)
        return obj

    def names(self):
        """The registered names, in registration order."""
        return list(self._names)

    def __contains__(self, name):
        return isinstance(name, str) and name.lower() in self._by_key

    def lookup(self, name):
        """The object registered under ``name`` (any letter case).

        Raises:
            ValueError: naming the valid names when ``name`` is unknown.
        """
        obj = self._by_key.get(name.lower()) if isinstance(name, str) else None
        if obj is None:
            raise ValueError(f"unknown {self.kind} {name!r}; valid names are {', '.join(self._names)}")
        return obj

    def holds(self, obj):
        """Whether ``obj`` itself (not just a name) is registered."""
        return any(known is obj for known in self._by_key.values())

    def get(self, identifier, base):
        """Keras's ``get``: an instance of ``base`` as it is, a class
        instantiated with its defaults, a name looked up and instantiated.

        Args:
            identifier: an instance, a subclass of ``base`` or a name.
            base: the base class of this registry's objects.

        Returns:
            An instance of ``base``.

        Raises:
            ValueError: for an unknown name; TypeError for anything else.
        """
        if isinstance(identifier, base):
            return identifier
        if isinstance(identifier, type) and issubclass(identifier, base):
            return identifier()
        if isinstance(identifier, str):
            return self.lookup(identifier)()
        raise TypeError(f"{self.kind} must be a name, a class or an instance of "
                        f"{base.__module__}.{base.__name__}, got {identifier!r}")

    def deserialize(self, spec):
        """Rebuild an object written by :func:`serialize`, its class taken only
        from this registry (never from the file).

        Raises:
            ValueError: for a spec that is not a mapping or names an unknown class.
        """
        if not isinstance(spec, dict):
            raise ValueError(f"a saved {self.kind} must be a mapping, got {type(spec).__name__}")
        name = spec.get("class_name")
        if name not in self:
            raise ValueError(f"unknown {self.kind} {name!r} in saved configuration")
        cls = self.lookup(name)
        config = spec.get("config") or {}
        if not isinstance(config, dict):
            raise ValueError(f"the config of a saved {self.kind} must be a mapping, "
                             f"got {type(config).__name__}")
        from_config = getattr(cls, "from_config", None)
        return from_config(dict(config)) if from_config is not None else cls(**config)


def serialize(obj):
    """``{"class_name": ..., "config": obj.get_config()}``, the form model
    files store objects in; :meth:`Registry.deserialize` inverts it.

    Public as ``serialize`` in ``fastmlp.layers``, ``losses``, ``metrics``,
    ``optimizers``, ``optimizers.schedules``, ``initializers`` and
    ``regularizers``, each paired with that module's ``deserialize``.
    Keras's dict also has ``module`` and ``registered_name`` entries;
    ``deserialize`` reads only ``class_name`` and ``config``, so it accepts
    both forms.

    Args:
        obj: an object with a ``get_config()`` method (a layer, loss,
            metric, optimizer, ...).

    Returns:
        A dict ``{"class_name": type(obj).__name__, "config": obj.get_config()}``.

    Raises:
        AttributeError: ``obj`` has no ``get_config`` method.

    Example:
        >>> spec = fastmlp.layers.serialize(fastmlp.layers.Dense(2, activation="relu"))
        >>> spec["class_name"], spec["config"]["units"], spec["config"]["activation"]
        ('Dense', 2, 'relu')
        >>> fastmlp.layers.deserialize(spec).units
        2
    """
    return {"class_name": type(obj).__name__, "config": obj.get_config()}


def joins_registry(cls):
    """Whether a newly defined subclass joins its kind's registry: public
    classes of fastmlp itself do; a user's class is passed explicitly."""
    return cls.__module__.split(".")[0] == "fastmlp" and not cls.__name__.startswith("_")
