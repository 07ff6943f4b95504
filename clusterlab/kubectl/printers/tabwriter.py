"""Go's text/tabwriter, column blocks and all (flags 0, pad character ' ').

A cell is text ended by a tab; a line's last cell is not part of any column. Columns are
aligned per *block*: consecutive lines that have a cell in that column. A column's width is
its widest cell plus `padding`, at least `minwidth`. kubectl uses (6, 3) for tables
(`printers.GetNewTabWriter`) and (0, 2) for `describe`.
"""

from __future__ import annotations


def tabwriter(text: str, minwidth: int, padding: int) -> str:
    lines = [line.split("\t") for line in text.split("\n")]
    trailing_newline = text.endswith("\n")
    if trailing_newline:
        lines.pop()
    out: list[str] = []
    _format(lines, 0, len(lines), [], minwidth, padding, out)
    return "\n".join(out) + ("\n" if trailing_newline else "")


def _format(
    lines: list[list[str]],
    line0: int,
    line1: int,
    widths: list[int],
    minwidth: int,
    padding: int,
    out: list[str],
) -> None:
    column = len(widths)
    this = line0
    while this < line1:
        if column >= len(lines[this]) - 1:
            this += 1
            continue
        _write(lines, line0, this, widths, out)
        line0 = this
        width = minwidth
        while this < line1 and column < len(lines[this]) - 1:
            width = max(width, len(lines[this][column]) + padding)
            this += 1
        _format(lines, line0, this, [*widths, width], minwidth, padding, out)
        line0 = this
    _write(lines, line0, line1, widths, out)


def _write(lines: list[list[str]], line0: int, line1: int, widths: list[int], out: list[str]) -> None:
    for cells in lines[line0:line1]:
        parts = []
        for j, cell in enumerate(cells):
            if j < len(widths) and j < len(cells) - 1:
                parts.append(cell + " " * (widths[j] - len(cell)))
            else:
                parts.append(cell)
        out.append("".join(parts))
