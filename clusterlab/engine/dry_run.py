"""Dry-run writes: `?dryRun=All` on create, update, patch and delete.

kube-apiserver runs a dry-run request through the whole write path — decoding, defaulting,
mutating and validating admission, the registry strategy, optimistic concurrency — and stops at
storage: its `DryRunnableStorage` answers with the object it would have written instead of
writing it. So a dry-run create answers with the generated name, a `uid` and a
`creationTimestamp` but no `resourceVersion` (nothing was stored); a dry-run update or patch
answers with the merged object at the current `resourceVersion`; a dry-run delete answers with
what the delete would return (a terminating pod with its `deletionTimestamp`). Nothing is
persisted, no watch event is sent, no resourceVersion is used up.

`dryRun` is a list: the only value the API server accepts is `All`; anything else is refused
by the options' validation (`ValidateDryRun`) as a 422 on `CreateOptions`/`UpdateOptions`/
`PatchOptions`/`DeleteOptions` before the body is looked at.

Simplified: the engine's own randomness (generated names, uids) comes from one seeded source
that replay must reproduce; a dry run draws from a private fork of it, so a dry run never shifts
the names the cluster generates afterwards.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .errors import Invalid, invalid

#: metav1.DryRunAll, the one value `dryRun` may hold.
DRY_RUN_ALL = "All"


def check_dry_run(options_kind: str, values: list[str]) -> bool:
    """Whether ``values`` (the `dryRun` list of a request's options) asks for a dry run; any
    value but `All` is the API server's 422 on ``options_kind`` (`CreateOptions`, ...)."""
    if any(value != DRY_RUN_ALL for value in values):
        quoted = ", ".join(f'"{value}"' for value in values)
        raise _unsupported(options_kind, f"[]string{{{quoted}}}")
    return bool(values)


def _unsupported(options_kind: str, go_value: str) -> Invalid:
    return invalid(
        options_kind,
        "meta.k8s.io",
        "",
        [("dryRun", f'Unsupported value: {go_value}: supported values: "{DRY_RUN_ALL}"')],
    )


class DryRunnable:
    """Mixed into `APIServer`: the storage switch a dry run flips."""

    rng: random.Random
    dry_running: bool = False

    @contextmanager
    def dry_run_scope(self, dry_run: bool) -> Iterator[None]:
        """While active, `_put`/`_remove` store nothing and the generated names and uids come
        from a fork of the cluster's random source (the source itself is left where it was)."""
        if not dry_run or self.dry_running:
            yield
            return
        shared = self.rng
        state = shared.getstate()
        fork = random.Random(shared.getrandbits(64))
        shared.setstate(state)
        self.rng, self.dry_running = fork, True
        try:
            yield
        finally:
            self.rng, self.dry_running = shared, False

    def dry(self, dry_run: bool, fn: Callable[[], Any]) -> Callable[[], Any]:
        """``fn`` wrapped to run inside `dry_run_scope`."""

        def run() -> Any:
            with self.dry_run_scope(dry_run):
                return fn()

        return run
