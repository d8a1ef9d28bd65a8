"""Install an npm-packaged tool once per machine and lock file, and link it into this checkout.

    python3 scripts/shared_npm_tool.py policy/renovate

Renovate's validator is about 41,000 files (530 MB) that `npm ci` would extract anew into
every clone and worktree: a minute of both cores each time. Like pre-commit's hook
environments, the tool is installed once per machine for each `package.json` +
`package-lock.json` pair, into `$XDG_CACHE_HOME/platform-on-aws/` (default `~/.cache`),
and `<folder>/node_modules` becomes a link to it. A changed lock file is a new entry; an
entry is never changed in place. The install goes into a hidden temporary folder renamed
into place, so a failed or concurrent install never leaves half a tree where a clone
would use it. Where the cache cannot be written, the clone gets its own copy, as before.
Standard library only: it runs before any virtualenv exists.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

MANIFESTS = ("package.json", "package-lock.json")
NPM_CI = ("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error")


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "platform-on-aws"


def entry_for(folder: Path) -> Path:
    """The cache entry of `folder`'s manifests: the same pair, the same entry, on any clone."""
    digest = hashlib.sha256()
    for name in MANIFESTS:
        digest.update((folder / name).read_bytes())
    return cache_root() / f"{folder.name}-{digest.hexdigest()[:16]}"


def install(folder: Path, entry: Path) -> None:
    """`npm ci` (the tool's own options: --ignore-scripts, see the Makefile) into a staging
    copy of the manifests, then renamed to `entry`; a rename that loses a race is dropped."""
    staging = Path(tempfile.mkdtemp(prefix=f".{entry.name}-", dir=entry.parent))
    try:
        for name in MANIFESTS:
            shutil.copyfile(folder / name, staging / name)
        subprocess.run([*NPM_CI, "--prefix", str(staging)], check=True)
        staging.chmod(0o755)  # mkdtemp makes it private
        try:
            staging.rename(entry)
        except OSError:
            if not (entry / "node_modules").is_dir():  # not a lost race: a real failure
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def link(folder: Path, entry: Path) -> None:
    """`folder/node_modules` → the entry's, replacing an earlier install or link at once."""
    target = folder / "node_modules"
    if target.is_symlink() and target.resolve() == (entry / "node_modules").resolve():
        return
    fresh = folder / ".node_modules.link"
    fresh.unlink(missing_ok=True)
    fresh.symlink_to(entry / "node_modules", target_is_directory=True)
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)  # a copy npm extracted here before this script existed
    fresh.replace(target)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: shared_npm_tool.py FOLDER (holding package.json and package-lock.json)", file=sys.stderr)
        return 2
    folder = Path(argv[0])
    missing = [name for name in MANIFESTS if not (folder / name).is_file()]
    if missing:
        print(f"{folder}: {', '.join(missing)} not found", file=sys.stderr)
        return 2
    entry = entry_for(folder)
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        writable = os.access(entry.parent, os.W_OK)
    except OSError:
        writable = False
    if not writable:  # a read-only home: the clone gets its own copy, as plain `npm ci` would make
        print(f"{entry.parent}: not writable; installing into {folder}/node_modules instead", file=sys.stderr)
        if (folder / "node_modules").is_symlink():
            (folder / "node_modules").unlink()
        return subprocess.run([*NPM_CI, "--prefix", str(folder)], check=False).returncode
    if not (entry / "node_modules").is_dir():
        try:
            install(folder, entry)
        except subprocess.CalledProcessError as failed:
            print(f"{folder}: npm ci failed (exit {failed.returncode}); nothing was cached", file=sys.stderr)
            return 1
    link(folder, entry)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
