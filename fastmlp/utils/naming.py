"""Automatic object names as Keras gives them: ``dense``, ``dense_1``, ...

The counters live here, at the bottom of the package, so that both the layers
that draw names and ``clear_session`` (which starts them over) can reach them
without importing each other.
"""

import re

_counts: dict[str, int] = {}


def to_snake_case(name):
    """``"BatchNormalization"`` -> ``"batch_normalization"``.

    Args:
        name: a CamelCase class name.

    Returns:
        The snake_case form Keras uses for default object names.
    """
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def unique_name(prefix):
    """``prefix`` the first time, then ``prefix_1``, ``prefix_2``, ...

    Args:
        prefix: the base name, usually ``to_snake_case`` of a class name.

    Returns:
        A name not handed out before in this session.
    """
    count = _counts.get(prefix, 0)
    _counts[prefix] = count + 1
    return prefix if count == 0 else f"{prefix}_{count}"


def reset_names():
    """Start every counter over, as Keras's ``clear_session`` does."""
    _counts.clear()
