"""``gridsvc batch coverage``: the coverage tree of many districts, computed on Dask workers."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Iterator

import click

from gridsvc.cli.support import fail_cleanly as _fail_cleanly
from gridsvc.errors import InvalidInput
from gridsvc.labels import LEVEL_LABEL
from gridsvc.services import coverage as coverage_service
from gridsvc.services.batch import PART_LEVELS
from gridsvc.settings import Settings


@click.group()
def batch() -> None:
    """批量计算：按区或街道分块，在 Dask 计算节点上并行。Batch work on Dask workers."""


@batch.command("coverage")
@click.option("--area", default=None, help="区、街道或社区编码（默认全部）。Area code.")
@click.option(
    "--by",
    type=click.Choice(PART_LEVELS),
    default="district",
    show_default=True,
    help="按区或按街道分块。What one task computes.",
)
@click.option("--scheduler", default=None, help="Dask 调度器地址，如 tcp://10.0.0.5:8786。A running scheduler.")
@click.option(
    "--local-workers",
    type=click.IntRange(min=1),
    default=None,
    help="在本机启动的计算进程数（默认：CPU 核数）。Worker processes started here.",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
@_fail_cleanly
def batch_coverage_(
    settings: Settings, area: str | None, by: str, scheduler: str | None, local_workers: int | None, fmt: str
) -> None:
    """组织覆盖和工作覆盖，分块并行计算，结果与 gridsvc coverage 相同。The coverage tree, computed in parts."""
    from gridsvc.services.batch import prepare
    from gridsvc.textual import coverage_text

    if scheduler and local_workers:
        raise InvalidInput("--scheduler 与 --local-workers 只能给一个（用别处的计算节点，或在本机启动）")
    work = prepare(settings, area, by)
    click.echo(f"共 {len(work.codes)} 块（按{LEVEL_LABEL[by]}），开始计算……", err=True)
    started = time.perf_counter()

    def progress(done: int, total: int, part) -> None:
        click.echo(
            f"[{done}/{total}] {part.code} 完成：{part.gaps:,} 条问题，读取 {part.seconds[0]:.1f} 秒、计算 "
            f"{part.seconds[1]:.1f} 秒（已用 {time.perf_counter() - started:.1f} 秒）",
            err=True,
        )

    with _client(scheduler, local_workers) as client:
        tree, parts = work.run(client, limits=coverage_service.thresholds(settings), progress=progress)
    if fmt == "json":
        click.echo(json.dumps(tree, ensure_ascii=False, indent=2))
        return
    generated = any(p.generated for p in parts)
    for node in tree if isinstance(tree, list) else [tree]:
        click.echo(coverage_text(node, generated))


@contextlib.contextmanager
def _client(address: str | None, workers: int | None) -> Iterator:
    """A Dask client on the scheduler at ``address``, or on ``workers`` processes started here (one
    per core by default), closed afterwards."""
    from distributed import Client, LocalCluster

    if address:
        try:
            client = Client(address, timeout="10s")
        except OSError as exc:
            raise InvalidInput(f"--scheduler {address}：无法连接 Dask 调度器（{exc}）") from None
        with client:
            yield client
        return
    processes = workers or os.cpu_count() or 1
    with (
        LocalCluster(
            n_workers=processes, threads_per_worker=1, dashboard_address=None, silence_logs=logging.ERROR
        ) as c,
        Client(c) as client,
    ):
        yield client
