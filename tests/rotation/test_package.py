"""The Lambda package: deterministic, pure Python, complete enough to import and connect alone."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from rotation import package
from rotation.package import PackageError
from tests.app.postgres_server import PostgresServer
from tests.conftest import ROOT
from tests.rotation.conftest import MASTER, MASTER_PASSWORD


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> package.Package:
    return package.build(tmp_path_factory.mktemp("first"))


def test_two_builds_are_byte_identical(built: package.Package, tmp_path: Path) -> None:
    again = package.build(tmp_path)
    assert again.path.read_bytes() == built.path.read_bytes()
    assert again.base64_sha256 == built.base64_sha256
    assert built.base64_sha256 == base64.b64encode(hashlib.sha256(built.path.read_bytes()).digest()).decode()


def test_the_zip_holds_the_function_and_its_pure_python_dependencies(built: package.Package) -> None:
    with zipfile.ZipFile(built.path) as archive:
        entries = archive.infolist()
    names = [entry.filename for entry in entries]
    assert names == sorted(names)
    assert sorted(name for name in names if name.startswith("rotation/")) == sorted(
        f"rotation/{path.name}" for path in (ROOT / "rotation").glob("*.py")
    )
    assert {name.split("-")[0] for name in names if ".dist-info/" in name} == {
        "asn1crypto",
        "pg8000",
        "python_dateutil",
        "scramp",
        "six",
    }
    assert {name.split("/")[0] for name in names if "/" in name and ".dist-info" not in name} == {
        "asn1crypto",
        "dateutil",
        "pg8000",
        "rotation",
        "scramp",
    }
    assert "six.py" in names
    assert not [name for name in names if name.endswith((".so", ".pyc")) or "__pycache__" in name or "tests" in name]
    assert {(entry.date_time, entry.external_attr >> 16, entry.compress_type) for entry in entries} == {
        ((1980, 1, 1, 0, 0, 0), 0o100644, zipfile.ZIP_STORED)
    }


def _top_level_names(dists: Iterable[metadata.Distribution]) -> set[str]:
    names = set()
    for dist in dists:
        for file in dist.files or []:
            first = file.parts[0]
            if not (first.endswith((".dist-info", ".pth")) or first in ("..", "__pycache__", "bin")):
                names.add(first)
    return names


def test_the_handler_imports_and_connects_from_the_zip_alone(
    built: package.Package, server: PostgresServer, ca_bundle: Path, tmp_path: Path
) -> None:
    """As on Lambda: the zip, plus boto3 and its dependencies as the runtime provides them."""
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    site = Path(str(metadata.distribution("boto3").locate_file("")))
    for name in _top_level_names(package.distributions("boto3")):
        (runtime / name).symlink_to(site / name)
    code = textwrap.dedent(
        f"""
        import sys
        sys.path[:0] = [{str(built.path)!r}, {str(runtime)!r}]
        from pathlib import Path
        from rotation.handler import lambda_handler
        from rotation import tls
        from rotation.database import Server, logs_in
        import asn1crypto, pg8000, scramp
        outside = [m.__name__ for m in (asn1crypto, pg8000, scramp, tls) if not m.__file__.startswith({str(built.path)!r})]
        assert not outside, outside
        server = Server("localhost", {server.port}, "postgres", tls.database_context(Path({str(ca_bundle)!r})))
        print(callable(lambda_handler), logs_in(server, {MASTER!r}, {MASTER_PASSWORD!r}))
        """
    )
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "True True\n", "")


def test_the_command_prints_the_path_and_hash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert package.main([str(tmp_path)]) == 0
    built = package.build(tmp_path)
    assert capsys.readouterr().out == (
        f"{built.path} base64_sha256={built.base64_sha256} handler=rotation.handler.lambda_handler runtime=python3.13\n"
    )


class Installed:
    """Distributions written into a directory as an installer would, for planting defects."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dists: dict[str, metadata.Distribution] = {}

    def add(
        self, name: str, version: str = "1.0", requires: Iterable[str] = (), files: Mapping[str, bytes] | None = None
    ) -> metadata.Distribution:
        info = self.root / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        lines = [f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"]
        lines += [f"Requires-Dist: {requirement}\n" for requirement in requires]
        (info / "METADATA").write_text("".join(lines))
        record = [f"{info.name}/METADATA,,", f"{info.name}/RECORD,,"]
        for path, content in (files or {f"{name.replace('-', '_')}.py": b""}).items():
            (self.root / path).parent.mkdir(parents=True, exist_ok=True)
            (self.root / path).write_bytes(content)
            digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
            record.append(f"{path},sha256={digest},{len(content)}")
        (info / "RECORD").write_text("\n".join(record) + "\n")
        dist = metadata.PathDistribution(info)
        self.dists[canonicalize_name(name)] = dist
        return dist

    def find(self, name: str) -> metadata.Distribution:
        try:
            return self.dists[canonicalize_name(name)]
        except KeyError:
            raise metadata.PackageNotFoundError(name) from None


def test_requirements_are_followed_as_they_evaluate_on_the_lambda_runtime(tmp_path: Path) -> None:
    installed = Installed(tmp_path)
    installed.add(
        "root",
        requires=[
            'on-linux; sys_platform == "linux"',
            'on-windows; sys_platform == "win32"',
            'new-python; python_version >= "3.12"',  # true on python3.13, whatever runs the build
            'old-python; python_version < "3.12"',
            "with-extra[feature]",
        ],
    )
    installed.add("with-extra", requires=["plain", 'featured; extra == "feature"', 'other; extra == "other"'])
    for name in ("on-linux", "on-windows", "new-python", "old-python", "plain", "featured", "other"):
        installed.add(name)
    found = package.distributions("root", find=installed.find)
    assert [dist.metadata["Name"] for dist in found] == [
        "featured",
        "new-python",
        "on-linux",
        "plain",
        "root",
        "with-extra",
    ]


def test_a_missing_distribution_is_refused() -> None:
    def without_scramp(name: str) -> metadata.Distribution:
        if canonicalize_name(name) == "scramp":
            raise metadata.PackageNotFoundError(name)
        return metadata.distribution(name)

    with pytest.raises(PackageError, match=r"^scramp \(required by pg8000 1\.31\.6\) is not installed$"):
        package.distributions("pg8000", find=without_scramp)


def test_a_version_its_dependent_does_not_accept_is_refused(tmp_path: Path) -> None:
    installed = Installed(tmp_path)
    installed.add("root", requires=["dep>=2"])
    installed.add("dep", version="1.0")
    with pytest.raises(PackageError, match=r"^dep 1\.0 is installed; root 1\.0 requires dep>=2$"):
        package.distributions("root", find=installed.find)


def test_a_compiled_extension_is_refused(tmp_path: Path) -> None:
    dist = Installed(tmp_path).add(
        "fast", files={"fast/__init__.py": b"", "fast/_speedups.cpython-313-x86_64-linux-gnu.so": b"\x7fELF"}
    )
    with pytest.raises(PackageError, match=r"^fast 1\.0 has a compiled extension \(fast/_speedups\..*\.so\)"):
        package.dependency_files([dist])


def test_a_file_changed_since_it_was_installed_is_refused(tmp_path: Path) -> None:
    dist = Installed(tmp_path).add("edited", files={"edited.py": b"original = True\n"})
    (tmp_path / "edited.py").write_bytes(b"original = False\n")
    with pytest.raises(PackageError, match=r"^edited 1\.0: edited\.py differs from its RECORD hash"):
        package.dependency_files([dist])
