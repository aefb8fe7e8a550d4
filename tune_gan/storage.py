"""Where experiments live: a local (or mounted) directory, or a URI such as ``s3://bucket/runs``.

Both go through pyarrow's filesystems, as Tune's own storage does, so the sweep checks and
writes a bucket the same way it does a directory, and Tune gets the very location checked.
"""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import pyarrow
import pyarrow.fs

from trainables.config import one_line


class StorageError(Exception):
    """The storage path cannot hold experiments; the message names the value the user gave."""


@dataclasses.dataclass(frozen=True)
class StorageLocation:
    filesystem: pyarrow.fs.FileSystem
    path: str  # on ``filesystem``
    uri: str  # what Tune is given: an absolute local path, or the URI

    @classmethod
    def parse(cls, text: str) -> "StorageLocation":
        """A local path (``~`` expanded, made absolute) or a URI of a filesystem pyarrow knows."""
        if "://" not in text:
            path = str(Path(text).expanduser().resolve())
            return cls(pyarrow.fs.LocalFileSystem(), path, path)
        try:
            filesystem, path = pyarrow.fs.FileSystem.from_uri(text)
        except pyarrow.ArrowInvalid as error:
            raise StorageError(
                f"--storage-path {text}: not a storage URI pyarrow can open ({one_line(error)}); "
                "use a local path or e.g. s3://, gs://, file://"
            ) from None
        except OSError as error:  # a known scheme, but its bucket or host cannot be reached
            raise StorageError(f"--storage-path {text}: cannot be reached ({one_line(error)})") from None
        return cls(filesystem, path.rstrip("/"), text.rstrip("/"))

    def child(self, name: str) -> "StorageLocation":
        return StorageLocation(self.filesystem, f"{self.path}/{name}", f"{self.uri}/{name}")

    @property
    def is_local(self) -> bool:
        """A local or mounted directory (a plain path or ``file://``), whose free space can be asked."""
        return isinstance(self.filesystem, pyarrow.fs.LocalFileSystem)

    def exists(self) -> bool:
        return self.filesystem.get_file_info(self.path).type != pyarrow.fs.FileType.NotFound

    def is_file(self) -> bool:
        return self.filesystem.get_file_info(self.path).type == pyarrow.fs.FileType.File

    def ensure_writable_dir(self) -> None:
        """Create the directory if missing and prove a file can be written there."""
        if self.is_file():
            raise StorageError(f"--storage-path {self.uri}: is a file, not a directory")
        probe = f"{self.path}/.tune-gan-probe-{uuid.uuid4().hex}"
        try:
            self.filesystem.create_dir(self.path, recursive=True)
            with self.filesystem.open_output_stream(probe):
                pass
            self.filesystem.delete_file(probe)
        except OSError as error:
            reason = error.strerror or one_line(error)
            raise StorageError(f"--storage-path {self.uri}: not a writable directory ({reason})") from None

    def read_text(self, name: str) -> str:
        with self.filesystem.open_input_stream(f"{self.path}/{name}") as stream:
            return stream.read().decode()

    def write_text(self, name: str, text: str) -> None:
        self.filesystem.create_dir(self.path, recursive=True)
        with self.filesystem.open_output_stream(f"{self.path}/{name}") as stream:
            stream.write(text.encode())
