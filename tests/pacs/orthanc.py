"""A real Orthanc PACS on localhost for the ``pacs`` tests: DIMSE, DICOMweb and a Modality Worklist.

Orthanc comes from the Debian packages ``orthanc`` (with its worklists plugin) and ``orthanc-dicomweb``,
which ``scripts/setup.sh dev`` installs. Each server gets its own folder, free ports and a config file;
``stop()`` kills it and ``start()`` brings it back on the same ports and storage (the queue tests kill
it mid-queue).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ORTHANC = shutil.which("Orthanc") or "/usr/sbin/Orthanc"
PLUGINS = Path("/usr/share/orthanc/plugins")
AE_TITLE = "TESTPACS"
USER, PASSWORD = "derm", "pacs-test-password"


def available() -> str:
    """Why Orthanc cannot run here ("" when it can)."""
    if not Path(ORTHANC).exists():
        return "Orthanc is not installed (scripts/setup.sh dev installs the Debian packages)"
    for plugin in ("libOrthancDicomWeb.so", "libModalityWorklists.so"):
        if not (PLUGINS / plugin).exists():
            return f"Orthanc plugin {plugin} is missing (Debian package orthanc-dicomweb / orthanc)"
    return ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Orthanc:
    folder: Path
    http_port: int = field(default_factory=free_port)
    dicom_port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def worklists(self) -> Path:
        return self.folder / "worklists"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def dicomweb_url(self) -> str:
        return f"{self.http_url}/dicom-web"

    def write_config(self) -> Path:
        self.worklists.mkdir(parents=True, exist_ok=True)
        config = {
            "Name": "DermStation test PACS",
            "StorageDirectory": str(self.folder / "storage"),
            "IndexDirectory": str(self.folder / "storage"),
            "HttpPort": self.http_port,
            "DicomPort": self.dicom_port,
            "DicomAet": AE_TITLE,
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": True,
            "RegisteredUsers": {USER: PASSWORD},
            "Plugins": [str(PLUGINS / "libOrthancDicomWeb.so"), str(PLUGINS / "libModalityWorklists.so")],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": False},
            "Worklists": {"Enable": True, "Database": str(self.worklists)},
            "DicomCheckCalledAet": True,
            "DicomAlwaysAllowEcho": True,
            "DicomAlwaysAllowStore": True,
            "DicomAlwaysAllowFind": True,
            "DicomAlwaysAllowFindWorklist": True,
            "DicomAlwaysAllowGet": True,
            "StorageCompression": False,
            "SaveJobs": False,
            "HttpDescribeErrors": True,
        }
        path = self.folder / "orthanc.json"
        path.write_text(json.dumps(config, indent=2))
        return path

    def start(self, timeout_s: float = 60.0) -> Orthanc:
        config = self.write_config()
        log = (self.folder / "orthanc.log").open("ab")
        self.process = subprocess.Popen([ORTHANC, str(config)], stdout=log, stderr=subprocess.STDOUT,
                                        cwd=self.folder)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Orthanc exited ({self.process.returncode}); see {self.folder / 'orthanc.log'}")
            try:
                if requests.get(f"{self.http_url}/system", auth=(USER, PASSWORD), timeout=1).ok \
                        and self._dicom_listening():
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"Orthanc did not start within {timeout_s} s; see {self.folder / 'orthanc.log'}")

    def _dicom_listening(self) -> bool:
        with socket.socket() as s:
            s.settimeout(0.5)
            return s.connect_ex(("127.0.0.1", self.dicom_port)) == 0

    def stop(self) -> None:
        """Kill the server at once (what a crash or a pulled cable looks like to the client)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self.process = None

    # --- REST helpers for assertions ------------------------------------------------------------------
    def rest(self, path: str) -> object:
        response = requests.get(f"{self.http_url}{path}", auth=(USER, PASSWORD), timeout=10)
        response.raise_for_status()
        return response.json()

    def instance_uids(self) -> set[str]:
        uids = set()
        for orthanc_id in self.rest("/instances"):  # type: ignore[union-attr]
            tags = self.rest(f"/instances/{orthanc_id}/simplified-tags")
            uids.add(tags["SOPInstanceUID"])  # type: ignore[index]
        return uids

    def upload(self, data: bytes) -> None:
        response = requests.post(f"{self.http_url}/instances", data=data, auth=(USER, PASSWORD), timeout=30)
        response.raise_for_status()
