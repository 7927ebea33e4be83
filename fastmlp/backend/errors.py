"""The backend's exceptions, apart from the selection logic so that the
backends and the CUDA plumbing can raise them without importing the package
``__init__`` that imports them (one direction inside the package too)."""


class CompiledExtensionMissing(ImportError):
    """The compiled kernels could not be imported."""


class BackendUnavailable(ImportError):
    """A backend cannot run here: its optional package (CuPy) or hardware (an
    NVIDIA GPU) is missing; the message says which."""
