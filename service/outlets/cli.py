"""``flask --app wsgi outlets batch IN.xlsx -o OUT.xlsx --region 360100``."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask import current_app
from flask.cli import AppGroup

from calc.quote import QuoteError
from service.core.db import snapshot
from service.core.logs import mask_ids
from service.outlets.jobs import jobs
from service.outlets.jobstore import ORDERS, as_kind
from service.outlets.roster import Limits, RosterFileError

if TYPE_CHECKING:  # the engine (numpy, pandas) and the writer are imported by the command that runs
    from service.outlets.job import Outcome

outlets_cli = AppGroup("outlets", help="快递网点：批量测算工伤保险费；平台订单：测算职业伤害保障费。")
ERRORS_PRINTED = 10


class _Bar:
    """A click progress bar that starts at the first report, when the number of rows is known."""

    def __init__(self, label: str):
        self.label = label
        self.bar: Any = None

    def __call__(self, step: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(step)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def echo(text: str, err: bool = False) -> None:
    """What the CLI prints goes to terminals and job logs: ID numbers in it are masked like in the logs.

    (A message may quote a cell, and a user may have typed an ID number into any column.)
    """
    click.echo(mask_ids(text), err=err)


def _print_summary(outcome: Outcome, output: Path) -> None:
    from calc.batch import yuan

    summary = outcome.summary(ERRORS_PRINTED)
    echo(f"地区：{summary['region_name']}（{summary['region']}），{summary['region_source']}")
    echo(
        f"读取 {summary['rows']} 行：计费 {summary['accepted']} 行，错误 {summary['rejected']} 行"
        f"（{summary['problems']} 处问题），空行 {summary['blank_rows']} 行已跳过。"
    )
    for total in outcome.outlets:
        echo(f"  {total.outlet}：{total.headcount} 人，{total.courier_months} 人月，{yuan(total.amount_fen)} 元")
    grand = outcome.total
    echo(f"合计：{grand.headcount} 人，{grand.courier_months} 人月，应缴 {yuan(grand.amount_fen)} 元")
    _print_tail(summary, output, "处问题，完整列表见结果工作簿的“错误”表。")


def _print_tail(summary: dict[str, Any], output: Path, more: str) -> None:
    """A batch's notes, its first problems (``more``: where the rest are, given their count) and where it wrote."""
    for note in summary["notes"]:
        echo(f"提示：{note}")
    for error in summary["errors"]:
        place = error["place"] if isinstance(error["place"], str) else f"第{error['place']}行"
        echo(f"  {place} {error['column'] or '整行'}：{error['message']}", err=True)
    if summary["problems"] > ERRORS_PRINTED:
        echo(f"  ……共 {summary['problems']} {more}", err=True)
    echo(f"结果已写入 {output}")


@outlets_cli.command("batch")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="结果 .xlsx")
@click.option("--region", default=None, help="地区代码（默认按统一社会信用代码中的地区，再不行按 360100）。")
def batch_command(source: Path, output: Path, region: str | None) -> None:
    """测算花名册 SOURCE 中每位快递员的工伤保险费，写出结果工作簿。

    有错误行时仍然成功退出（错误列在结果的“错误”表中）；文件本身无法使用时以非零状态退出。
    """
    from service.outlets.job import run
    from service.outlets.report import write_result

    limits = Limits.from_config(current_app.config)
    if source.stat().st_size > limits.max_bytes:
        raise click.ClickException(f"文件超过上限 {limits.max_bytes / 1048576:.0f} MB：请拆分成几个文件分别处理。")
    data = source.read_bytes()
    reading = _Bar("读取花名册")
    try:
        outcome = run(data, snapshot(), limits, region, progress=reading)
    except (RosterFileError, QuoteError) as error:
        raise click.ClickException(mask_ids(error.message)) from None
    finally:
        reading.close()
    partial = output.with_name(output.name + ".part")
    writing = _Bar("写出结果")
    try:
        write_result(outcome, str(partial), progress=writing)
    finally:
        writing.close()
    partial.replace(output)  # no half-written result under the requested name
    _print_summary(outcome, output)


@outlets_cli.command("orders")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="结果 .xlsx")
def orders_command(source: Path, output: Path) -> None:
    """测算平台订单 SOURCE 每行（月份、地区、行业、单量）的职业伤害保障费，写出结果工作簿。

    不能计算的行（未开展试点的地区、试点前的月份、非试点行业等）在结果“明细”表中写明原因，仍然成功退出；
    文件本身无法使用时以非零状态退出。
    """
    from service.outlets.orders import read_and_price
    from service.outlets.orders_report import write_orders_result

    limits = Limits.from_config(current_app.config)
    if source.stat().st_size > limits.max_bytes:
        raise click.ClickException(f"文件超过上限 {limits.max_bytes / 1048576:.0f} MB：请拆分成几个文件分别处理。")
    reading = _Bar("读取订单")
    try:
        orders = read_and_price(source.read_bytes(), snapshot(), limits, progress=reading)
    except RosterFileError as error:
        raise click.ClickException(mask_ids(as_kind(ORDERS, error.message))) from None
    finally:
        reading.close()
    partial = output.with_name(output.name + ".part")
    write_orders_result(orders, str(partial))
    partial.replace(output)  # no half-written result under the requested name
    summary = orders.summary(ERRORS_PRINTED)
    echo(
        f"读取 {summary['rows']} 行 = 计费 {summary['accepted']} 行 + 未计费 {summary['rejected']} 行；"
        f"空行 {summary['blank_rows']} 行已跳过。"
    )
    for group in summary["groups"]:
        echo(f"  {group['province_name']} {group['industry']}：{group['orders']} 单，{group['fee']:.2f} 元")
    echo(f"合计：{summary['total']['orders']} 单，应缴 {summary['total']['fee']:.2f} 元")
    _print_tail(summary, output, "行未计费，完整列表见结果工作簿的“明细”表。")


@outlets_cli.command("worker")
@click.option("-w", "--workers", type=click.IntRange(1, 32), default=1, show_default=True, help="同时测算的份数。")
def worker_command(workers: int) -> None:
    """处理网页和接口上传的批量测算任务，直到按 Ctrl+C 或收到 SIGTERM。

    任务保存在数据库中：PostgreSQL 上可在任意多台机器上各运行一个或多个本命令；
    默认的 SQLite 数据库上，网站进程自己就会处理任务，无需运行本命令。
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    manager = jobs()
    manager.sweep()  # jobs interrupted while no worker ran: queued again, or ended with a message
    echo(f"快递网点批量测算工作进程已启动（{workers} 个线程），按 Ctrl+C 停止。", err=True)
    manager.worker(workers).run()
