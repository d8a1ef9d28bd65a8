"""The Lambda's deployment package: this package and pg8000's distributions, as a deterministic zip.

Terraform updates the function when `source_code_hash` changes, so two builds of the
same sources must give the same bytes: entries sorted, 1980-01-01 timestamps, one file
mode, and stored rather than deflated (deflate's output differs between zlib and
zlib-ng builds, so machines would disagree). Dependencies are copied from the installed
distributions' own file lists (each file checked against its RECORD hash), found by
following their requirements as they evaluate on the Lambda runtime. Compiled
extensions are refused: the package must not depend on the machine that built it.
boto3 is not packaged: the runtime provides it.

Usage: python -m rotation.package DIRECTORY   (prints the zip's path and its hash)
"""

from __future__ import annotations

import base64
import hashlib
import sys
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

HANDLER = "rotation.handler.lambda_handler"
RUNTIME = "python3.13"
ARCHITECTURE = "x86_64"
FILENAME = "secret-rotation.zip"
ROOT_REQUIREMENT = "pg8000"
SOURCE = Path(__file__).resolve().parent
# Environment markers as they evaluate on the Lambda runtime (Amazon Linux 2023).
LAMBDA_MARKERS = {
    "python_version": "3.13",
    "python_full_version": "3.13.0",
    "implementation_name": "cpython",
    "implementation_version": "3.13.0",
    "platform_python_implementation": "CPython",
    "os_name": "posix",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": ARCHITECTURE,
}
COMPILED = (".so", ".pyd", ".dylib", ".dll")
EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold
FILE_MODE = 0o100644  # regular file, rw-r--r--

Finder = Callable[[str], metadata.Distribution]


class PackageError(RuntimeError):
    """The package cannot be built as required; the message names the distribution and file."""


@dataclass(frozen=True)
class Package:
    path: Path
    base64_sha256: str  # what the Lambda function's source_code_hash expects


def build(destination: Path) -> Package:
    """Write the zip into the directory `destination`."""
    entries = {**sources(SOURCE), **dependency_files(distributions(ROOT_REQUIREMENT))}
    destination.mkdir(parents=True, exist_ok=True)
    path = destination / FILENAME
    staged = destination / f".{FILENAME}.partial"
    write_zip(staged, entries)
    staged.replace(path)
    return Package(path, base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode("ascii"))


def sources(directory: Path) -> dict[str, bytes]:
    """The rotation package's modules: its .py files only (no tests, caches or data)."""
    return {f"{directory.name}/{path.name}": path.read_bytes() for path in sorted(directory.glob("*.py"))}


def distributions(
    root: str, *, find: Finder = metadata.distribution, markers: Mapping[str, str] = LAMBDA_MARKERS
) -> list[metadata.Distribution]:
    """`root`'s distribution and every one it requires, recursively, as on the Lambda runtime."""
    environment: dict[str, str] = {**{key: str(value) for key, value in default_environment().items()}, **markers}
    found: dict[str, metadata.Distribution] = {}
    extras_done: dict[str, set[str]] = {}
    work = [(Requirement(root), "the function")]
    while work:
        requirement, parent = work.pop()
        name = canonicalize_name(requirement.name)
        if name not in found:
            try:
                found[name] = find(requirement.name)
            except metadata.PackageNotFoundError:
                raise PackageError(f"{requirement.name} (required by {parent}) is not installed") from None
        dist = found[name]
        if not requirement.specifier.contains(dist.version, prereleases=True):
            raise PackageError(f"{requirement.name} {dist.version} is installed; {parent} requires {requirement}")
        # "" stands for no extra: requirements without an `extra ==` marker.
        new = ({""} | set(requirement.extras)) - extras_done.setdefault(name, set())
        if not new:
            continue
        extras_done[name] |= new
        for text in dist.requires or []:
            needed = Requirement(text)
            marker = needed.marker
            if marker is None or any(marker.evaluate({**environment, "extra": extra}) for extra in new):
                work.append((needed, f"{dist.metadata['Name']} {dist.version}"))
    return [found[name] for name in sorted(found)]


def dependency_files(dists: list[metadata.Distribution]) -> dict[str, bytes]:
    entries: dict[str, bytes] = {}
    for dist in dists:
        label = f"{dist.metadata['Name']} {dist.version}"
        for name, content in _files(dist, label):
            if name in entries:
                raise PackageError(f"{label} installs {name}, which another distribution installs too")
            entries[name] = content
    return entries


def _files(dist: metadata.Distribution, label: str) -> Iterator[tuple[str, bytes]]:
    if dist.files is None:
        raise PackageError(f"{label} has no file list (RECORD): cannot tell what to package")
    for file in dist.files:
        name = file.as_posix()
        parts = name.split("/")
        if name.startswith("../") or "__pycache__" in parts or name.endswith(".pyc"):
            continue  # scripts installed outside site-packages, and bytecode of this machine's Python
        if parts[0].endswith(".dist-info") and not _kept_metadata(parts[1:]):
            continue  # installer records; METADATA stays for importlib.metadata.version()
        if name.endswith(COMPILED) or ".so." in parts[-1]:
            raise PackageError(f"{label} has a compiled extension ({name}): the package must be pure Python")
        content = Path(str(dist.locate_file(file))).read_bytes()
        if file.hash is not None and file.hash.mode == "sha256":
            digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode("ascii")
            if digest != file.hash.value:
                raise PackageError(f"{label}: {name} differs from its RECORD hash (changed since installed)")
        yield name, content


def _kept_metadata(parts: list[str]) -> bool:
    """METADATA (pg8000 and scramp read their own version) and licence texts."""
    if parts == ["METADATA"] or parts[0] == "licenses":
        return True
    return parts[-1].upper().startswith(("LICENSE", "LICENCE", "COPYING", "NOTICE", "AUTHORS"))


def write_zip(path: Path, entries: Mapping[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.create_system = 3  # Unix, so that the mode below is read
            info.external_attr = FILE_MODE << 16
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, entries[name])


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m rotation.package DIRECTORY", file=sys.stderr)
        return 2
    try:
        package = build(Path(argv[0]))
    except PackageError as error:
        print(f"rotation package: {error}", file=sys.stderr)
        return 1
    print(f"{package.path} base64_sha256={package.base64_sha256} handler={HANDLER} runtime={RUNTIME}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
