"""Server-rendered SVG charts for the dashboard (no JavaScript, no CDN)."""

from datetime import date

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

OK_COLOUR = "#2e7d32"
FAILED_COLOUR = "#c62828"


def _n(value: float) -> str:
    return f"{value:.1f}"


def records_per_day_svg(days: list[tuple[date, int, int]], *, width: int = 720, height: int = 220) -> SafeString:
    """Stacked bars of ok (bottom) and failed (top) records per day, with a y-axis and day labels."""
    left, bottom, top = 40, 30, 10
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max([ok + failed for _, ok, failed in days] + [1])
    step = plot_w / max(len(days), 1)
    bar_w = max(step * 0.7, 1)
    bars, labels = [], []
    for i, (day, ok, failed) in enumerate(days):
        x = left + i * step + (step - bar_w) / 2
        ok_h = plot_h * ok / peak
        failed_h = plot_h * failed / peak
        y_ok = top + plot_h - ok_h
        bars.append((_n(x), _n(y_ok), _n(bar_w), _n(ok_h), OK_COLOUR, f"{day:%d %b}: {ok} ok"))
        bars.append(
            (_n(x), _n(y_ok - failed_h), _n(bar_w), _n(failed_h), FAILED_COLOUR, f"{day:%d %b}: {failed} failed")
        )
        if len(days) <= 16 or i % 2 == 0:
            labels.append((_n(x + bar_w / 2), height - 10, f"{day:%d/%m}"))
    rects = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
        bars,
    )
    texts = format_html_join(
        "", '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="#555">{}</text>', labels
    )
    axis = format_html(
        '<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#999"/>'
        '<line x1="{0}" y1="{2}" x2="{3}" y2="{2}" stroke="#999"/>'
        '<text x="{4}" y="{5}" font-size="10" text-anchor="end" fill="#555">{6}</text>'
        '<text x="{4}" y="{2}" font-size="10" text-anchor="end" fill="#555">0</text>',
        left,
        top,
        top + plot_h,
        left + plot_w,
        left - 4,
        top + 8,
        peak,
    )
    legend = format_html(
        '<rect x="{0}" y="2" width="10" height="10" fill="{1}"/><text x="{2}" y="11" font-size="11">ok</text>'
        '<rect x="{3}" y="2" width="10" height="10" fill="{4}"/><text x="{5}" y="11" font-size="11">failed</text>',
        width - 130,
        OK_COLOUR,
        width - 116,
        width - 80,
        FAILED_COLOUR,
        width - 66,
    )
    return mark_safe(  # noqa: S308 (every part above is built with format_html)
        f'<svg xmlns="http://www.w3.org/2000/svg" class="koppla-chart" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="Records per day, ok and failed">{axis}{rects}{texts}{legend}</svg>'
    )
