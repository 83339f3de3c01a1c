"""Any dashboard view as CSV or XLSX: a view is a list of sheets, each a title, headers and rows.

Cells are made safe for spreadsheets: a citizen's question starting with ``=`` or ``+`` would
otherwise run as a formula when a clerk opens the file (CSV injection), so such text is written
as text. Times are shown on Vietnam's clock, which is how the department reads them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.usage.rows import VIETNAM

Cell = str | int | float | date | datetime | None
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Sheet:
    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Cell]]


def _local(value: datetime) -> datetime:
    return value.astimezone(VIETNAM).replace(tzinfo=None) if value.tzinfo else value


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _local(value).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.4g}"
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(FORMULA_START) else text


def csv_chunks(sheets: Sequence[Sheet]) -> Iterator[bytes]:
    """UTF-8 CSV with a byte-order mark (so Excel shows Vietnamese right); one section per sheet
    when there are several, each headed by its title, separated by an empty line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff".encode()
    for index, sheet in enumerate(sheets):
        if len(sheets) > 1:
            if index:
                writer.writerow([])
            writer.writerow([sheet.title])
        writer.writerow(sheet.headers)
        for count, row in enumerate(sheet.rows, 1):
            writer.writerow([_csv_cell(v) for v in row])
            if count % 1000 == 0:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()


def to_csv(sheets: Sequence[Sheet]) -> bytes:
    return b"".join(csv_chunks(sheets))


def _sheet_name(title: str, taken: set[str]) -> str:
    name = "".join(c for c in title if c not in "[]:*?/\\")[:31] or "Sheet"
    base, n = name, 2
    while name in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Cell, bold: bool = False) -> Any:
    if isinstance(value, datetime):
        value = _local(value)
    cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]  # dates are fine; the stubs say no
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
    if bold:
        cell.font = Font(bold=True)
    if isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """One worksheet per sheet; write-only mode keeps a 100,000-row export small in memory."""
    book = Workbook(write_only=True)
    taken: set[str] = set()
    for sheet in sheets:
        ws = book.create_sheet(_sheet_name(sheet.title, taken))
        ws.append([_xlsx_cell(ws, h, bold=True) for h in sheet.headers])
        for row in sheet.rows:
            ws.append([_xlsx_cell(ws, v) for v in row])
    if not sheets:
        book.create_sheet("Sheet")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
