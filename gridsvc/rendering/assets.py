"""Leaflet and its plugins, fetched once from the npm registry (pinned, integrity-checked, with their
licences) into ``gridsvc/static/vendor`` and committed there: they are package data, so an installed
gridsvc draws maps offline. Maps load them from there, never from a CDN.

    python -m gridsvc.rendering.assets      # fetches any that are missing (./dev setup runs it)
"""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "static" / "vendor"
REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # the registry's sha512, as npm's lock files record it
    files: tuple[str, ...]  # paths inside the package to keep (a trailing / keeps a folder)

    @property
    def folder(self) -> Path:
        return VENDOR / self.name

    @property
    def url(self) -> str:
        return f"{REGISTRY}/{self.name}/-/{self.name.split('/')[-1]}-{self.version}.tgz"


PACKAGES = (
    Package(
        "leaflet",
        "1.9.4",
        "sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA==",
        ("dist/leaflet.js", "dist/leaflet.css", "dist/images/", "LICENSE", "package.json"),
    ),
    Package(
        "leaflet.vectorgrid",
        "1.3.0",
        "sha512-kWmj1pKM+MVdo/7Mg5zsB3YrGZvo/uIuiANV9MvWUFOG+Y2xAJzrteDhoIcCgTjHSSRJ36xdeGdIQVhuWjnCZw==",
        ("dist/Leaflet.VectorGrid.bundled.min.js", "package.json"),
    ),  # licence: see package.json
    Package(  # the API's /docs page, served from here instead of a CDN
        "swagger-ui-dist",
        "5.35.0",
        "sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==",
        ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE", "package.json"),
    ),
    Package(  # the API's /redoc page
        "redoc",
        "2.5.4",  # 3.x bundles an ES module, which FastAPI's page does not load as one
        "sha512-M6jWhG1qoBnH6TFmzJnstyCZ87HmOY/UzDm78mHiYihEdlV/YcS9ogOo1NlElnJMeLsyxHFe2yFc4sNjHTrABQ==",
        ("bundles/redoc.standalone.js", "LICENSE", "package.json"),
    ),
)


class AssetsMissing(RuntimeError):
    """The vendored map libraries are not there: run ``python -m gridsvc.rendering.assets``."""


def path(package: str, file: str) -> Path:
    found = VENDOR / package / file
    if not found.exists():
        raise AssetsMissing(f"{found} is missing; run `python -m gridsvc.rendering.assets` (./dev setup does)")
    return found


def fetch(package: Package) -> list[Path]:
    """Download, verify and unpack what the maps need of ``package``; return the files written."""
    with urllib.request.urlopen(package.url, timeout=60) as response:  # noqa: S310 - fixed registry URL
        data = response.read()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != package.integrity:
        raise RuntimeError(f"{package.url}: integrity mismatch ({digest} != {package.integrity})")
    written = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            inner = member.name.split("/", 1)[1] if "/" in member.name else member.name
            if member.isfile() and any(inner == f or (f.endswith("/") and inner.startswith(f)) for f in package.files):
                target = package.folder / inner
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())
                written.append(target)
    return written


def ensure() -> None:
    """Fetch every package whose files are not all present."""
    for package in PACKAGES:
        wanted = [f for f in package.files if not f.endswith("/")]
        if all((package.folder / f).exists() for f in wanted):
            continue
        files = fetch(package)
        print(f"{package.name} {package.version}: {len(files)} files in {package.folder}", file=sys.stderr)


if __name__ == "__main__":
    ensure()
