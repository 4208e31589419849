"""Command-line interface: ``flask --app wsgi rates load``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from rates.loader import ParameterFileError, load_tree
from service.db import rates_dir, store

rates_cli = AppGroup("rates", help="参数库：载入与校验参数文件。")


@rates_cli.command("load")
@click.option(
    "--dir",
    "directory",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="参数文件目录（默认为内置的 rates/params）。",
)
def load_command(directory: Path | None) -> None:
    """载入参数文件（重复载入不会产生重复版本）。"""
    from flask import current_app

    try:
        report = store().load(*load_tree(directory or rates_dir(current_app)))
    except ParameterFileError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"新增 {report.inserted} 个版本，更正 {report.superseded} 个，未变 {report.unchanged} 个。")


@rates_cli.command("check")
@click.option("--dir", "directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def check_command(directory: Path | None) -> None:
    """只校验参数文件，不写数据库。"""
    from flask import current_app

    try:
        regions, versions = load_tree(directory or rates_dir(current_app))
    except ParameterFileError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"参数文件无误：{len(regions)} 个地区，{len(versions)} 个版本。")


def init_app(app: Flask) -> None:
    from service.outlets.cli import outlets_cli

    app.cli.add_command(rates_cli)
    app.cli.add_command(outlets_cli)
