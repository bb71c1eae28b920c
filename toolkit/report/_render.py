"""The report as a list of blocks, rendered to Markdown and to one self-contained HTML page.

Safety: every piece of text (task text, model answers, names from specs and outcome files)
is a plain string in a block and is escaped by the renderer. There is no way to put raw HTML
or Markdown into a block. The HTML page also carries a strict Content-Security-Policy, so a
missed escape could still not run a script or load anything: ``default-src 'none'``, images
only from ``data:`` URIs, inline styles only.
"""

from __future__ import annotations

import base64
import csv
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'"
)

_MD_ESCAPE = {c: "\\" + c for c in "\\`*_[]|~!"}
_MD_ESCAPE.update({"<": "&lt;", ">": "&gt;", "&": "&amp;"})


@dataclass(frozen=True)
class Heading:
    """A section title; ``anchor`` is its HTML id (letters, digits and ``-`` only)."""

    level: int
    text: str
    anchor: str = ""


@dataclass(frozen=True)
class Para:
    """A paragraph of plain text. ``strong`` renders it bold (a warning or a label)."""

    text: str
    strong: bool = False


@dataclass(frozen=True)
class Bullets:
    """A bulleted list of plain-text items."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A table of plain-text cells. ``numeric`` marks right-aligned columns."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    numeric: tuple[bool, ...] = ()
    css_class: str = ""


@dataclass(frozen=True)
class Image:
    """A PNG figure: written next to the Markdown file, embedded in the HTML page."""

    filename: str
    png: bytes
    alt: str
    caption: str = ""


@dataclass(frozen=True)
class Section:
    """A boxed group of blocks (``kind`` "whatif" is styled as a clearly labelled aside)."""

    kind: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)


Block = Heading | Para | Bullets | Table | Image | Section


def excerpt(text: str, limit: int = 160) -> str:
    """One line of at most ``limit`` characters: whitespace collapsed, the rest cut with …"""
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


# ----- Markdown -----


def md_escape(text: str) -> str:
    """Text that Markdown shows literally: no HTML, links, emphasis or table breaks."""
    s = " ".join(str(text).splitlines())
    return "".join(_MD_ESCAPE.get(c, c) for c in s)


def to_markdown(title: str, blocks: Sequence[Block]) -> str:
    """The report as Markdown; figures are linked as the PNG files beside it."""
    out: list[str] = [f"# {md_escape(title)}", ""]
    for b in blocks:
        out.extend(_md_block(b))
    return "\n".join(out).rstrip() + "\n"


def _md_block(b: Block) -> list[str]:
    if isinstance(b, Heading):
        return [f"{'#' * min(6, b.level)} {md_escape(b.text)}", ""]
    if isinstance(b, Para):
        text = md_escape(b.text)
        return [f"**{text}**" if b.strong else text, ""]
    if isinstance(b, Bullets):
        return [*(f"- {md_escape(i)}" for i in b.items), ""]
    if isinstance(b, Table):
        lines = []
        if b.caption:
            lines += [f"*{md_escape(b.caption)}*", ""]
        lines.append("| " + " | ".join(md_escape(c) for c in b.columns) + " |")
        aligns = [
            "---:" if (k < len(b.numeric) and b.numeric[k]) else "---"
            for k in range(len(b.columns))
        ]
        lines.append("| " + " | ".join(aligns) + " |")
        for row in b.rows:
            lines.append("| " + " | ".join(md_escape(c) for c in row) + " |")
        return [*lines, ""]
    if isinstance(b, Image):
        lines = [f"![{md_escape(b.alt)}]({b.filename})", ""]
        if b.caption:
            lines += [f"*{md_escape(b.caption)}*", ""]
        return lines
    out: list[str] = []
    if b.kind == "whatif":
        out += ["---", ""]
    for inner in b.blocks:
        out.extend(_md_block(inner))
    if b.kind == "whatif":
        out += ["---", ""]
    return out


# ----- HTML -----

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:1400px;padding:0 1rem;color:#1b1b1b;line-height:1.45}
h1{font-size:1.7rem;border-bottom:2px solid #333;padding-bottom:.3rem}
h2{font-size:1.3rem;margin-top:2.2rem;border-bottom:1px solid #ccc;padding-bottom:.2rem}
h3{font-size:1.08rem;margin-top:1.4rem}
div.table{overflow-x:auto;max-width:100%;margin:.6rem 0 1.2rem}
table{border-collapse:collapse;font-size:.86rem}
th,td{border:1px solid #d0d0d0;padding:.25rem .5rem;vertical-align:top;text-align:left;
max-width:24rem}
th{background:#f0f0f0}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr:nth-child(even) td{background:#fafafa}
caption{caption-side:top;text-align:left;font-style:italic;color:#444;padding:.2rem 0}
figure{margin:1rem 0}
figure img{max-width:100%;height:auto;border:1px solid #e0e0e0}
figcaption{font-size:.85rem;color:#444}
table.samples td{max-width:28rem;min-width:6rem;overflow-wrap:break-word}
table.samples td:nth-child(1){min-width:8rem}table.samples td:nth-child(3){min-width:22rem}
.whatif{border:3px dashed #b26a00;background:#fff8ec;padding:.2rem 1rem 1rem;margin:1.5rem 0}
.strong{font-weight:600}
@page{size:A4 landscape;margin:12mm}
@media print{body{margin:0;max-width:none;font-size:.8rem}div.table{overflow:visible}
table{font-size:.72rem}td.num{white-space:normal}h2{break-after:avoid}
figure,tr{break-inside:avoid}table.samples td{min-width:0!important;overflow-wrap:anywhere}}
"""


def esc(text: str) -> str:
    """HTML-escaped text (quotes included), safe in element content and attribute values."""
    return html.escape(str(text), quote=True)


def to_html(title: str, blocks: Sequence[Block]) -> str:
    """The report as one self-contained HTML page: styles inline, figures as data URIs."""
    body = "\n".join(_html_block(b) for b in blocks)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{esc(title)}</h1>\n{body}\n</body>\n</html>\n"
    )


def to_html_fragment(*blocks: Block) -> str:
    """Blocks as an HTML fragment (for notebook widgets), escaped like the page."""
    return "\n".join(_html_block(b) for b in blocks)


def _anchor(text: str) -> str:
    return "".join(c for c in text.lower().replace(" ", "-") if c.isalnum() or c == "-")


def _html_block(b: Block) -> str:
    if isinstance(b, Heading):
        level = min(6, max(2, b.level))
        anchor = _anchor(b.anchor or b.text)
        return f'<h{level} id="{esc(anchor)}">{esc(b.text)}</h{level}>'
    if isinstance(b, Para):
        cls = ' class="strong"' if b.strong else ""
        return f"<p{cls}>{esc(b.text)}</p>"
    if isinstance(b, Bullets):
        return "<ul>" + "".join(f"<li>{esc(i)}</li>" for i in b.items) + "</ul>"
    if isinstance(b, Table):
        cls = f' class="{esc(b.css_class)}"' if b.css_class else ""
        parts = [f'<div class="table"><table{cls}>']
        if b.caption:
            parts.append(f"<caption>{esc(b.caption)}</caption>")
        parts.append(
            "<thead><tr>" + "".join(f"<th>{esc(c)}</th>" for c in b.columns) + "</tr></thead>"
        )
        parts.append("<tbody>")
        for row in b.rows:
            cells = []
            for k, c in enumerate(row):
                num = k < len(b.numeric) and b.numeric[k]
                cells.append(f'<td class="num">{esc(c)}</td>' if num else f"<td>{esc(c)}</td>")
            parts.append("<tr>" + "".join(cells) + "</tr>")
        parts.append("</tbody></table></div>")
        return "".join(parts)
    if isinstance(b, Image):
        data = base64.b64encode(b.png).decode("ascii")
        cap = f"<figcaption>{esc(b.caption)}</figcaption>" if b.caption else ""
        return (
            f'<figure><img src="data:image/png;base64,{data}" alt="{esc(b.alt)}" '
            f'data-file="{esc(b.filename)}">{cap}</figure>'
        )
    cls = "whatif" if b.kind == "whatif" else "section"
    inner = "\n".join(_html_block(x) for x in b.blocks)
    return f'<section class="{cls}">\n{inner}\n</section>'


# ----- CSV -----


def csv_cell(value: object) -> str:
    """A CSV cell a spreadsheet opens safely: a carriage return becomes a newline (a bare CR
    splits rows in some readers), and text it would run as a formula (starting, after any
    blanks, with ``= + - @``, or with a tab) is prefixed with ``'``."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    s = str(value).replace("\r\n", "\n").replace("\r", "\n")
    lead = s.lstrip(" \n")
    if s and (s[0] == "\t" or lead[:1] in ("=", "+", "-", "@")) and not _is_number(s):
        return "'" + s
    return s


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def to_csv(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """CSV text with a header row."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([csv_cell(c) for c in columns])
    for row in rows:
        w.writerow([csv_cell(v) for v in row])
    return buf.getvalue()


def images(blocks: Sequence[Block]) -> list[Image]:
    """Every figure in the blocks, sections included, in order."""
    out: list[Image] = []
    for b in blocks:
        if isinstance(b, Image):
            out.append(b)
        elif isinstance(b, Section):
            out.extend(images(b.blocks))
    return out
