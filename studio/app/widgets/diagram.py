"""A small static SVG picture of a template's team, for the Gallery cards."""

from __future__ import annotations

import html
import math

from studio.spec import TemplateSpec

from ._look import look_for

_W, _H, _R = 300, 150, 17


def _positions(spec: TemplateSpec) -> dict[str, tuple[float, float]]:
    names = spec.agent_names
    layout = {n: (p.x, p.y) for n, p in spec.layout.items() if n in names}
    if len(layout) == len(names) and len(names) > 1:
        xs = [x for x, _ in layout.values()]
        ys = [y for _, y in layout.values()]
        span_x = (max(xs) - min(xs)) or 1.0
        span_y = (max(ys) - min(ys)) or 1.0
        # room for the longest name under a dot at either edge (about 6 px a letter)
        pad = min(72, max(40, 3.4 * max(len(n) for n in names) + 4))
        return {n: (pad + (x - min(xs)) / span_x * (_W - 2 * pad) if max(xs) > min(xs) else _W / 2,
                    28 + (y - min(ys)) / span_y * (_H - 62) if max(ys) > min(ys) else _H / 2 - 8)
                for n, (x, y) in layout.items()}
    count = max(len(names), 1)
    return {n: (_W / 2 + 105 * math.cos(2 * math.pi * i / count - math.pi / 2) * (count > 1),
                _H / 2 - 8 + 45 * math.sin(2 * math.pi * i / count - math.pi / 2) * (count > 1))
            for i, n in enumerate(names)}


def team_svg(spec: TemplateSpec) -> str:
    """An inline SVG: agents as coloured dots with names, the pattern's edges as arrows."""
    names = spec.agent_names
    pos = _positions(spec)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" width="100%" '
             f'role="img" aria-label="Team of {html.escape(spec.name)}">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" '
             'markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
             'fill="#9aa0a6"/></marker></defs>']
    edges = [(e.source, e.target) for e in spec.pattern.edges]
    for agent in spec.agents:
        edges += [(agent.name, n.recipient) for n in agent.nested_chats]
    for source, target in edges:
        if source not in pos or target not in pos or source == target:
            continue
        (x1, y1), (x2, y2) = pos[source], pos[target]
        dist = math.hypot(x2 - x1, y2 - y1) or 1.0
        ux, uy = (x2 - x1) / dist, (y2 - y1) / dist
        dashed = ' stroke-dasharray="4 3"' if any(
            n.recipient == target for n in spec.agent(source).nested_chats) else ""
        parts.append(f'<line x1="{x1 + ux * _R:.1f}" y1="{y1 + uy * _R:.1f}" '
                     f'x2="{x2 - ux * (_R + 3):.1f}" y2="{y2 - uy * (_R + 3):.1f}" stroke="#9aa0a6" '
                     f'stroke-width="1.6"{dashed} marker-end="url(#arrow)"/>')
    for name in names:
        x, y = pos[name]
        look = look_for(name, names, human=spec.agent(name).kind.is_proxy)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{_R}" fill="{look.hex}" fill-opacity="0.18" '
                     f'stroke="{look.hex}" stroke-width="2"/>')
        parts.append(f'<text x="{x:.1f}" y="{y + 6:.1f}" font-size="16" text-anchor="middle">'
                     f'{look.avatar}</text>')
        # a light halo keeps the name readable where an arrow passes under it
        parts.append(f'<text x="{x:.1f}" y="{y + _R + 14:.1f}" font-size="12" text-anchor="middle" '
                     f'font-family="sans-serif" fill="currentColor" stroke="#ffffff" '
                     f'stroke-width="3" stroke-opacity="0.85" paint-order="stroke">'
                     f'{html.escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
