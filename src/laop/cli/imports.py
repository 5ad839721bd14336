"""`laop import`: customer sheets (xlsx, csv) into the store."""

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from laop.cli import _options as opt
from laop.cli._common import actor, store
from laop.output import console, emit_json, progress_bar, success, warn

if TYPE_CHECKING:
    from laop.services.imports import ImportReport

SHOWN = 50  # rows of errors and conflicts listed on screen
BAR_FROM = 1_000  # rows; smaller files finish before a bar is worth drawing


class OnDuplicate(StrEnum):
    MERGE = "merge"
    SKIP = "skip"
    NEW = "new"


def import_sheet(
    file: Annotated[Path, typer.Argument(help="An .xlsx workbook or a .csv file (UTF-8 or GBK).")],
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="The workbook's sheet (default: the first).")
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            metavar="'HEADER=FIELD'",
            help="Read a column as a field: company, contact, email, phone, whatsapp, country, "
            "city, nature, source, strength, products, grade, owner, notes, acquired, "
            "last_contact, or ignore (repeatable).",
        ),
    ] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="Owner of rows that name none (default: you).")
    ] = None,
    on_duplicate: Annotated[
        OnDuplicate,
        typer.Option(
            "--on-duplicate",
            help="A buyer found again: merge (fill what it lacks), skip it, or create a new one.",
        ),
    ] = OnDuplicate.MERGE,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would happen; write nothing.")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Import nothing if any row is bad (exit 3).")
    ] = False,
    errors: Annotated[
        Path | None,
        typer.Option("--errors", metavar="PATH", help="Write the rejected rows to this CSV."),
    ] = None,
    as_json: opt.Json = False,
) -> None:
    """Import buyers from a customer sheet (客户信息表), without creating duplicates.

    Headers are recognised in Chinese and English (公司名称/Company, 联系人/Contact,
    邮箱/E-mail, 电话/Phone, 国家/Country, 客户等级/Grade …), below title rows too.
    Each row is looked up like a new inquiry; a buyer found again gets what it lacks.
    Valid rows are written in one transaction; bad rows are listed with their row number.

    Example: laop import 客户信息统计表.xlsx --owner lily --dry-run
    """
    from laop.services.sheet import sheet_read

    # The workbook is read by a thread of its own (from the start of the console
    # script, or from now on) while the database stack loads and the stored buyers
    # are read.
    read = sheet_read(file, sheet=sheet)

    from laop.errors import InvalidInput
    from laop.services.imports import (
        ImportOptions,
        RowsRejected,
        import_file,
        parse_mapping,
        write_error_csv,
    )

    if errors is not None and not errors.expanduser().resolve().parent.is_dir():
        raise InvalidInput(f"The folder {errors.parent} does not exist.")
    options = ImportOptions(
        sheet=sheet,
        mapping=parse_mapping(mapping or []),
        owner=owner,
        on_duplicate=on_duplicate.value,
        dry_run=dry_run,
        strict=strict,
    )
    try:
        with store() as session:
            report = import_file(
                session, file, actor=actor(session), options=options, progress=_bar, read=read
            )
            if dry_run:
                session.rollback()  # also whatever acting_user set up
    except RowsRejected as exc:
        _show(exc.report, as_json=as_json)
        if errors is not None:
            write_error_csv(exc.report, errors)
        raise
    _show(report, as_json=as_json)
    if errors is not None:
        write_error_csv(report, errors)
        if not as_json:
            success(f"Wrote {len(report.errors)} rejected rows to {errors}.")


def _bar(total: int) -> Any:
    from contextlib import nullcontext

    if total < 2 * BAR_FROM:
        return nullcontext(lambda _done: None)
    return progress_bar("Importing", total=total)


def _show(report: "ImportReport", *, as_json: bool) -> None:
    if as_json:
        emit_json(report.as_json())
        return
    _render_problems(report)
    rows = f"{report.rows:,} row{'s' if report.rows != 1 else ''}"
    nothing_new = f" ({report.unchanged:,} with nothing new)" if report.unchanged else ""
    bad = f"{len(report.errors):,} row{'s' if len(report.errors) != 1 else ''} with errors"
    if report.dry_run:
        summary = (
            f"Dry run of {report.file}: {rows} — would create {report.created:,}, merge "
            f"{report.merged:,}{nothing_new}, skip {report.skipped:,}; {bad}. Nothing was written."
        )
    else:
        summary = (
            f"Imported {report.file}: {rows} — {report.created:,} created, {report.merged:,} "
            f"merged{nothing_new}, {report.skipped:,} skipped, {bad}."
        )
    (warn if report.errors else success)(summary)


def _render_problems(report: "ImportReport") -> None:
    from rich.text import Text

    from laop.render import _columns, _compact

    if report.errors:
        table = _compact(f"Rows not imported 未导入的行 ({len(report.errors):,})")
        _columns(table, ["Row", "Reason"], wide="Reason")
        for error in report.errors[:SHOWN]:
            table.add_row(str(error.row), Text(error.reason))
        console.print(table)
        if len(report.errors) > SHOWN:
            console.print(
                f"[muted]… and {len(report.errors) - SHOWN:,} more; "
                "--errors PATH writes them all.[/muted]"
            )
    if report.conflicts:
        table = _compact(f"Stored values kept 冲突 ({len(report.conflicts):,})")
        _columns(table, ["Row", "Customer", "Field", "Stored", "Sheet"], wide="Sheet")
        for conflict in report.conflicts[:SHOWN]:
            table.add_row(
                str(conflict["row"]),
                str(conflict["customer_id"]),
                conflict["field"],
                Text(str(conflict["stored"])),
                Text(str(conflict["sheet"])),
            )
        console.print(table)
        if len(report.conflicts) > SHOWN:
            console.print(f"[muted]… and {len(report.conflicts) - SHOWN:,} more (--json).[/muted]")
