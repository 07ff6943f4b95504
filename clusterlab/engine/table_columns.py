"""What the modules of table printers share (see tables.py): a column of kube-apiserver's
`Table`, as a `TableColumnDefinition` serializes it (the column sets are those of
`pkg/printers/internalversion/printers.go`), and the clock a row function reads ages from."""

from __future__ import annotations

from typing import Any, Protocol

Obj = dict[str, Any]


class Since(Protocol):
    """The table's clock: `since(creationTimestamp)` is kubectl's age text for a row."""

    def since(self, timestamp: str | None) -> str: ...


def column(name: str, description: str, ctype: str = "string", *, priority: int = 0, fmt: str = "") -> Obj:
    """A `TableColumnDefinition`: priority 0 columns print by default, 1 only with `-o wide`."""
    return {"name": name, "type": ctype, "format": fmt, "description": description, "priority": priority}
