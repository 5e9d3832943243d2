"""The machine and the versions a benchmark ran on, for the report's header."""

from __future__ import annotations

import os
import platform
import sqlite3
from importlib import metadata
from pathlib import Path

import psutil

PACKAGES = ("slack-bolt", "slack-sdk", "waitress", "Flask", "rapidfuzz", "sqlite-utils")


def cpu_model() -> str:
    """The CPU's model name (Linux), or what the platform module knows."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def os_name() -> str:
    """The operating system, e.g. ``Debian GNU/Linux 12 (bookworm), Linux 6.1``."""
    release = Path("/etc/os-release")
    pretty = ""
    if release.exists():
        for line in release.read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                pretty = line.split("=", 1)[1].strip().strip('"')
    kernel = f"{platform.system()} {platform.release()}"
    return f"{pretty}, {kernel}" if pretty else kernel


def describe() -> dict[str, str]:
    """Machine and versions as label -> value pairs."""
    memory = psutil.virtual_memory().total / 2**30
    facts = {
        "CPU": cpu_model(),
        "Cores": f"{os.cpu_count()} logical ({psutil.cpu_count(logical=False) or '?'} physical)",
        "RAM": f"{memory:.1f} GiB",
        "OS": os_name(),
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
    }
    for package in PACKAGES:
        try:
            facts[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            facts[package] = "not installed"
    return facts
