"""The Chinese font reports draw with: a TrueType font (PDF embeds it, charts use it)."""

from __future__ import annotations

from pathlib import Path

from gridsvc.errors import InvalidInput

# TrueType (glyf) fonts with CJK glyphs, as Debian packages install them; reportlab cannot embed
# CFF-based OpenType such as Noto Sans CJK.
CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


def chinese_font(configured: Path | None = None) -> Path:
    """``configured`` (GRIDSVC_REPORT_FONT) if given, else the first installed candidate."""
    if configured is not None:
        if not Path(configured).is_file():
            raise InvalidInput(f"GRIDSVC_REPORT_FONT={configured}：字体文件不存在")
        return Path(configured)
    for candidate in CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    raise InvalidInput(
        "报表需要含中文字形的 TrueType 字体：请安装 fonts-wqy-zenhei "
        "（apt-get install fonts-wqy-zenhei），或把 GRIDSVC_REPORT_FONT 设为一个 .ttf/.ttc 文件"
    )
