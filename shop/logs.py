"""Structured logs: one JSON object per line, and never a buyer's phone, address or a request body.

The request log records method, path (no query string: searches may hold phone numbers), status and
duration. Other lines pass through ``scrub_digits`` as a last guard against a stray phone number.
"""

from __future__ import annotations

import atexit
import json
import logging
import queue
import re
import sys
import time
from logging.handlers import QueueHandler, QueueListener

from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from shop.privacy import scrub_digits
from shop.web.client import client_address

access_log = logging.getLogger("shop.access")

# Paths that carry a secret: a user's calendar feed address, a class's check-in code. Whoever reads the
# logs must not be able to subscribe to the feed or check in; the secret's place is kept, its value not.
_SECRET_PATHS = (
    ("/calendar/", re.compile(r"^/calendar/[^/]+"), "/calendar/***"),
    ("/training/classes/", re.compile(r"^(/training/classes/[^/]+/check-in/)[^/]+"), r"\1***"),
)


def safe_path(path: str) -> str:
    """The request path as logs may show it: secrets in it masked."""
    for prefix, pattern, replacement in _SECRET_PATHS:
        if path.startswith(prefix):
            return pattern.sub(replacement, path, count=1)
    return path


class JsonFormatter(logging.Formatter):
    # One line per request: the second's text is made once per second, not once per line (one tuple, so
    # two threads never pair a second with another second's text).
    _stamp: tuple[int, str] = (-1, "")

    def format(self, record: logging.LogRecord) -> str:
        second, text = self._stamp
        if int(record.created) != second:
            second = int(record.created)
            text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._stamp = (second, text)
        entry = {
            "ts": f"{text}.{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": scrub_digits(record.getMessage()),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            entry.update(extra)
        if record.exc_info:
            entry["exc"] = scrub_digits(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class _DeferredQueueHandler(QueueHandler):
    """Hands the record over as it is: the listener's thread formats and writes it, not the request's."""

    _shop = True  # configure_logging's mark: this process's logging is set up already

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr, written by a listener thread: a request only queues its line.

    Under a live-stream burst the access log is thousands of lines a second; formatting and writing each
    on the event loop's thread cost a seventh of the request path (see docs/benchmarks.md). The records
    carry nothing we do not print, so the logging module's source-file, thread and process lookups are
    turned off too (the logging HOWTO's "Optimization" section).
    """
    root = logging.getLogger()
    if any(getattr(h, "_shop", False) for h in root.handlers):
        return
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging._srcfile = None  # no stack walk per record for a file name
    writer = logging.StreamHandler(sys.stderr)
    writer.setFormatter(JsonFormatter())
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    listener = QueueListener(records, writer)
    listener.start()
    atexit.register(listener.stop)  # what is queued is written before the process ends
    handler = _DeferredQueueHandler(records)
    root.addHandler(handler)
    root.setLevel(level)
    # SQL echo and driver chatter would carry parameters; keep them quiet.
    for noisy in ("sqlalchemy", "aiosqlite", "asyncpg", "apscheduler.executors", "granian.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class AccessLogMiddleware(ASGIMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await next_app(scope, receive, send_wrapper)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "request",
                    extra={
                        "fields": {
                            "method": scope.get("method"),
                            "path": safe_path(scope.get("path", "")),
                            "client": client_address(scope),
                            "status": status,
                            "ms": round((time.perf_counter() - started) * 1000, 1),
                        }
                    },
                )
