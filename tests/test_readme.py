"""The README is a newcomer's first screen and an index: short, two set-up commands, every
link one hop to a page (and heading) that exists, every `make` target one the Makefile has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").rglob("*.md"))]

FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[^\n]*\n.*?^[ \t]*\1[ \t]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`+[^`\n]*`+")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
MAKE = re.compile(r"(?:^|[\s;&|(`])make ([a-z][a-z-]*)")


def prose(text: str) -> str:
    """The text without fenced code blocks or inline code (links there are examples)."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def github_anchors(text: str) -> set[str]:
    """The ids GitHub gives the page's headings: lower case, punctuation dropped, spaces to '-'."""
    anchors: set[str] = set()
    for heading in re.findall(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", FENCE.sub("", text), re.MULTILINE):
        base = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchor, n = base, 0
        while anchor in anchors:
            n += 1
            anchor = f"{base}-{n}"
        anchors.add(anchor)
    return anchors


def relative_links(page: Path) -> list[str]:
    return [
        target
        for target in LINK.findall(prose(page.read_text()))
        if not re.match(r"[a-z][a-z0-9+.-]*:", target)  # https:, mailto:
    ]


def makefile_targets() -> set[str]:
    return set(re.findall(r"^## ([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.MULTILINE))


def code(text: str) -> str:
    """Only what is code: fenced blocks and inline spans."""
    return "\n".join([*(m.group(0) for m in FENCE.finditer(text)), *INLINE_CODE.findall(FENCE.sub("", text))])


def broken_links(page: Path) -> list[str]:
    broken = []
    for target in relative_links(page):
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in github_anchors(file.read_text()):
            broken.append(f"{target}: no heading #{anchor} in {file.name}")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves_to_a_file_and_heading(page: Path) -> None:
    assert not broken_links(page), f"{page.relative_to(ROOT)}: " + "; ".join(broken_links(page))


def test_a_missing_file_or_heading_is_reported(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text(
        "# Other page\n\n## The `make synth` job (in full)\n\n```\n# not a heading\n```\n"
    )
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md#the-make-synth-job-in-full) [gone](missing.md) [typo](other.md#the-synth-job)\n"
        "[web](https://example.com/x) `[code](nowhere.md)` [code-heading](other.md#not-a-heading)\n"
    )
    assert broken_links(page) == [
        "missing.md: no such file",
        "other.md#the-synth-job: no heading #the-synth-job in other.md",
        "other.md#not-a-heading: no heading #not-a-heading in other.md",
    ]


def test_readme_is_short() -> None:
    lines = len(README.read_text().splitlines())
    assert lines <= 220, f"README.md has {lines} lines; move detail into docs/"


def first_screen_commands() -> list[str]:
    first_screen = "\n".join(README.read_text().splitlines()[:40])
    return [
        line.split("#", 1)[0].strip()
        for block in FENCE.finditer(first_screen)
        for line in block.group(0).splitlines()[1:-1]
        if line.split("#", 1)[0].strip()
    ]


def test_first_screen_has_exactly_the_two_set_up_commands() -> None:
    assert first_screen_commands() == ["make synth", "make test"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_make_target_mentioned_exists(page: Path) -> None:
    mentioned = set(MAKE.findall(code(page.read_text())))
    assert mentioned <= makefile_targets(), (
        f"{page.relative_to(ROOT)}: no such target: {sorted(mentioned - makefile_targets())}"
    )


def test_a_make_target_is_read_from_code_only() -> None:
    text = "To make sure, run `make synth`, then\n\n```sh\nENVIRONMENTS=dev make tset\n```\n"
    assert set(MAKE.findall(code(text))) == {"synth", "tset"}


def test_readme_links_every_page_of_docs() -> None:
    """Everything in docs/ is one link away from the README (runbooks through their list)."""
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in relative_links(README)}
    pages = {page.resolve() for page in (ROOT / "docs").glob("*.md")}
    assert not pages - linked, f"not linked from README.md: {sorted(str(p.relative_to(ROOT)) for p in pages - linked)}"
    runbooks = {page.resolve() for page in (ROOT / "docs" / "runbooks").glob("*.md")}
    assert not runbooks - linked, f"runbooks not linked from README.md: {sorted(p.name for p in runbooks - linked)}"
