"""Readers for the exchange GeoPackage and building footprints (OSM, GeoJSON, Shapefile, GeoPackage).

Files a user brings never cause network access: GDAL (through pyogrio) and PROJ are configured here,
once for the process, to refuse every remote read (a GeoJSON ``crs`` link, a ``/vsicurl/`` path, a
PROJ grid download). gridsvc itself never needs them.
"""

from __future__ import annotations

import os

import pyogrio

NO_NETWORK = {
    "GDAL_HTTP_PROXY": "127.0.0.1:9",  # nothing listens on the discard port: every HTTP(S) fetch fails at once
    "GDAL_HTTP_TIMEOUT": "1",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".gridsvc-never",  # no /vsicurl/ file may be opened
    "PROJ_NETWORK": "OFF",
    "OSR_USE_NON_DEPRECATED": "YES",
}
os.environ["PROJ_NETWORK"] = "OFF"
pyogrio.set_gdal_config_options(NO_NETWORK)
