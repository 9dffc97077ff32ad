"""The text encoding of a footprint file's attributes: as the file says, else UTF-8, else GB18030.

Never guesses silently: mojibake such as ``ÐÒ¸£Ð¡Çø`` is what reading GBK as Latin-1 stores.
"""

from __future__ import annotations

import codecs
import zipfile
from pathlib import Path, PurePosixPath

from gridsvc.errors import InvalidInput

TEXT_ENCODINGS = ("UTF-8", "GB18030")  # tried in this order when a file does not say (GB18030 covers GBK, GB2312)


def text_source(path: Path, encoding: str | None) -> tuple[object, str | None, list[str]]:
    """What to hand GDAL for ``path`` (the path, or a GeoJSON's text re-encoded as UTF-8 bytes), the
    encoding to read its attributes with, and what was decided, for the notes. Never guesses
    silently: mojibake such as ``ÐÒ¸£Ð¡Çø`` is what reading GBK as Latin-1 stores."""
    if encoding is not None:
        try:
            encoding = codecs.lookup(encoding).name.upper()  # a name iconv (GDAL) knows too: GBK, ISO8859-1 …
        except LookupError:
            raise InvalidInput(f"--encoding {encoding!r}：不是已知的文字编码（如 gbk、gb18030、utf-8）") from None
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        data = path.read_bytes()
        name, said = text_decoding(data, path.name, encoding, where=path)
        return (data.decode(name).encode("utf-8") if said else path), None, said
    if suffix == ".shp":
        if encoding:
            return path, encoding, [f"{path.name}：文字按 {encoding} 读取（--encoding）"]
        if path.with_suffix(".cpg").exists() or path.with_suffix(".CPG").exists():
            return path, None, []
        dbf = next((p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None)
        name, said = _without_cpg(path, path.name, _dbf_records(dbf.read_bytes()) if dbf else b"")
        return path, name, said
    return path, encoding, []


def text_decoding(
    data: bytes, label: str, encoding: str | None = None, where: Path | str | None = None
) -> tuple[str, list[str]]:
    """The codec to decode a text file's ``data`` with (``encoding`` when given, else the first of
    :data:`TEXT_ENCODINGS` that reads it; UTF-8 drops a byte-order mark) and the note saying so,
    none for UTF-8. ``where`` names the file in an error (default ``label``).

    >>> text_decoding("春晖".encode("gbk"), "a.geojson")
    ('GB18030', ['a.geojson：文字按 GB18030 读取（不是有效的 UTF-8）'])
    >>> text_decoding(b"{}", "a.geojson")
    ('UTF-8-SIG', [])
    """
    name = encoding or first_decoding(data, where or label)
    if name.replace("-", "").lower() == "utf8":
        return "UTF-8-SIG", []
    return name, [f"{label}：文字按 {name} 读取" + ("" if encoding else "（不是有效的 UTF-8）")]


ZIP_UTF8_FLAG = 0x800  # an entry's flag bit saying its name is UTF-8; without it, the standard says CP437


def zip_name_encoding(path: Path) -> str | None:
    """The encoding the names inside zip ``path`` are written in where its entries do not say: the
    first of :data:`TEXT_ENCODINGS` that reads them (Chinese Windows zip tools write GBK without a
    word, and GDAL and Python read it as CP437: 楼栋.shp became ┬Ñ╢░.shp). None when every such name
    is ASCII, none reads, or ``path`` is no zip."""
    if path.suffix.lower() != ".zip":
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            unsaid = [i.filename for i in archive.infolist() if not i.flag_bits & ZIP_UTF8_FLAG]
    except (zipfile.BadZipFile, OSError):
        return None
    raw = "/".join(unsaid).encode("cp437")  # the bytes as written: CP437 maps every byte
    if raw.isascii():
        return None
    return next((name for name in TEXT_ENCODINGS if _decodes(raw, name)), None)


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
        return True
    except UnicodeDecodeError:
        return False


def zipped_shapefile(path: Path, layer: str, encoding: str | None) -> tuple[str | None, list[str]]:
    """The encoding to read layer ``layer`` of a zip file with, and what was decided: for a shapefile
    in it without a ``.cpg``, as :func:`text_source` decides for one on disk (GDAL would read its
    text as Latin-1: 名称 became Ãû³Æ)."""
    if encoding is not None or path.suffix.lower() != ".zip":
        return encoding, []
    try:
        with zipfile.ZipFile(path, metadata_encoding=zip_name_encoding(path)) as archive:
            members = {name.lower(): name for name in archive.namelist()}
            shp = next((m for m in members if m.endswith(".shp") and PurePosixPath(m).stem == layer.lower()), None)
            if shp is None or shp[:-4] + ".cpg" in members or shp[:-4] + ".dbf" not in members:
                return None, []
            records = _dbf_records(archive.read(members[shp[:-4] + ".dbf"]))
    except (zipfile.BadZipFile, OSError):
        return None, []  # GDAL has read it: what it says stands
    return _without_cpg(path, f"{path.name}：{members[shp]}", records)


def _without_cpg(path: Path, label: str, records: bytes) -> tuple[str, list[str]]:
    name = first_decoding(records, path)
    return name, [
        f"{label}：没有 .cpg 文件；文字按 {name} 读取"
        + ("（不是有效的 UTF-8）" if name != "UTF-8" else "")
        + "；--encoding 可另行指定"
    ]


def first_decoding(data: bytes, path: Path | str) -> str:
    for name in TEXT_ENCODINGS:
        try:
            data.decode(name)
            return name
        except UnicodeDecodeError:
            continue
    raise InvalidInput(f"{path}：文字既不是 UTF-8 也不是 GB18030；请用 --encoding 指定")


def _dbf_records(data: bytes) -> bytes:
    """The record bytes of a dBASE file (its attribute text), without the header."""
    header = int.from_bytes(data[8:10], "little") if len(data) >= 10 else len(data)
    return data[header:].rstrip(b"\x1a")
