"""The web console for 组织指导处: read reports and failures, close and reparse failures, in a browser.

Starlette under uvicorn, pages rendered on the server with Jinja2 (autoescape on), no JavaScript at all, one CSS
file shipped in the package. Only this package imports the web framework.
"""
