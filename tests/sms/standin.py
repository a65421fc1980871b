"""A local stand-in for Alibaba Cloud's SendSms: it speaks the request (the SDK's V3-signed RPC call:
``x-acs-action: SendSms``, ``x-acs-version: 2017-05-25``, an ``ACS3-HMAC-SHA256`` authorization, the
parameters in the query) and answer (``{Code, Message, BizId, RequestId}``) shapes, records what
it received, and answers from a script of outcomes (``"OK"``, a provider code, or an HTTP status)."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class StandIn:
    server: ThreadingHTTPServer
    script: deque[str | int] = field(default_factory=deque)
    received: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    count: int = 0

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.received.append(params)
            self.count += 1
            outcome: str | int = self.script.popleft() if self.script else "OK"
            request_id = f"REQ-{self.count:04d}"
        if isinstance(outcome, int):
            return outcome, {"Code": "ServiceUnavailable", "Message": "try later", "RequestId": request_id}
        if outcome == "OK":
            return 200, {"Code": "OK", "Message": "OK", "BizId": f"BIZ{self.count:06d}^0", "RequestId": request_id}
        return 200, {"Code": outcome, "Message": f"refused: {outcome}", "RequestId": request_id}


def start_standin() -> StandIn:
    holder: dict[str, StandIn] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            params.update({k: v[0] for k, v in parse_qs(body).items()})
            action = self.headers.get("x-acs-action") or params.get("Action")
            signed = (self.headers.get("Authorization") or "").startswith("ACS3-HMAC-SHA256 Credential=")
            if action != "SendSms" or self.headers.get("x-acs-version") != "2017-05-25" or not signed:
                status, answer = 400, {"Code": "InvalidAction", "Message": "not SendSms", "RequestId": "x"}
            else:
                status, answer = holder["standin"].answer(params)
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json;charset=utf-8")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    standin = StandIn(server=server)
    holder["standin"] = standin
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return standin
