"""The annual report: its data model and its renderers (json, html, md, xlsx, docx, csv)."""
