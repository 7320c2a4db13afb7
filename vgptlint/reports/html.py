"""``--format html``: one self-contained HTML page with charts, for people who would rather look than read.

Everything is inline: CSS in a ``<style>`` element and every chart an ``<svg>`` drawn here, so the
file opens offline, from an email attachment or a CI artifact, and loads nothing from anywhere.

The charts come from the run's dataset metrics, recognised by their shape, not by rule id, so a
team's renamed or extra rules still draw:

* output length histogram — a metric with ``details.buckets`` (``histogram`` accumulator);
* content mix — ``details.counts`` + ``details.shares`` (``distribution``), with its share bounds;
* shares against thresholds — every metric with a ``value`` and ``min``/``max`` bounds (NOLOCK
  coverage first), the bound drawn as a line;
* DPO feature skew — ``details.features`` with ``chosen_share``/``rejected_share`` per feature;
* KTO balance — ``details.counts`` of ``true``/``false`` labels (``balance``);

then the findings table. :func:`view_from_result` builds the plain :class:`ReportView` that
:func:`render_view` draws, so ``vgptlint stats`` can draw the same page from its own figures.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field

from vgptlint.model import Metric
from vgptlint.reports.base import ReportOptions, display_path, plural, reporter
from vgptlint.findings.result import RunResult

FINDINGS_SHOWN = 1000
PASS, FAIL, NEUTRAL, SECOND = "#2e7d32", "#c62828", "#1565c0", "#ef6c00"
WIDTH, LABEL_WIDTH, ROW = 760, 270, 26


# ------------------------------------------------------------------------------- the view


@dataclass(frozen=True, slots=True)
class Share:
    """A measured share and its bounds (None: unbounded on that side)."""

    label: str
    value: float
    low: float | None = None
    high: float | None = None
    count_text: str = ""

    @property
    def passed(self) -> bool:
        return (self.low is None or self.value >= self.low) and (self.high is None or self.value <= self.high)


@dataclass(frozen=True, slots=True)
class Chart:
    """One titled chart: ``kind`` is histogram (``bars``: label → count), shares, or pairs."""

    title: str
    subtitle: str
    kind: str
    bars: tuple[tuple[str, int], ...] = ()
    shares: tuple[Share, ...] = ()
    pairs: tuple[tuple[str, float, float], ...] = ()  # feature, chosen share, rejected share
    passed: bool = True


@dataclass(frozen=True, slots=True)
class FindingRow:
    severity: str
    rule: str
    where: str
    message: str


@dataclass(frozen=True)
class ReportView:
    title: str
    facts: tuple[tuple[str, str], ...]
    charts: tuple[Chart, ...]
    findings: tuple[FindingRow, ...]
    findings_total: int
    by_rule: tuple[tuple[str, str, int], ...] = field(default=())  # rule, severity, count
    tables: tuple = ()  # RunResult.tables: (title, headers, rows)


def view_from_result(result: RunResult, opts: ReportOptions, title: str = "vgptlint report") -> ReportView:
    counts = result.count_by_severity()
    facts = (("policy", result.policy), ("files", f"{len(result.files):,}"), ("records", f"{result.record_count:,}"),
             ("errors", f"{counts['error']:,}"), ("warnings", f"{counts['warning']:,}"), ("info", f"{counts['info']:,}"))
    charts = [chart for metric in result.metrics for chart in _charts_of(metric, opts)]
    severities: dict[str, str] = {}  # each rule's severity as its last finding has it
    rows = []
    for finding in result.findings:  # one pass: the first FINDINGS_SHOWN rows, every rule's severity
        severities[finding.rule] = finding.severity.value
        if len(rows) < FINDINGS_SHOWN:
            loc = finding.location
            rows.append(FindingRow(finding.severity.value, finding.rule,
                                   f"{display_path(loc.path, opts.cwd)}:{loc.line}:{loc.column}", finding.message))
    by_rule = tuple((rule, severities[rule], count) for rule, count in result.count_by_rule().items())
    return ReportView(title, facts, tuple(_ordered(charts)), tuple(rows), len(result.findings), by_rule,
                      tuple(result.tables))


_CHART_ORDER = ("length", "mix", "shares", "skew", "balance")


def _ordered(charts: list[tuple[str, Chart]]) -> list[Chart]:
    """Sections in a fixed order; single shares (NOLOCK coverage first) gathered into one chart."""
    singles = [chart for key, chart in charts if key == "shares"]
    others = [(key, chart) for key, chart in charts if key != "shares"]
    if singles:
        shares = sorted((c.shares[0] for c in singles), key=lambda s: ("nolock" not in s.label.lower(), s.label))
        gathered = Chart("Shares against the policy's thresholds", "every ratio metric, per file", "shares",
                         shares=tuple(shares), passed=all(c.passed for c in singles))
        others.append(("shares", gathered))
    return [chart for _, chart in sorted(others, key=lambda kc: _CHART_ORDER.index(kc[0]))]


def _charts_of(metric: Metric, opts: ReportOptions) -> list[tuple[str, Chart]]:
    """The charts a metric draws, each with its section key; a metric no chart knows draws nothing."""
    details, bounds = metric.details, metric.bounds
    where = display_path(metric.path, opts.cwd) or "all files"
    subtitle = f"{metric.rule} · {where}"
    if isinstance(details.get("buckets"), dict):
        bars = tuple((str(k), int(v)) for k, v in _bucket_order(details["buckets"]))
        return [("length", Chart(f"{str(details.get('label') or 'length').capitalize()} histogram", subtitle,
                                 "histogram", bars=bars, passed=metric.passed))]
    features = details.get("features")
    if isinstance(features, dict) and all(isinstance(v, dict) and "chosen_share" in v for v in features.values()):
        pairs = tuple((str(name), float(v["chosen_share"]), float(v["rejected_share"])) for name, v in features.items())
        return [("skew", Chart("DPO feature skew: chosen vs rejected", subtitle, "pairs", pairs=pairs, passed=metric.passed))]
    counts = details.get("counts")
    if isinstance(counts, dict) and "ratio" in details and metric.value is not None:
        total = sum(int(v) for v in counts.values()) or 1
        shares = tuple(Share(str(k), int(v) / total, count_text=f"{int(v):,}") for k, v in counts.items())
        headline = Share(str(details.get("label") or "share"), float(metric.value), bounds.get("min"), bounds.get("max"),
                         _counts(metric))
        return [("balance", Chart("KTO label balance", subtitle, "shares", shares=(headline, *shares), passed=metric.passed))]
    if isinstance(counts, dict) and isinstance(details.get("shares"), dict):
        shares = tuple(Share(str(k), float(details["shares"].get(k, 0.0)), bounds.get(f"{k}.min"), bounds.get(f"{k}.max"),
                             f"{int(v):,}") for k, v in sorted(counts.items(), key=lambda kv: -int(kv[1])))
        label = str(details.get("label") or "content")
        return [("mix", Chart(f"Content mix ({label})", subtitle, "shares", shares=shares, passed=metric.passed))]
    if metric.value is not None and ({"min", "max"} & set(bounds)):
        label = f"{details.get('label') or metric.rule} ({where.rsplit('/', 1)[-1]})"
        share = Share(label, float(metric.value), bounds.get("min"), bounds.get("max"), _counts(metric))
        return [("shares", Chart("", subtitle, "shares", shares=(share,), passed=metric.passed))]
    return []


def _counts(metric: Metric) -> str:
    """The counts behind a bar: "3 of 8" only when the value is that ratio. The runs test's mixing
    is (runs - 1) / (expected - 1), so its counts are runs against the runs expected, not records.

    >>> _counts(Metric("unshuffled", "a.json", 1.142857, 3, 8, details={"runs": 3, "expected_runs": 2.8}))
    '3 runs, about 2.8 expected in 8 records'
    >>> _counts(Metric("sql-share", "a.json", 0.375, 3, 8))
    '3 of 8'
    """
    if metric.numerator is None or metric.denominator is None:
        return ""
    details = metric.details or {}
    if "runs" in details and "expected_runs" in details:
        return f"{details['runs']:,} runs, about {details['expected_runs']:,} expected in {metric.denominator:,} records"
    is_plain_ratio = metric.value is not None and metric.denominator and abs(metric.numerator / metric.denominator - metric.value) < 1e-6
    return f"{metric.numerator:,} of {metric.denominator:,}" if is_plain_ratio else ""


def _bucket_order(buckets: dict) -> list[tuple[str, int]]:
    """``<50, 50-199, …, >=1000`` in numeric order, whatever order the metric kept them in."""

    def start(label: str) -> float:
        digits = "".join(ch if ch.isdigit() else " " for ch in label).split()
        if label.startswith("<"):
            return -1.0
        return float(digits[0]) if digits else float("inf")

    return sorted(buckets.items(), key=lambda kv: start(str(kv[0])))


# ------------------------------------------------------------------------------- drawing


def _text(x: float, y: float, content: str, anchor: str = "start", size: int = 12, weight: str = "normal",
          fill: str = "#222") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" font-weight="{weight}" '
            f'fill="{fill}">{html.escape(content)}</text>')


def histogram_svg(bars: tuple[tuple[str, int], ...]) -> str:
    height, top, bottom = 240, 20, 40
    peak = max((count for _, count in bars), default=0) or 1
    slot = (WIDTH - 60) / max(len(bars), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" role="img" '
             f'aria-label="histogram">', f'<line x1="40" y1="{height - bottom}" x2="{WIDTH - 10}" '
             f'y2="{height - bottom}" stroke="#999"/>']
    total = sum(count for _, count in bars) or 1
    for index, (label, count) in enumerate(bars):
        bar_height = (height - top - bottom) * count / peak
        x = 50 + index * slot
        y = height - bottom - bar_height
        colour = FAIL if label.startswith("<") and count else NEUTRAL
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{bar_height:.1f}" fill="{colour}">'
                     f'<title>{html.escape(label)}: {count:,}</title></rect>')
        parts.append(_text(x + slot * 0.35, y - 5, f"{count:,} ({count / total:.1%})", "middle", 11))
        parts.append(_text(x + slot * 0.35, height - bottom + 16, label, "middle"))
    parts.append("</svg>")
    return "".join(parts)


def shares_svg(shares: tuple[Share, ...]) -> str:
    """Horizontal bars of shares (0-100%), each with its bounds drawn as dashed lines and a band."""
    height = ROW * len(shares) + 30
    scale = WIDTH - LABEL_WIDTH - 120
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" role="img" aria-label="shares">']
    for index, share in enumerate(shares):
        y = 10 + index * ROW
        bounded = share.low is not None or share.high is not None
        colour = (PASS if share.passed else FAIL) if bounded else NEUTRAL
        parts.append(_text(LABEL_WIDTH - 8, y + 15, _clip(share.label, 40), "end"))
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{scale}" height="{ROW - 8}" fill="#eee"/>')
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{scale * min(max(share.value, 0.0), 1.0):.1f}" '
                     f'height="{ROW - 8}" fill="{colour}"><title>{html.escape(share.label)}: {share.value:.1%}</title></rect>')
        if bounded:
            low = share.low if share.low is not None else 0.0
            high = share.high if share.high is not None else 1.0
            parts.append(f'<rect x="{LABEL_WIDTH + scale * low:.1f}" y="{y}" width="{scale * (high - low):.1f}" '
                         f'height="{ROW - 2}" fill="none" stroke="#333" stroke-dasharray="4 3"/>')
        value = f"{share.value:.1%}" + (f" ({share.count_text})" if share.count_text else "")
        parts.append(_text(LABEL_WIDTH + scale + 6, y + 15, value, size=11))
    parts.append(_text(LABEL_WIDTH, height - 4, "dashed box: the policy's allowed range", size=10, fill="#666"))
    parts.append("</svg>")
    return "".join(parts)


def pairs_svg(pairs: tuple[tuple[str, float, float], ...]) -> str:
    """Two bars per feature: its share among chosen (blue) and rejected (orange) answers."""
    height = ROW * 2 * len(pairs) + 36
    scale = WIDTH - LABEL_WIDTH - 80
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" role="img" aria-label="skew">']
    for index, (name, chosen, rejected) in enumerate(pairs):
        y = 8 + index * ROW * 2
        parts.append(_text(LABEL_WIDTH - 8, y + ROW - 4, _clip(name, 34), "end"))
        for offset, (share, colour, who) in enumerate(((chosen, NEUTRAL, "chosen"), (rejected, SECOND, "rejected"))):
            bar_y = y + offset * (ROW - 4)
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{bar_y}" width="{scale * min(max(share, 0.0), 1.0):.1f}" '
                         f'height="{ROW - 8}" fill="{colour}"><title>{who}: {share:.1%}</title></rect>')
            parts.append(_text(LABEL_WIDTH + scale * min(max(share, 0.0), 1.0) + 4, bar_y + 13, f"{share:.1%}", size=11))
    legend_y = height - 8
    parts.append(f'<rect x="{LABEL_WIDTH}" y="{legend_y - 10}" width="12" height="10" fill="{NEUTRAL}"/>')
    parts.append(_text(LABEL_WIDTH + 16, legend_y, "chosen", size=11))
    parts.append(f'<rect x="{LABEL_WIDTH + 80}" y="{legend_y - 10}" width="12" height="10" fill="{SECOND}"/>')
    parts.append(_text(LABEL_WIDTH + 96, legend_y, "rejected", size=11))
    parts.append("</svg>")
    return "".join(parts)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------------------- the page

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:22px;margin:0 0 12px} h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.facts{display:flex;gap:12px;flex-wrap:wrap}.fact{border:1px solid #ddd;border-radius:6px;padding:8px 12px}
.fact b{display:block;font-size:18px}.chart{margin:8px 0 18px}.chart h3{font-size:14px;margin:0}
.sub{color:#666;font-size:12px;margin:0 0 4px}.fail{color:#c62828}.pass{color:#2e7d32}
table{border-collapse:collapse;font-size:13px;width:100%}th,td{border-bottom:1px solid #eee;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f6f6}td.error{color:#c62828;font-weight:bold}td.warning{color:#b26a00}td.info{color:#1565c0}
code{font-size:12px}
"""

SECTION_TITLES = {"histogram": "Output length", "pairs": "DPO preference signal"}


def render_view(view: ReportView) -> str:
    """The page: facts, charts, findings by rule, findings."""
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{html.escape(view.title)}</title>", f"<style>{STYLE}</style></head><body>",
           f"<h1>{html.escape(view.title)}</h1>", '<div class="facts">']
    out += [f'<div class="fact">{html.escape(name)}<b>{html.escape(value)}</b></div>' for name, value in view.facts]
    out.append("</div>")
    for title, headers, rows in view.tables:
        out.append(f"<h2>{html.escape(title)}</h2><table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers) + "</tr>")
        out += ["<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows]
        out.append("</table>")
    out.append("<h2>Dataset</h2>")
    if not view.charts:
        out.append('<p class="sub">No dataset metrics in this run: policies that extend the <code>dataset</code> and '
                   "<code>preference</code> rule packs draw the length histogram, content mix, shares and skew charts.</p>")
    for chart in view.charts:
        out.append(_chart_html(chart))
    out.append("<h2>Findings by rule</h2>")
    if view.by_rule:
        out.append("<table><tr><th>rule</th><th>severity</th><th>count</th></tr>")
        out += [f'<tr><td><code>{html.escape(rule)}</code></td><td class="{html.escape(sev)}">{html.escape(sev)}</td>'
                f"<td>{count:,}</td></tr>" for rule, sev, count in view.by_rule]
        out.append("</table>")
    else:
        out.append("<p>No findings.</p>")
    if view.findings:
        shown = len(view.findings)
        out.append(f"<h2>Findings ({view.findings_total:,})</h2>")
        if shown < view.findings_total:
            out.append(f"<p class=\"sub\">The first {plural(shown, 'finding')} of {view.findings_total:,}; "
                       "the text, JSON and SARIF reports list them all.</p>")
        out.append("<table><tr><th>severity</th><th>rule</th><th>where</th><th>message</th></tr>")
        out += [f'<tr><td class="{html.escape(r.severity)}">{html.escape(r.severity)}</td><td><code>{html.escape(r.rule)}</code></td>'
                f"<td><code>{html.escape(r.where)}</code></td><td>{html.escape(r.message)}</td></tr>" for r in view.findings]
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _chart_html(chart: Chart) -> str:
    status = '<span class="pass">within bounds</span>' if chart.passed else '<span class="fail">outside bounds</span>'
    title = chart.title or (chart.shares[0].label if chart.shares else "")
    if chart.kind == "histogram":
        svg = histogram_svg(chart.bars)
    elif chart.kind == "pairs":
        svg = pairs_svg(chart.pairs)
    else:
        svg = shares_svg(chart.shares)
    return (f'<div class="chart"><h3>{html.escape(title)}</h3><p class="sub">{html.escape(chart.subtitle)} · {status}</p>'
            f"{svg}</div>")


@reporter("html", shows_fix_regions=False, needs_verified_fixes=False)
def render_html(result: RunResult, opts: ReportOptions) -> str:
    """One self-contained HTML page: dataset charts (inline SVG) and the findings table."""
    return render_view(view_from_result(result, opts))
