"""A small local FHIR server for the export tests, following the REST protocol's parts the export uses:
``GET [base]/metadata`` and ``POST [base]`` with a transaction Bundle (conditional create by
``ifNoneExist``, ``urn:uuid`` references rewritten to the ids it assigns, a transaction-response Bundle).
Requests must carry ``application/fhir+json`` and, when a password is set, HTTP Basic credentials."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fhir.resources.R4B.bundle import Bundle


class FakeFhirServer:
    def __init__(self, username: str = "ehr", password: str = "ehr-password") -> None:
        self.username, self.password = username, password
        self.resources: dict[str, dict[str, dict[str, Any]]] = {}  # type -> id -> resource
        self.requests: list[tuple[str, str]] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/fhir"

    def start(self) -> FakeFhirServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                expected = base64.b64encode(f"{fake.username}:{fake.password}".encode()).decode()
                if self.headers.get("Authorization") != f"Basic {expected}":
                    self._send(401, _outcome("security", "Authentication required"))
                    return False
                return True

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                fake.requests.append(("GET", self.path))
                if not self._authorised():
                    return
                if self.path == "/fhir/metadata":
                    self._send(200, {"resourceType": "CapabilityStatement", "status": "active", "kind": "instance",
                                     "fhirVersion": "4.0.1", "format": ["json"]})
                else:
                    self._send(404, _outcome("not-found", self.path))

            def do_POST(self) -> None:  # noqa: N802
                fake.requests.append(("POST", self.path))
                if not self._authorised():
                    return
                if self.path != "/fhir" or not self.headers.get("Content-Type", "").startswith("application/fhir+json"):
                    self._send(415 if self.path == "/fhir" else 404, _outcome("not-supported", "bad request"))
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    bundle = Bundle.model_validate_json(body)
                except ValueError as exc:
                    self._send(400, _outcome("structure", str(exc)[:300]))
                    return
                if bundle.type != "transaction":
                    self._send(400, _outcome("invalid", "expected a transaction bundle"))
                    return
                self._send(200, fake.transaction(json.loads(body)))

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def transaction(self, bundle: dict[str, Any]) -> dict[str, Any]:
        ids: dict[str, str] = {}
        answers = []
        for entry in bundle["entry"]:
            resource, request = entry["resource"], entry["request"]
            kind = resource["resourceType"]
            existing = self._match(kind, request.get("ifNoneExist", ""))
            if existing is not None:
                ids[entry["fullUrl"]] = f"{kind}/{existing}"
                answers.append({"response": {"status": "200 OK", "location": f"{kind}/{existing}/_history/1"}})
                continue
            new_id = str(sum(len(v) for v in self.resources.values()) + 1)
            ids[entry["fullUrl"]] = f"{kind}/{new_id}"
            answers.append({"response": {"status": "201 Created", "location": f"{kind}/{new_id}/_history/1"}})
        for entry in bundle["entry"]:
            kind, rid = ids[entry["fullUrl"]].split("/")
            if rid in self.resources.get(kind, {}):
                continue
            text = json.dumps(entry["resource"])
            for urn, target in ids.items():
                text = text.replace(f'"{urn}"', f'"{target}"')
            resource = json.loads(text)
            resource["id"] = rid
            self.resources.setdefault(kind, {})[rid] = resource
        return {"resourceType": "Bundle", "type": "transaction-response", "entry": answers}

    def _match(self, kind: str, condition: str) -> str | None:
        if not condition.startswith("identifier="):
            return None
        system, _, value = condition.removeprefix("identifier=").partition("|")
        for rid, resource in self.resources.get(kind, {}).items():
            if any(i.get("system") == system and i.get("value") == value for i in resource.get("identifier", [])):
                return rid
        return None


def _outcome(code: str, text: str) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code, "diagnostics": text}]}
