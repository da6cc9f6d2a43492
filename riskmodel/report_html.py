"""A validation report as one self-describing HTML page (English; figures as PNG beside it)."""

from __future__ import annotations

from html import escape
from typing import Any

from .report import figure_key

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:68rem;margin:2rem auto;padding:0 1rem;
color:#111;line-height:1.45}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #bbb;
padding:.25rem .6rem;text-align:left}th{background:#f2f2f2}
.banner{background:#b00020;color:#fff;padding:1rem;font-weight:700;font-size:1.1rem}
.warn{background:#fff4d6;border-left:4px solid #c80;padding:.5rem 1rem}
figure{display:inline-block;margin:.5rem}img{max-width:32rem}
"""
_FIGURES_ROW = ("n", "events", "AUC (95% CI)", "O/E (95% CI)", "Calibration intercept (95% CI)",
                "Calibration slope (95% CI)", "Brier (null)")


def render(report: dict[str, Any]) -> str:
    """The report as an HTML document."""
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>"
             f"{escape(report['title'])}</title><style>{_STYLE}</style></head><body>"]
    if report.get("banner"):
        parts.append(f"<p class='banner' role='alert'>{escape(report['banner'])}</p>")
    parts.append(f"<h1>{escape(report['title'])}</h1>")
    parts += [f"<p class='warn'>{escape(w)}</p>" for w in report["warnings"]
              if w != report.get("banner")]
    parts += [_model(report), _data(report), _overall(report), _subgroups(report),
              _methods(report), "</body></html>"]
    return "\n".join(parts)


def _model(report: dict[str, Any]) -> str:
    m = report["model"]
    return (f"<h2>Model</h2><p>{escape(m['title'])}<br>id <code>{escape(m['id'])}</code>, "
            f"version {escape(m['version'])}, spec SHA-256 <code>{escape(m['sha256'])}</code>"
            f"</p>")


def _data(report: dict[str, Any]) -> str:
    d = report["data"]
    rows = "".join(f"<tr><td>{escape(k)}</td><td>{v}</td></tr>" for k, v in d["lacking"].items())
    excluded = "".join(f"<li>{escape(k)}: {v}</li>" for k, v in d["excluded"].items()) or \
        "<li>none</li>"
    examples = "".join(f"<li>{escape(e)}</li>" for e in d["excluded_examples"])
    return (f"<h2>Data</h2><p>{escape(d['source'])}, outcome column "
            f"<code>{escape(d['outcome'])}</code>: {d['n']} rows used, {d['events']} events. "
            f"Data fingerprint (SHA-256 of the rows used) <code>{d['fingerprint']}</code>.</p>"
            f"<h3>Rows left out</h3><ul>{excluded}</ul>"
            + (f"<p>First messages:</p><ul>{examples}</ul>" if examples else "")
            + "<h3>Rows lacking each input</h3><p>Handled as the model handles them "
            "(marginalised over its reference).</p><table><tr><th>Input</th>"
            f"<th>Rows lacking it</th></tr>{rows}</table>")


def _overall(report: dict[str, Any]) -> str:
    overall = report["overall"]
    note = overall["smoothed"].get("note")
    return ("<h2>All rows</h2>" + _table([("All rows", overall)])
            + _groups(overall["deciles"]) + (f"<p>{escape(note)}</p>" if note else "")
            + _images(report, "overall"))


def _groups(points: list[dict[str, Any]]) -> str:
    rows = "".join(f"<tr><td>{d['n']}</td><td>{d['events']}</td>"
                   f"<td>{d['mean_predicted']:.3f}</td><td>{d['observed']:.3f}</td></tr>"
                   for d in points)
    return ("<h3>Groups of predicted risk</h3><table><tr><th>n</th><th>Events</th>"
            f"<th>Mean predicted</th><th>Observed</th></tr>{rows}</table>")


def _subgroups(report: dict[str, Any]) -> str:
    parts = ["<h2>Subgroups</h2>"]
    for kind, entries in report["subgroups"].items():
        shown = [(str(e["value"]), e) for e in entries if "skipped" not in e]
        skipped = [e for e in entries if "skipped" in e]
        parts.append(f"<h3>By {escape(kind)}</h3>" + (_table(shown) if shown else ""))
        parts += [f"<p>{escape(kind)} = {escape(str(e['value']))} (n={e['n']}): skipped, "
                  f"{escape(e['skipped'])}</p>" for e in skipped]
        for value, _ in shown:
            parts.append(_images(report, figure_key(kind, value)))
    return "\n".join(parts)


def _table(rows: list[tuple[str, dict[str, Any]]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("Group", *_FIGURES_ROW))
    body = "".join(
        f"<tr><td>{escape(name)}</td><td>{f['n']}</td><td>{f['events']}</td>"
        f"<td>{_ci(f['auc'])}</td><td>{_ci(f['oe'], 'ratio')}</td>"
        f"<td>{_ci(f['calibration_intercept'])}</td><td>{_ci(f['calibration_slope'])}</td>"
        f"<td>{f['brier']['value']:.4f} ({f['brier']['null']:.4f})</td></tr>"
        for name, f in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _ci(entry: dict[str, Any], key: str = "estimate") -> str:
    value = entry.get(key)
    if value is None:
        return escape(entry.get("reason", "not available"))
    if entry.get("low") is None:
        return f"{value:.3f}"
    return f"{value:.3f} ({entry['low']:.3f} to {entry['high']:.3f})"


def _images(report: dict[str, Any], key: str) -> str:
    found = report.get("figures", {}).get(key)
    if not found:
        return ""
    return "".join(f"<figure><img src='{escape(name)}' alt='{escape(kind)} figure, "
                   f"{escape(key)}'><figcaption>{escape(kind.replace('_', ' '))}</figcaption>"
                   f"</figure>" for kind, name in found.items())


def _methods(report: dict[str, Any]) -> str:
    items = "".join(f"<li><b>{escape(k.replace('_', ' '))}</b>: {escape(v)}</li>"
                    for k, v in report["methods"].items())
    return f"<h2>Methods</h2><ul>{items}</ul><p>Created {escape(report['created'])}.</p>"
