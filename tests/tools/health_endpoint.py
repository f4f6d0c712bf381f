# -*- coding: utf-8 -*-
"""A local /api/health answering one status, for the checks that ask one (cutover, verify, deploy): nothing
answers behind the emulated load balancer.

    with health_endpoint(200) as url: ...   # http://127.0.0.1:<port>/api/health
"""

from __future__ import annotations

import contextlib
import http.server
import threading


@contextlib.contextmanager
def health_endpoint(status: int):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield "http://127.0.0.1:%d/api/health" % server.server_port
    finally:
        server.shutdown()
        server.server_close()
