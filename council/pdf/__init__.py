"""Chinese A4 PDFs: Jinja2 templates under templates/pdf/, rendered by WeasyPrint in a process pool.

Use:  pdf_bytes = await council.pdf.render("pdf/minutes.html", context, locale="zh_CN")

Why a process pool: WeasyPrint is CPU-bound and holds the GIL for the whole layout, so a
thread would still stall the event loop's other requests. Each worker process keeps its own
font cache, so the first PDF in a worker pays the font loading once.
"""

from council.pdf.renderer import document_title, font_report, queue_depth, render, render_sync, shutdown, start

__all__ = ["render", "render_sync", "font_report", "document_title", "shutdown", "start", "queue_depth"]
