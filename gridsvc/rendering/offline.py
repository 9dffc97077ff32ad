"""folium maps that need no network: Leaflet from the vendored copy, inlined or served by gridsvc."""

from __future__ import annotations

import base64
import functools
import re

import folium

from gridsvc.rendering.assets import path

SCHEME = "gridsvc-asset://"
LEAFLET_JS = ("leaflet", "dist/leaflet.js")
LEAFLET_CSS = ("leaflet", "dist/leaflet.css")
VECTORGRID_JS = ("leaflet.vectorgrid", "dist/Leaflet.VectorGrid.bundled.min.js")
STATIC_PREFIX = "/static/vendor/"


class OfflineMap(folium.Map):
    """A folium Map whose only default assets are Leaflet's, from the vendored copy."""

    default_js = [("leaflet", SCHEME + "/".join(LEAFLET_JS))]
    default_css = [("leaflet_css", SCHEME + "/".join(LEAFLET_CSS))]


def asset_url(package_file: tuple[str, str]) -> str:
    return SCHEME + "/".join(package_file)


_SCRIPT = re.compile(r'<script src="' + re.escape(SCHEME) + r'([^"]+)"></script>')
_LINK = re.compile(r'<link rel="stylesheet" href="' + re.escape(SCHEME) + r'([^"]+)"\s*/>')
_EXTERNAL = re.compile(r'<(?:script[^>]+src|link[^>]+href)="(https?:)?//', re.IGNORECASE)


def finalize(html: str, inline: bool) -> str:
    """Resolve vendored assets: inline them (a standalone file) or point at ``/static/vendor``."""
    if inline:
        html = _SCRIPT.sub(lambda m: f"<script>{_read(m.group(1))}</script>", html)
        html = _LINK.sub(lambda m: f"<style>{_css(m.group(1))}</style>", html)
    else:
        for match in [*_SCRIPT.finditer(html), *_LINK.finditer(html)]:
            path(*match.group(1).split("/", 1))  # present, or AssetsMissing says how to fetch it
        html = _SCRIPT.sub(lambda m: f'<script src="{STATIC_PREFIX}{m.group(1)}"></script>', html)
        html = _LINK.sub(lambda m: f'<link rel="stylesheet" href="{STATIC_PREFIX}{m.group(1)}"/>', html)
    external = _EXTERNAL.search(html)
    if external:
        raise RuntimeError(f"map still loads a script or stylesheet from the network: {html[external.start() :][:120]}")
    return html


@functools.cache
def _read(name: str) -> str:
    package, file = name.split("/", 1)
    return path(package, file).read_text(encoding="utf-8").replace("</script>", "<\\/script>")


@functools.cache
def _css(name: str) -> str:
    """The stylesheet with its images as data URIs, so an inlined map needs no files beside it."""
    package, file = name.split("/", 1)
    folder = path(package, file).parent

    def data_uri(match: re.Match) -> str:
        image = folder / match.group(1)
        if not image.exists():
            return match.group(0)
        return f"url(data:image/png;base64,{base64.b64encode(image.read_bytes()).decode()})"

    return re.sub(r"url\((images/[^)]+\.png)\)", data_uri, _read(name))
