"""``pip install .`` gives a whole gridsvc: a wheel built from the repository's files, installed in a
fresh virtualenv (its dependencies borrowed from the test environment, gridsvc itself only from the
wheel), writes a map with the CLI that Chromium draws with the network cut off."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from playwright.sync_api import sync_playwright

from gridsvc.services import imports
from tests import coverage_scene as s
from tests import scenes

ROOT = Path(__file__).resolve().parents[1]


def _source_copy(target: Path) -> Path:
    """The files a clean clone has (tracked, or new and not ignored), nothing built locally."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


def test_the_built_wheel_draws_a_map_offline(db, settings, tmp_path):
    imports.import_file(db, scenes.write(tmp_path / "scene.gpkg", s.frames()))
    source = _source_copy(tmp_path / "source")
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(wheels.glob("gridsvc-*.whl"))

    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(fresh)], check=True)
    python = fresh / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # the dependencies, not gridsvc: a path line in a .pth does not run the test env's own .pth files
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
        check=True,
        capture_output=True,
    )

    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run(
        [str(python), "-c", "import gridsvc; print(gridsvc.__file__)"],
        cwd=work,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert where.startswith(site), where
    env = {
        "GRIDSVC_DATABASE_URL": settings.database_url,
        "GRIDSVC_HOME": str(tmp_path / "home"),
        "PATH": "/usr/bin:/bin",
    }
    made = subprocess.run(
        [str(fresh / "bin" / "gridsvc"), "map", "coverage", s.C1, "-o", "c.html"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    page_file = work / "c.html"
    assert "L.map(" in page_file.read_text() and "/static/" not in page_file.read_text()

    outside = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"])
        page = browser.new_page()
        page.route(
            "**/*",
            lambda r: (
                r.continue_()
                if r.request.url.startswith(("file:", "data:"))
                else (outside.append(r.request.url), r.abort())
            ),
        )
        page.goto(page_file.as_uri())
        page.wait_for_load_state("networkidle")
        drawn = page.evaluate("""() => {
            let map = null, features = 0;
            for (const key of Object.keys(window)) { if (key.startsWith("map_") && window[key] instanceof L.Map) map = window[key]; }
            map.eachLayer(layer => { if (layer.feature) features += 1; });
            return document.querySelector(".leaflet-pane canvas") !== null && features;
        }""")
        legend = page.evaluate(
            "() => document.querySelector('.gs-legend') && document.querySelector('.gs-legend').innerText"
        )
        browser.close()
    assert drawn and drawn > 0 and outside == []
    assert "楼栋党小组" in legend  # the styles' Chinese labels came with the package
