"""Device arrays of the emulated GPU (see cuda_emulator.py): NumPy arrays that
NumPy cannot see, refusing silent host interop as CuPy does.

``np.asarray(dev)``/``np.array(dev)``/``dev.__array__()`` raise TypeError with
CuPy's message; a host ``numpy.ndarray`` (one or more dimensions) mixed into
arithmetic, a ufunc, a ``cupy.*`` function, an ``out=`` or a setitem value is a
TypeError; data crosses only through ``cupy.asarray``/``cupy.array`` (host to
device, always a copy) and ``cupy.asnumpy``/``.get()`` (device to host). The
rest of the ndarray surface (views, reshape, T, astype, in-place operators,
reductions returning 0-d device arrays, fill...) is forwarded to NumPy.
"""

import types

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

#: CuPy's own wording (cupy/_core/core.pyx, ndarray.__array__)
IMPLICIT_CONVERSION = ("Implicit conversion to a NumPy array is not allowed. "
                       "Please use `.get()` to construct a NumPy array explicitly.")


# ------------------------------------------------------------ device arrays
def _device_args(obj, where):
    """``obj`` with device arrays unwrapped (lists and tuples walked); a host
    ndarray of one or more dimensions is a TypeError, as in CuPy."""
    if isinstance(obj, DeviceArray):
        return obj._a
    if isinstance(obj, np.ndarray) and obj.ndim > 0:
        raise TypeError(f"{where}: a host numpy.ndarray {obj.shape} cannot be mixed with device "
                        f"arrays (copy it with cupy.asarray first)")
    if isinstance(obj, (list, tuple)):
        return type(obj)(_device_args(o, where) for o in obj)
    return obj


def _wrap(result):
    """Results on the device: arrays and NumPy scalars (CuPy's reductions
    return 0-d device arrays, not host scalars)."""
    if isinstance(result, np.ndarray):
        return DeviceArray(result)
    if isinstance(result, np.generic):
        return DeviceArray(np.asarray(result))
    if isinstance(result, tuple):
        return tuple(_wrap(r) for r in result)
    if isinstance(result, list):
        return [_wrap(r) for r in result]
    return result


def _index(key):
    """An index with device arrays unwrapped (CuPy also takes host index arrays)."""
    if isinstance(key, DeviceArray):
        return key._a
    if isinstance(key, tuple):
        return tuple(k._a if isinstance(k, DeviceArray) else k for k in key)
    return key


def _call_on_device(fn, args, kwargs, where):
    out = kwargs.get("out")
    if out is not None:
        outs = out if isinstance(out, tuple) else (out,)
        for o in outs:
            if not isinstance(o, DeviceArray):
                raise TypeError(f"{where}: out must be a device array, got {type(o).__name__}")
    result = fn(*_device_args(args, where),
                **{k: _device_args(v, where) for k, v in kwargs.items()})
    if out is not None:
        return out  # the caller's own device array(s), written in place
    return _wrap(result)


class DeviceArray(NDArrayOperatorsMixin):
    """An array in "device memory": a NumPy array that NumPy cannot see."""

    __slots__ = ("_a",)
    __array_priority__ = 100.0

    def __init__(self, data):
        assert isinstance(data, np.ndarray)
        self._a = data

    # NumPy interop, refused as CuPy refuses it
    def __array__(self, dtype=None, copy=None):
        raise TypeError(IMPLICIT_CONVERSION)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if "out" in kwargs:
            out = kwargs["out"]
            kwargs["out"] = out if isinstance(out, tuple) else (out,)
            if len(kwargs["out"]) == 1:
                kwargs["out"] = kwargs["out"][0]
        return _call_on_device(getattr(ufunc, method), inputs, kwargs, f"numpy.{ufunc.__name__}")

    def __array_function__(self, func, types_, args, kwargs):
        return _call_on_device(func, args, kwargs, f"numpy.{func.__name__}")

    # the explicit device-to-host copy
    def get(self):
        """A host copy (``cupy.ndarray.get``)."""
        return self._a.copy()

    # the ndarray surface
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    size = property(lambda self: self._a.size)
    ndim = property(lambda self: self._a.ndim)
    strides = property(lambda self: self._a.strides)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: DeviceArray(self._a.T))

    def __getattr__(self, name):  # methods: reshape, astype, sum, fill, copy, view...
        if name.startswith("__") or name == "_a":
            raise AttributeError(name)
        attr = getattr(self._a, name)
        if not callable(attr):
            return _wrap(attr)
        return lambda *args, **kwargs: _call_on_device(attr, args, kwargs, f"ndarray.{name}")

    def __getitem__(self, key):
        return _wrap(self._a[_index(key)])

    def __setitem__(self, key, value):
        self._a[_index(key)] = _device_args(value, "setitem")

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (_wrap(row) for row in self._a)

    def __bool__(self):
        return bool(self._a)

    def __int__(self):
        return int(self._a)

    def __float__(self):
        return float(self._a)

    def __index__(self):
        return self._a.__index__()

    def __format__(self, spec):
        return format(self._a.item() if self._a.ndim == 0 else str(self), spec)

    def __repr__(self):
        return "device" + repr(self._a)

    def __str__(self):
        return str(self._a)

    def __copy__(self):
        return DeviceArray(self._a.copy())

    def __deepcopy__(self, memo):
        return DeviceArray(self._a.copy())


# ------------------------------------------------- host <-> device, functions
def host_to_device(a, dtype=None, order="K", copy=True):
    if isinstance(a, DeviceArray):
        converted = a._a.astype(dtype if dtype is not None else a.dtype, order=order, copy=copy)
        return a if converted is a._a else DeviceArray(converted)
    return DeviceArray(np.array(a, dtype=dtype, order=order, copy=True))  # never aliases host memory


class EmulatedCupy(types.ModuleType):
    """``cupy`` on the emulated device; NumPy's functions, on device arrays
    only, for what it does not define."""

    def __getattr__(self, name):
        attr = getattr(np, name)
        if isinstance(attr, type) or not callable(attr):
            if isinstance(attr, types.ModuleType):
                raise AttributeError(f"the emulated cupy has no {name}")
            return attr  # dtypes, constants
        return lambda *args, **kwargs: _call_on_device(attr, args, kwargs, f"cupy.{name}")


def device_module():
    """A ``cupy`` module of device arrays: ``ndarray``, the host/device copies
    (``asarray``, ``array``, ``asnumpy``), ``ascontiguousarray`` (device
    arrays only, as CuPy's), and NumPy's other functions on device arrays."""
    cupy = EmulatedCupy("cupy")
    cupy.ndarray = DeviceArray
    cupy.asarray = lambda a, dtype=None, order="K": host_to_device(a, dtype, order, copy=False)
    cupy.array = lambda a, dtype=None, copy=True, order="K": host_to_device(a, dtype, order, copy)

    def ascontiguousarray(a, dtype=None):
        if not isinstance(a, DeviceArray):
            raise TypeError(f"ascontiguousarray: a must be a device array, got {type(a).__name__}")
        return host_to_device(a, dtype, "C", copy=False)

    cupy.ascontiguousarray = ascontiguousarray
    cupy.asnumpy = lambda a: a.get() if isinstance(a, DeviceArray) else np.asarray(a)
    return cupy
