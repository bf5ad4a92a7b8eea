"""What the office lab's notebook imports besides pandas and openpyxl: one helper for charts with Japanese labels."""
from __future__ import annotations

# Japanese fonts, most likely first: Linux (Noto CJK, IPA, Takao), Windows (Yu Gothic, Meiryo, MS Gothic), macOS.
JAPANESE_FONTS = ["Noto Sans CJK JP", "IPAexGothic", "IPAGothic", "TakaoGothic", "Yu Gothic", "Meiryo",
                  "MS Gothic", "Hiragino Sans", "Hiragino Kaku Gothic ProN"]


def use_japanese_font() -> str | None:
    """Let matplotlib draw Japanese text (一般, 学生, シニア) with the first Japanese font this computer has.

    Returns the font's name, or None when there is none (the chart still works; Japanese letters show as boxes)."""
    from matplotlib import font_manager, rcParams

    available = {f.name for f in font_manager.fontManager.ttflist}
    for name in JAPANESE_FONTS:
        if name in available:
            rcParams["font.family"] = "sans-serif"
            rcParams["font.sans-serif"] = [name, *[f for f in rcParams["font.sans-serif"] if f != name]]
            return name
    return None
