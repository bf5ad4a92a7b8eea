"""The report's charts: matplotlib (Agg) to PNG, embedded as data URIs so the HTML works offline and alone."""
from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

# Japanese and Ukrainian labels need fonts that have those letters (fonts-noto-cjk, DejaVu: see apt.txt).
_PREFERRED = ["Noto Sans CJK JP", "Noto Sans JP", "IPAexGothic", "DejaVu Sans"]


def _fonts() -> list[str]:
    have = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in _PREFERRED if name in have] or ["DejaVu Sans"]


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _style():
    return plt.rc_context({"font.family": _fonts(), "axes.spines.top": False, "axes.spines.right": False,
                           "font.size": 10})


def score_histogram(scores: list[float], max_score: float, xlabel: str, ylabel: str) -> str:
    with _style():
        fig, ax = plt.subplots(figsize=(5.6, 2.8))
        step = 1.0 if max_score <= 20 else max_score / 20
        edges = [i * step - step / 2 for i in range(int(max_score / step) + 2)]
        ax.hist(scores, bins=edges, color="#1565c0", edgecolor="white")
        ax.set_xlim(-step, max_score + step)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.yaxis.get_major_locator().set_params(integer=True)
        return _png(fig)


def pass_rates(labels: list[str], rates: list[float], xlabel: str) -> str:
    with _style():
        fig, ax = plt.subplots(figsize=(5.6, 0.45 * len(labels) + 0.9))
        colors = ["#1b7f3b" if r >= 0.8 else "#e0a100" if r >= 0.5 else "#b3261e" for r in rates]
        ax.barh(labels[::-1], [r * 100 for r in rates][::-1], color=colors[::-1])
        for i, r in enumerate(rates[::-1]):
            ax.text(min(r * 100 + 1, 92), i, f"{r * 100:.0f}%", va="center", fontsize=9)
        ax.set_xlim(0, 100)
        ax.set_xlabel(xlabel)
        return _png(fig)


def minutes_boxplot(labels: list[str], minutes: list[list[float]], xlabel: str) -> str:
    with _style():
        fig, ax = plt.subplots(figsize=(5.6, 0.45 * len(labels) + 0.9))
        ax.boxplot(minutes[::-1], orientation="horizontal", tick_labels=labels[::-1], widths=0.5)
        ax.set_xlabel(xlabel)
        return _png(fig)
