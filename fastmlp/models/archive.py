"""Zip model files read defensively: every member's declared size is checked
against a limit before it is decompressed, and a member that inflates past
what it declares is refused, so a corrupt or hostile file fails with a clear
:class:`ModelFileError` in bounded memory. Used by fastmlp's own format
(saving.py) and by Keras's ``.keras`` archives (keras_files/keras_v3.py).
"""

import os
import zipfile
import zlib

from .errors import ModelFileError


class BoundedZip:
    """An open zip model file whose members are read within size limits.

    Args:
        filepath: the file.
        kind: what the file should be, for messages (``"fastmlp model"``).
    """

    def __init__(self, filepath, kind):
        self.path = os.fspath(filepath)
        if not os.path.exists(self.path):
            raise FileNotFoundError(f"no model file at {self.path}")
        try:
            self.zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ModelFileError(f"{self.path} is not a {kind} file (not a readable archive: {exc})") from None
        self.entries = {info.filename: info for info in self.zip.infolist()}

    def read(self, name, limit):
        """The bytes of member ``name``, at most ``limit`` of them.

        Raises:
            ModelFileError: when the member is missing, declares or inflates
                to more than ``limit`` bytes, or is corrupt.
        """
        info = self.entries.get(name)
        if info is None:
            raise ModelFileError(f"{self.path} is missing the entry {name!r}")
        if info.file_size > limit:
            raise ModelFileError(f"{self.path}: entry {name!r} declares {info.file_size} bytes, "
                                 f"more than the {limit} expected")
        try:
            with self.zip.open(info) as f:
                data = f.read(limit + 1)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
            raise ModelFileError(f"{self.path} is corrupt: cannot read {name!r} ({exc})") from None
        if len(data) > limit:
            raise ModelFileError(f"{self.path}: entry {name!r} is larger than it declares")
        return data

    def close(self):
        self.zip.close()
