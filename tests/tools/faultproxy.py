# -*- coding: utf-8 -*-
"""A fault-injecting HTTP proxy in front of the AWS emulator.

The emulator answers every call at once and never fails, which hides how the collection behaves against real
AWS. This proxy sits between the AWS clients and moto and, per request, at the configured rates:
  - answers with an AWS throttling error in the service's own wire format (query/XML, JSON or REST),
  - answers with a 503 ServiceUnavailable,
  - closes the connection without answering,
  - delays the request,
and forwards everything else untouched. Faults are decided *before* forwarding, so a failed call has no side
effect on the emulator, as with real throttling. It counts every AWS API call by service and operation, and can
hand each forwarded call to an `after_forward` hook which may swallow the answer: the way tests interrupt a run
right after AWS acted on a call but before the caller learnt the result (the worst moment for idempotency).

    python -m tests.tools.faultproxy --target http://127.0.0.1:5001 --port 5101 --throttle 0.05 --error 0.05
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import random
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization"}


class FaultPlan:
    def __init__(self, throttle=0.0, error=0.0, drop=0.0, delay=0.0, max_delay=0.5, seed=None, exempt=("/moto-api",)):
        self.throttle, self.error, self.drop, self.delay, self.max_delay = throttle, error, drop, delay, max_delay
        self.exempt = exempt
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def draw(self, path):
        """One of 'throttle', 'error', 'drop', 'delay' or None, with the configured probabilities."""
        if path.startswith(self.exempt):
            return None, 0.0
        with self._lock:
            roll, pause = self._random.random(), self._random.uniform(0, self.max_delay)
        for kind, rate in (("throttle", self.throttle), ("error", self.error), ("drop", self.drop), ("delay", self.delay)):
            if roll < rate:
                return kind, pause
            roll -= rate
        return None, 0.0


def operation_of(headers, path, body):
    """(service, operation) of an AWS request, from the signing scope and the protocol's operation marker."""
    auth = headers.get("Authorization", "")
    service = "unknown"
    if "Credential=" in auth:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        if len(scope) >= 4:
            service = scope[3]
    target = headers.get("X-Amz-Target")
    if target:
        return service, target.split(".")[-1]
    path_only = urllib.parse.urlsplit(path).path
    if "/operation/" in path_only:  # smithy-rpc-v2-cbor (CloudWatch): /service/<Service>/operation/<Operation>
        return service, path_only.rsplit("/operation/", 1)[1]
    if body and not _is_cbor(headers, path):
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            return service, form["Action"][0]
    return service, "%s %s" % (headers.get("X-Proxy-Method", ""), urllib.parse.urlsplit(path).path)


def _is_cbor(headers, path):
    return "/operation/" in path or any(k.lower() == "smithy-protocol" for k in headers)


def _cbor_text(value):
    data = value.encode()
    head = bytes([0x60 + len(data)]) if len(data) < 24 else bytes([0x78, len(data)])
    return head + data


def error_response(headers, body, code, message, status):
    """Body, content type and extra headers of an AWS error in the protocol the request used."""
    if _is_cbor(headers, ""):  # a two-entry CBOR map, as smithy-rpc-v2-cbor services answer errors
        payload = bytes([0xa2]) + _cbor_text("__type") + _cbor_text(code) + _cbor_text("message") + _cbor_text(message)
        return payload, "application/cbor", {"smithy-protocol": "rpc-v2-cbor"}
    if headers.get("X-Amz-Target") or "json" in headers.get("Content-Type", ""):
        payload = json.dumps({"__type": code, "message": message}).encode()
        return payload, "application/x-amz-json-1.1", {"x-amzn-ErrorType": code}
    if body and b"Action=" in body and b"Version=2016-11-15" in body:  # EC2's query dialect
        payload = ("<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors>"
                   "<RequestID>fault-proxy</RequestID></Response>" % (code, message)).encode()
        return payload, "text/xml", {}
    payload = ("<ErrorResponse><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>"
               "<RequestId>fault-proxy</RequestId></ErrorResponse>"
               % ("Receiver" if status >= 500 else "Sender", code, message)).encode()
    return payload, "text/xml", {"x-amzn-ErrorType": code}


class FaultProxy:
    """Run the proxy in a background thread: `with FaultProxy(target, plan) as proxy: proxy.endpoint`."""

    def __init__(self, target, plan=None, port=0, after_forward=None, rewrite=None):
        self.target = urllib.parse.urlsplit(target)
        self.plan = plan or FaultPlan()
        # after_forward((service, operation)) -> True drops the emulator's answer: the call took effect unseen.
        self.after_forward = after_forward
        # rewrite((service, operation), body) -> body replaces a successful answer: AWS answering what the emulator
        # cannot (an ECS deployment whose tasks fail, say).
        self.rewrite = rewrite
        self.calls = collections.Counter()
        self.faults = collections.Counter()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        self.endpoint = "http://127.0.0.1:%d" % self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def reset_counts(self):
        with self._lock:
            self.calls.clear()
            self.faults.clear()

    def _record(self, operation, fault):
        with self._lock:
            self.calls[operation] += 1
            if fault:
                self.faults[fault] += 1

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # the emulator logs requests already
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = dict(self.headers)
                headers["X-Proxy-Method"] = self.command
                fault, pause = proxy.plan.draw(self.path)
                operation = operation_of(headers, self.path, body)
                if not self.path.startswith(proxy.plan.exempt):
                    proxy._record(operation, fault)
                if fault == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault in ("throttle", "error"):
                    status, code, message = ((400, "ThrottlingException" if headers.get("X-Amz-Target") else "Throttling", "Rate exceeded")
                                             if fault == "throttle" else (503, "ServiceUnavailable", "Service is unavailable"))
                    if fault == "throttle" and b"Version=2016-11-15" in body:
                        status, code = 503, "RequestLimitExceeded"  # how EC2 throttles
                    payload, ctype, extra = error_response(headers, body, code, message, status)
                    self.send_response(status)
                    for key, value in dict(extra, **{"Content-Type": ctype, "Content-Length": str(len(payload))}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if fault == "delay":
                    time.sleep(pause)
                self._forward(body, operation)

            def _forward(self, body, operation):
                conn = http.client.HTTPConnection(proxy.target.hostname, proxy.target.port, timeout=300)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    response = conn.getresponse()
                    payload = response.read()
                finally:
                    conn.close()
                if proxy.after_forward and proxy.after_forward(operation):
                    self.close_connection = True
                    self.connection.close()
                    return
                if proxy.rewrite and response.status == 200:
                    payload = proxy.rewrite(operation, payload)
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

        return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", required=True)
    parser.add_argument("--port", type=int, default=0)
    for name in ("throttle", "error", "drop", "delay"):
        parser.add_argument("--" + name, type=float, default=0.0, help="share of calls (0-1)")
    parser.add_argument("--seed", type=int)
    args = parser.parse_args()
    plan = FaultPlan(args.throttle, args.error, args.drop, args.delay, seed=args.seed)
    with FaultProxy(args.target, plan, args.port) as proxy:
        print("fault proxy on %s → %s" % (proxy.endpoint, args.target), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print(json.dumps({" ".join(k): v for k, v in proxy.calls.items()}, indent=1))


if __name__ == "__main__":
    main()
