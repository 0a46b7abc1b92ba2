"""Where a benchmark ran: the processor, the operating system, Python and the versions of what was measured."""

from __future__ import annotations

import os
import platform
import sqlite3
import ssl
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

#: The packages whose versions the numbers depend on: just_workflow, its dependencies, its peers.
PACKAGES = (
    "just_workflow",
    "attrs",
    "cattrs",
    "PyYAML",
    "click",
    "sqlite-utils",
    "psycopg",
    "transitions",
    "python-statemachine",
)


def processor() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def operating_system() -> str:
    """The OS and kernel, with the distribution's name where /etc/os-release gives one."""
    kernel = f"{platform.system()} {platform.release()}"
    release = Path("/etc/os-release")
    if release.exists():
        for line in release.read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return f"{line.split('=', 1)[1].strip(chr(34))}, {kernel}"
    return kernel


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def description() -> list[str]:
    """Markdown list items: machine, OS, Python, package versions, and the SQLite and OpenSSL libraries."""
    return [
        f"- machine: {processor()}, {os.cpu_count()} cores ({platform.machine()})",
        f"- OS: {operating_system()}",
        f"- Python {platform.python_version()} ({platform.python_implementation()})",
        "- " + ", ".join(f"{package} {_version(package)}" for package in PACKAGES),
        f"- SQLite {sqlite3.sqlite_version}, {ssl.OPENSSL_VERSION}",
    ]
