"""``gridsvc batch coverage``: the tree computed in parts on Dask workers is the tree of ``gridsvc
coverage``, to the last digit — on the demo district, on a generated city of two districts (cut by
district and by street), and on a real ``dask scheduler`` with two ``dask worker`` processes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmarks.city import generate_city
from gridsvc.cli import main
from gridsvc.ingest.exchange import validate_dataset
from gridsvc.services import imports
from tests.batch.conftest import _fresh, _json


@pytest.fixture(scope="module")
def two_districts(engine):
    """A generated city of 110 communities: 100 in district 430100, 10 in 430101."""
    _fresh(engine)
    imports.import_dataset(engine, validate_dataset(generate_city(15_000, 220), "two districts"), "two districts")
    return engine


def test_the_generated_city_in_parts_is_the_whole(two_districts, env):
    whole = _json(env, "coverage")
    assert [d["area"]["code"] for d in whole] == ["430100", "430101"]
    assert _json(env, "batch", "coverage", "--local-workers", "2") == whole
    by_street = _json(env, "batch", "coverage", "--local-workers", "2", "--by", "street")
    assert by_street == whole  # the districts rolled up from their streets' sums, medians included
    assert whole[0]["metrics"]["households_per_fulltime_worker.median"]["value"] is not None


def test_one_district_by_street_is_that_district(two_districts, env):
    assert _json(env, "batch", "coverage", "--area", "430101", "--by", "street", "--local-workers", "2") == _json(
        env, "coverage", "--area", "430101"
    )


def test_bad_input_is_refused_before_any_worker_starts(two_districts, env):
    for args, said in (
        (["--area", "999999"], "没有编码为 '999999' 的区、街道或社区"),
        (["--area", "43010"], "不是区、街道、社区或网格编码"),
        (["--area", "430100001001001"], "是网格编码"),
        (["--scheduler", "tcp://127.0.0.1:9", "--local-workers", "2"], "只能给一个"),
    ):
        started = time.perf_counter()
        done = CliRunner().invoke(main, ["batch", "coverage", *args], env=env)
        assert done.exit_code == 2 and said in done.stderr and "Traceback" not in done.output, (args, done.output)
        assert time.perf_counter() - started < 5, args  # no cluster was started for it


def test_a_real_scheduler_and_two_workers_on_loopback(two_districts, env, tmp_path):
    dask = Path(sys.executable).parent / "dask"
    address_file = tmp_path / "scheduler.json"
    common = {"cwd": tmp_path, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", address_file],
        **common,
    )
    workers = []
    try:
        deadline = time.monotonic() + 60
        while not address_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(address_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for _ in range(2):
            workers.append(
                subprocess.Popen(
                    [dask, "worker", address, "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"], **common
                )
            )
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
            assert len(client.scheduler_info()["workers"]) == 2
        batch = _json(env, "batch", "coverage", "--scheduler", address, "--by", "street")
        assert batch == _json(env, "coverage")
    finally:
        for process in [*workers, scheduler]:
            process.terminate()
        for process in [*workers, scheduler]:
            process.wait(timeout=30)


def test_the_parts_gap_lists_are_the_whole_gap_list(two_districts, settings):
    from distributed import Client, LocalCluster

    from gridsvc.services import batch
    from gridsvc.services import coverage as coverage_service

    columns = ["kind", "severity", "community", "grid", "object_type", "object_id", "message"]
    whole = coverage_service.coverage(two_districts).gaps
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            _, parts = batch.prepare(settings, by="street").run(client, gaps=True)
    found = [p.gap_list for p in parts]
    assert sum(len(f) for f in found) == len(whole) > 100
    rows = sorted(tuple(map(str, r)) for f in found for r in f[columns].itertuples(index=False))
    assert rows == sorted(tuple(map(str, r)) for r in whole[columns].itertuples(index=False))


def test_rolling_communities_up_is_summing_every_unit_again(two_districts):
    """The street, district and whole-scene figures as roll_up makes them (from the communities'
    sums, and each grid's households per worker) against level_figures summing every unit."""
    from gridsvc.analysis.metrics import ALL, as_json, level_figures, roll_up
    from gridsvc.services import coverage as coverage_service

    cov = coverage_service.coverage(two_districts)
    tables = cov.figures._at("district")
    parts = level_figures(tables, "community", ratios=True)
    for level in ("street", "district", ALL):
        direct = as_json(level_figures(tables, level))
        assert as_json(roll_up(parts, level)) == direct, level
        assert len(direct) == {"street": 11, "district": 2, ALL: 1}[level]
