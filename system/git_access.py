"""Git access: a Flux feature that writes to Git (image automation) needs a credential of
the kind its URL scheme takes — Flux reads an SSH identity only for ssh:// URLs, and a
token or a GitHub App (`provider: github`) for https://."""

from __future__ import annotations

from collections.abc import Iterator

from system.facts import SystemFacts, Violation

INVARIANT = "git-access"


def check(facts: SystemFacts) -> Iterator[Violation]:
    writers = [o.body for o in facts.cluster.objects if o.body.get("kind") == "ImageUpdateAutomation"]
    if not writers:
        return
    sync = facts.flux_instance_values.get("instance", {}).get("sync", {})
    url = str(sync.get("url", ""))
    where = f"{facts.stack_name('platform')}: FluxInstance sync"
    names = ", ".join(f"{w['metadata'].get('namespace')}/{w['metadata']['name']}" for w in writers)
    if not sync.get("pullSecret") and sync.get("provider") != "github":
        yield Violation(INVARIANT, where, f"ImageUpdateAutomation {names} pushes to {url} with no Git credential")
    elif not url.startswith(("https://", "ssh://")):
        yield Violation(INVARIANT, where, f"{url} is neither https:// nor ssh://")
    elif sync.get("provider") == "github" and not url.startswith("https://"):
        yield Violation(INVARIANT, where, f"a GitHub App authenticates only https:// URLs, not {url}")
