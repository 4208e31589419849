"""Command-line interface: ``flask --app wsgi rates load``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from service.core.db import rates_dir, store

rates_cli = AppGroup("rates", help="参数库：载入与校验参数文件。")
db_cli = AppGroup("db", help="数据库结构迁移（Alembic）。")


@rates_cli.command("load")
@click.option(
    "--dir",
    "directory",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="参数文件目录（默认为内置的 rates/params）。",
)
@click.option(
    "--xlsx",
    "workbook",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="改为载入导出的参数库工作簿（.xlsx）。",
)
def load_command(directory: Path | None, workbook: Path | None) -> None:
    """载入参数文件或导出的工作簿（重复载入不会产生重复版本）。"""
    from flask import current_app

    from rates import transfer  # here, as in every command: openpyxl only for the commands that use it
    from rates.loader import ParameterFileError, load_tree
    from rates.publish import PublishError

    try:
        source = workbook or directory or rates_dir(current_app)
        regions, versions = transfer.read_workbook(source.read_bytes()) if workbook else load_tree(source)
        report = store().load(regions, versions, recorded_by=f"命令行 rates load {source.name}"[:80], audited=True)
    except ParameterFileError as error:
        raise click.ClickException(str(error)) from None
    except PublishError as error:
        raise click.ClickException("\n".join(p.message for p in error.problems)) from None
    click.echo(f"新增 {report.inserted} 个版本，更正 {report.superseded} 个，未变 {report.unchanged} 个。")


@rates_cli.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--xlsx", "workbook", type=click.Path(dir_okay=False, path_type=Path), help="另存一份工作簿（.xlsx）。")
def export_command(directory: Path, workbook: Path | None) -> None:
    """把在用的参数版本导出为参数文件目录（与 rates/params 格式相同；不含历史记录）。"""
    from rates import transfer

    if directory.exists() and any(directory.iterdir()):
        raise click.ClickException(f"目录 {directory} 不是空目录：请指定一个新目录，以免混入旧文件。")
    snap = store().snapshot()
    files = transfer.yaml_tree(snap)
    for relative, text in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if workbook is not None:
        workbook.write_bytes(transfer.export_workbook(snap))
    click.echo(f"已导出 {len(files) - 1} 个参数文件到 {directory}（{transfer.SCOPE_NOTE}）。")


@rates_cli.command("check")
@click.option("--dir", "directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def check_command(directory: Path | None) -> None:
    """只校验参数文件，不写数据库。"""
    from flask import current_app

    from rates.loader import ParameterFileError, load_tree

    try:
        regions, versions = load_tree(directory or rates_dir(current_app))
    except ParameterFileError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"参数文件无误：{len(regions)} 个地区，{len(versions)} 个版本。")


@rates_cli.command("due")
@click.option("--month", "month_text", default="", help="截至月份（如 2026-12），默认本月（北京时间）。")
@click.option("--all", "show_all", is_flag=True, help="列出全部地区和类别，不只是需要处理的。")
def due_command(month_text: str, show_all: bool) -> None:
    """数据时效：逾期未录入的年度数据，以及已过有效期且无后续版本的参数。"""
    from rates.freshness import report_lines
    from rates.months import Month
    from service.admin.due import due_rows, region_names
    from service.api.base import current_month
    from service.core.db import snapshot

    try:
        month = Month.parse(month_text) if month_text else current_month()
    except ValueError:
        raise click.ClickException("月份须写成年份和月份，如 2026-12。") from None
    snap = snapshot()
    rows = due_rows(snap, month)
    late = [row for row in rows if row.overdue or row.lapsed]
    for line in report_lines(rows, region_names(snap), only_due=not show_all):
        click.echo(line)
    click.echo(f"截至 {month}：{len(rows)} 项中需要处理 {len(late)} 项。")


@db_cli.command("upgrade")
def upgrade_command() -> None:
    """把数据库结构升级到最新版本（应用启动时也会自动执行）。"""
    from service.core import migrate

    migrate.upgrade(store().engine)
    with store().engine.connect() as connection:
        click.echo(f"数据库结构已是最新版本：{migrate.current_revision(connection)}。")


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="这次结构变更的说明（英文）。")
def revision_command(message: str) -> None:
    """按模型与数据库的差异生成新的迁移脚本（生成后须人工检查再提交）。"""
    from alembic import command

    from service.core import migrate

    with store().engine.begin() as connection:
        config = migrate.alembic_config(connection)
        config.attributes["metadata"] = migrate.metadata()
        command.revision(config, message=message, autogenerate=True)


def init_app(app: Flask) -> None:
    from service.outlets.cli import outlets_cli

    app.cli.add_command(rates_cli)
    app.cli.add_command(db_cli)
    app.cli.add_command(outlets_cli)
