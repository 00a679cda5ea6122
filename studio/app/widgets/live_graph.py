"""The live picture of a run's team, drawn inline as SVG with the page (no iframe to load,
nothing to log in the console): agents at their canvas places, each name beside its dot,
arrows with how many messages went each way, and the one speaking ringed in its colour
(same size: no arrow disappears under it; the ring pulses while the run goes on and stays
still on the one who spoke last once it has stopped, paused or waits for the person)."""

from __future__ import annotations

import html
import math

from studio.spec import TemplateSpec

from .._transcript import Transcript
from ._look import look_for

W, H, R = 320, 220, 15
_CHAR = 6.6  # width of a letter of the 12 px label, about


def _places(spec: TemplateSpec) -> dict[str, tuple[float, float]]:
    """Where each agent goes: the canvas layout fitted to the box (room for the names
    beside the outer dots), else a circle."""
    names = spec.agent_names
    longest = max((len(n) for n in names), default=4)
    pad_x = min(110.0, R + 8 + _CHAR * longest)
    layout = {n: (p.x, p.y) for n, p in spec.layout.items() if n in names}
    if len(layout) == len(names) and len(names) > 1:
        xs = [x for x, _ in layout.values()]
        ys = [y for _, y in layout.values()]
        span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
        return {n: (pad_x + (x - min(xs)) / span_x * (W - 2 * pad_x) if max(xs) > min(xs)
                    else W / 2,
                    34 + (y - min(ys)) / span_y * (H - 68) if max(ys) > min(ys) else H / 2)
                for n, (x, y) in layout.items()}
    count = max(len(names), 1)
    rx, ry = (W / 2 - pad_x), H / 2 - 30
    return {n: (W / 2 + rx * math.cos(2 * math.pi * i / count - math.pi / 2) * (count > 1),
                H / 2 + ry * math.sin(2 * math.pi * i / count - math.pi / 2) * (count > 1))
            for i, n in enumerate(names)}


def _label_place(x: float, y: float, middle: tuple[float, float]) -> tuple[float, float, str]:
    """Where a name goes: beside its dot on the side away from the team's middle (where
    the arrows are), or above / below a dot at the top / bottom."""
    dx, dy = x - middle[0], y - middle[1]
    if abs(dx) >= abs(dy) * 0.8 and abs(dx) > 1:
        return (x + R + 5, y + 4, "start") if dx > 0 else (x - R - 5, y + 4, "end")
    if dy < 0:
        return x, y - R - 6, "middle"
    return x, y + R + 14, "middle"


def _pairs(spec: TemplateSpec, tx: Transcript) -> dict[tuple[str, str], int]:
    names = set(spec.agent_names)
    pairs: dict[tuple[str, str], int] = {(e.source, e.target): 0 for e in spec.pattern.edges}
    for agent in spec.agents:
        for nested in agent.nested_chats:
            pairs.setdefault((agent.name, nested.recipient), 0)
    for pair, count in tx.edge_counts.items():
        if pair[0] in names and pair[1] in names:
            pairs[pair] = pairs.get(pair, 0) + count
    return {p: c for p, c in pairs.items() if p[0] in names and p[1] in names and p[0] != p[1]}


def live_team_svg(spec: TemplateSpec, tx: Transcript, *, speaking: str = "",
                  live: bool = True) -> str:
    """The SVG of the team now: ``speaking`` (an agent's name, or "") is ringed; ``live``
    False: the run stands still, and ``speaking`` is the one who spoke last."""
    names = spec.agent_names
    at = _places(spec)
    pairs = _pairs(spec, tx)
    speaking = speaking if speaking in at else ""
    doing = "speaking" if live else "spoke last"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="100%" '
           f'role="img" aria-label="The team of {html.escape(spec.name)}'
           + (f', {html.escape(speaking)} {doing}' if speaking else "") + '">',
           '<defs><marker id="rt-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
           'fill="context-stroke"/></marker></defs>']
    if speaking:  # the halo goes first: arrows and dots are drawn over it
        x, y = at[speaking]
        look = look_for(speaking, names, human=spec.agent(speaking).kind.is_proxy)
        pulse = (f'<animate attributeName="r" values="{R + 6};{R + 11};{R + 6}" dur="1.6s" '
                 'repeatCount="indefinite"/>' if live else "")
        out.append(f'<circle class="rt-speaker" data-agent="{html.escape(speaking)}" '
                   f'cx="{x:.1f}" cy="{y:.1f}" r="{R + 9}" fill="{look.hex}" '
                   f'fill-opacity="0.16">{pulse}</circle>')
    labels = []
    middle = (sum(x for x, _ in at.values()) / max(len(at), 1),
              sum(y for _, y in at.values()) / max(len(at), 1))
    for (source, target), count in pairs.items():
        (x1, y1), (x2, y2) = at[source], at[target]
        back = (target, source) in pairs
        dist = math.hypot(x2 - x1, y2 - y1) or 1.0
        ux, uy = (x2 - x1) / dist, (y2 - y1) / dist
        nx, ny = (-uy * 5, ux * 5) if back else (0.0, 0.0)  # two ways: side by side
        colour = "#5f6368" if count else "#c4c7cc"
        dashed = ' stroke-dasharray="4 3"' if any(
            n.recipient == target for n in spec.agent(source).nested_chats) else ""
        said = f"{count} message{'s' if count != 1 else ''}" if count else "no message yet"
        out.append(f'<line class="rt-edge" data-edge="{html.escape(source)}→'
                   f'{html.escape(target)}" data-count="{count}" '
                   f'x1="{x1 + ux * R + nx:.1f}" y1="{y1 + uy * R + ny:.1f}" '
                   f'x2="{x2 - ux * (R + 4) + nx:.1f}" y2="{y2 - uy * (R + 4) + ny:.1f}" '
                   f'stroke="{colour}" stroke-width="{1.4 + min(count, 6) * 0.35:.2f}"{dashed} '
                   f'marker-end="url(#rt-arrow)"><title>{html.escape(source)} → '
                   f'{html.escape(target)}: {said}</title></line>')
        if count:
            mx, my = (x1 + x2) / 2 + nx * 2.2, (y1 + y2) / 2 + ny * 2.2
            labels.append(f'<text x="{mx:.1f}" y="{my + 4:.1f}" font-size="11" '
                          'text-anchor="middle" font-family="sans-serif" fill="#3c4043" '
                          'stroke="#ffffff" stroke-width="3" paint-order="stroke">'
                          f'{count}</text>')
    for name in names:
        x, y = at[name]
        look = look_for(name, names, human=spec.agent(name).kind.is_proxy)
        now = name == speaking
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{R}" fill="{look.hex}" '
                   f'fill-opacity="{0.9 if now else 0.15}" stroke="{look.hex}" '
                   f'stroke-width="{3 if now else 2}"/>')
        out.append(f'<text x="{x:.1f}" y="{y + 5:.1f}" font-size="14" text-anchor="middle">'
                   f'{look.avatar}</text>')
        lx, ly, anchor = _label_place(x, y, middle)
        out.append(f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="12" text-anchor="{anchor}" '
                   f'font-family="sans-serif" font-weight="{"700" if now else "400"}" '
                   'fill="#202124" stroke="#ffffff" stroke-width="3" stroke-opacity="0.9" '
                   f'paint-order="stroke">{html.escape(name)}</text>')
    out += labels
    out.append("</svg>")
    return "".join(out)
