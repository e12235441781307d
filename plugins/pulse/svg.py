"""Server-rendered SVG pictures of the community: activity, the idea funnel, a round, thanks.

Pure functions from numbers to markup, so the page reads without JavaScript and the live stream
re-sends a section's pictures with its HTML. No external asset, no inline style (the page's
CSP forbids it): presentation attributes and classes the stylesheet colours. Every picture is
`role="img"` with a `<title>` and a `<desc>` that state its totals, followed by a visually
hidden table of the same numbers for screen readers and text browsers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

#: The activity series, in drawing order, and their colours (one per series, colour-blind safe).
SERIES_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7")
WIDTH = 640


def esc(text: object) -> str:
    return escape(str(text), quote=True)


def _open(ident: str, width: int, height: int, title: str, desc: str, css: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" role="img" '
            f'viewBox="0 0 {width} {height}" width="100%" '
            f'aria-labelledby="{ident}-t {ident}-d" focusable="false">'
            f'<title id="{ident}-t">{esc(title)}</title><desc id="{ident}-d">{esc(desc)}</desc>')


def table(caption: str, head: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """The picture's numbers as a table only screen readers (and text browsers) meet."""
    # The wrapper hides it: a table itself cannot be narrower than its content.
    out = [f'<div class="sr-only"><table><caption>{esc(caption)}</caption><thead><tr>']
    out += [f'<th scope="col">{esc(h)}</th>' for h in head]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _nice(top: float) -> int:
    """A round axis maximum at or above `top` (1, 2, 5 × 10ⁿ)."""
    if top <= 1:
        return 1
    power = 10 ** math.floor(math.log10(top))
    for step in (1, 2, 5, 10):
        if step * power >= top:
            return int(step * power)
    return int(10 * power)


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    values: tuple[int, ...]  # one per day, oldest first

    @property
    def total(self) -> int:
        return sum(self.values)


def activity(days: Sequence[str], series: Sequence[Series], *, title: str, desc: str) -> str:
    """Grouped bars: one group per day, one bar per series, a legend with each total."""
    width, height, left, bottom, top = WIDTH, 220, 34, 24, 30
    plot_w, plot_h = width - left - 8, height - top - bottom
    peak = _nice(max((v for s in series for v in s.values), default=0))
    out = [_open("act", width, height, title, desc, "activity-chart")]
    for i, frac in enumerate((0.0, 0.5, 1.0)):
        y = top + plot_h * (1 - frac)
        out.append(f'<line class="grid" x1="{left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="currentColor" stroke-opacity="{0.5 if i == 0 else 0.15}"/>'
                   f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10" '
                   f'fill="currentColor">{peak * frac:g}</text>')
    n = max(1, len(days))
    group = plot_w / n
    bar = max(1.0, (group - 2) / max(1, len(series)))
    for d in range(len(days)):
        for k, s in enumerate(series):
            value = s.values[d] if d < len(s.values) else 0
            if not value:
                continue
            h = plot_h * value / peak
            x = left + d * group + 1 + k * bar
            out.append(f'<rect class="s{k}" x="{x:.1f}" y="{top + plot_h - h:.1f}" '
                       f'width="{bar:.1f}" height="{h:.1f}" fill="{SERIES_COLOURS[k % 4]}">'
                       f'<title>{esc(days[d])}: {esc(s.label)} {value}</title></rect>')
    for d in (0, len(days) // 2, len(days) - 1) if days else ():
        out.append(f'<text x="{left + d * group + group / 2:.1f}" y="{height - 8}" '
                   f'text-anchor="middle" font-size="10" fill="currentColor">'
                   f'{esc(days[d][5:])}</text>')
    x = left
    for k, s in enumerate(series):
        out.append(f'<rect x="{x}" y="8" width="10" height="10" fill="{SERIES_COLOURS[k % 4]}"/>'
                   f'<text x="{x + 14}" y="17" font-size="11" fill="currentColor">'
                   f'{esc(s.label)} ({s.total})</text>')
        x += 14 + 8 * (len(s.label) + len(str(s.total)) + 3)
    out.append("</svg>")
    return "".join(out)


def funnel(stages: Sequence[tuple[str, int]], *, title: str, desc: str) -> str:
    """Centred bars narrowing from the first stage, each with its label and count."""
    width, row = WIDTH, 28
    height = 8 + row * len(stages)
    widest = max((n for _l, n in stages), default=0) or 1
    out = [_open("fun", width, height, title, desc, "funnel-chart")]
    full = width - 200
    for i, (label, n) in enumerate(stages):
        w = max(2.0, full * n / widest)
        x = 200 + (full - w) / 2
        y = 4 + i * row
        out.append(f'<text x="190" y="{y + 17}" text-anchor="end" font-size="12" '
                   f'fill="currentColor">{esc(label)}</text>'
                   f'<rect class="stage" x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 6}" '
                   f'rx="3" fill="#0072b2" fill-opacity="{1 - i * 0.06:.2f}"/>'
                   + (f'<text class="count" x="{200 + full / 2:.1f}" y="{y + 16}" '
                      f'text-anchor="middle" font-size="12" font-weight="bold" '
                      f'fill="#fff">{n}</text>' if w >= 40 else
                      # Too narrow to hold its number: written beside it instead.
                      f'<text class="count" x="{x + w + 6:.1f}" y="{y + 16}" font-size="12" '
                      f'font-weight="bold" fill="currentColor">{n}</text>'))
    out.append("</svg>")
    return "".join(out)


def progress(ident: str, points: Sequence[tuple[float, int]], goal: int, start: float,
             end: float, *, title: str, desc: str, money: Callable[[int], str]) -> str:
    """A round's pledged total as a step line over its time, against its goal."""
    width, height, left, pad = WIDTH, 160, 70, 14
    top_value = _nice(max([goal, *(v for _t, v in points)]))
    span = max(1.0, end - start)
    plot_w, plot_h = width - left - pad, height - 2 * pad

    def xy(at: float, value: int) -> tuple[float, float]:
        x = left + plot_w * min(1.0, max(0.0, (at - start) / span))
        return x, pad + plot_h * (1 - value / top_value)

    out = [_open(ident, width, height, title, desc, "progress-chart")]
    gy = xy(start, goal)[1]
    out.append(f'<line class="goal" x1="{left}" x2="{width - pad}" y1="{gy:.1f}" y2="{gy:.1f}" '
               f'stroke="#d55e00" stroke-dasharray="6 4" stroke-width="2"/>'
               f'<text x="{left - 4}" y="{gy + 4:.1f}" text-anchor="end" font-size="10" '
               f'fill="currentColor">{esc(money(goal))}</text>'
               f'<line x1="{left}" x2="{width - pad}" y1="{pad + plot_h}" y2="{pad + plot_h}" '
               f'stroke="currentColor" stroke-opacity="0.5"/>')
    path: list[str] = []
    last = 0
    for at, value in points:
        x, y = xy(at, value)
        if path:
            path.append(f"H{x:.1f}V{y:.1f}")
        else:
            path.append(f"M{x:.1f},{y:.1f}")
        last = value
    if path:
        out.append(f'<path class="raised" d="{"".join(path)}" fill="none" stroke="#009e73" '
                   f'stroke-width="2.5"/>')
        x, y = xy(points[-1][0], last)
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#009e73"/>'
                   f'<text x="{min(x + 6, width - 80):.1f}" y="{y - 6:.1f}" font-size="11" '
                   f'fill="currentColor">{esc(money(last))}</text>')
    out.append("</svg>")
    return "".join(out)


def network(edges: Sequence[tuple[str, str, int]], *, title: str, desc: str,
            money: Callable[[int], str]) -> str:
    """Members on a circle, an arrow from giver to receiver, wider for larger totals."""
    width, height = WIDTH, 320
    names = list(dict.fromkeys(n for g, r, _a in edges for n in (g, r)))
    cx, cy, radius = width / 2, height / 2, height / 2 - 40
    where: dict[str, tuple[float, float]] = {}
    for i, name in enumerate(names):
        angle = -math.pi / 2 + 2 * math.pi * i / max(1, len(names))
        where[name] = (cx + radius * math.cos(angle), cy + radius * math.sin(angle))
    widest = max((a for _g, _r, a in edges), default=0) or 1
    out = [_open("net", width, height, title, desc, "network-chart"),
           '<defs><marker id="net-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
           'markerWidth="6" markerHeight="6" orient="auto-start-reverse">'
           '<path d="M0,0L10,5L0,10z" fill="#cc79a7"/></marker></defs>']
    for giver, receiver, amount in edges:
        (x1, y1), (x2, y2) = where[giver], where[receiver]
        length = math.hypot(x2 - x1, y2 - y1) or 1
        # Stop short of the receiver's dot so the arrowhead shows.
        ex, ey = x2 - (x2 - x1) * 14 / length, y2 - (y2 - y1) * 14 / length
        out.append(f'<line class="edge" x1="{x1:.1f}" y1="{y1:.1f}" x2="{ex:.1f}" y2="{ey:.1f}" '
                   f'stroke="#cc79a7" stroke-opacity="0.8" '
                   f'stroke-width="{1 + 5 * amount / widest:.1f}" marker-end="url(#net-arrow)">'
                   f'<title>{esc(giver)} → {esc(receiver)}: {esc(money(amount))}</title></line>')
    for name, (x, y) in where.items():
        anchor = "start" if x > cx + 1 else "end" if x < cx - 1 else "middle"
        dx = 12 if anchor == "start" else -12 if anchor == "end" else 0
        dy = -12 if y < cy and anchor == "middle" else 18 if anchor == "middle" else 4
        out.append(f'<circle class="node" cx="{x:.1f}" cy="{y:.1f}" r="8" fill="#0072b2"/>'
                   f'<text x="{x + dx:.1f}" y="{y + dy:.1f}" text-anchor="{anchor}" '
                   f'font-size="12" fill="currentColor">{esc(name)}</text>')
    out.append("</svg>")
    return "".join(out)
