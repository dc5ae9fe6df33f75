"""Probes of processes the benchmark starts: wall time and peak memory of a fresh command, which
heavy libraries it imports, the web server's first answered request, and the machine itself.

    .venv/bin/python -m eval.bench.probes measure CMD [ARG ...]   # prints: seconds peak_rss_kb

`measure` is the small process that runs a measured command: a child forked straight from the big
benchmark process would start with its peak RSS (Linux keeps it across exec). So this module and
the packages above it import only the standard library (urllib.request lazily).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from eval import ROOT as PROJECT_ROOT
from eval.net import free_port

HEAVY = {"torch", "chromadb", "gradio", "transformers", "sentence_transformers", "llama_index"}


def measure(cmd: list[str]) -> int:
    """Run `cmd` to completion, print its wall seconds and its own peak RSS (KB, as Linux reports
    ru_maxrss), and return its exit code."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    print(time.perf_counter() - t, usage.ru_maxrss, flush=True)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
    return proc.returncode


def time_process(cmd: list[str], env: dict, timeout: float = 300) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a fresh process run to completion (through `measure`)."""
    try:
        proc = subprocess.run([sys.executable, "-m", "eval.bench.probes", "measure", *cmd], env=env, capture_output=True,
                              text=True, cwd=PROJECT_ROOT, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{' '.join(cmd[2:])} took over {timeout:.0f} s") from None
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[2:])} failed ({proc.returncode}): {proc.stderr[-500:]}")
    seconds, rss_kb = proc.stdout.split()
    return float(seconds), int(rss_kb) / 1024  # Linux reports KB


def heavy_imports(cmd: list[str], env: dict) -> list[str]:
    """Which of torch / chromadb / gradio / transformers a command imports (from -X importtime)."""
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[4:])} failed ({proc.returncode}): {proc.stderr[-500:]}")
    found = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:"):
            name = line.rsplit("|", 1)[-1].strip().split(".")[0]
            if name in HEAVY:
                found.add(name)
    return sorted(found)


def serve_once(env: dict, ask: list[str] = (), timeout: float = 180) -> tuple[float, float, str | None]:
    """Start `rag serve` on a free port: seconds until GET / answers 200, then (after answering
    `ask` through its /ask API) its peak RSS in MB, and an error message or None."""
    import urllib.request

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "rag", "serve", "--port", str(port)], env=env,
                            stdout=log, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT)
    try:
        seconds = None
        while seconds is None:
            if time.perf_counter() - t > timeout:
                return 0.0, 0.0, f"no answer within {timeout:.0f} s"
            if proc.poll() is not None:
                log.seek(0)
                return 0.0, 0.0, f"exited {proc.returncode}: {log.read().decode(errors='replace')[-300:]}"
            try:
                with urllib.request.urlopen(base + "/", timeout=5) as r:
                    if r.status == 200:
                        seconds = time.perf_counter() - t
            except OSError:
                time.sleep(0.05)
        for q in ask:
            answer = ask_api(base, q)
            if "answer" not in answer:
                return 0.0, 0.0, f"/ask did not answer: {answer}"
        return seconds, proc_memory_mb(proc.pid, "VmHWM") or 0.0, None
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def ask_api(base: str, question: str, timeout: float = 300) -> dict:
    """One question through the web UI's /ask endpoint (Gradio's call API: submit, then read events)."""
    import urllib.request

    req = urllib.request.Request(base + "/gradio_api/call/ask", data=json.dumps({"data": [question, None]}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        event = json.loads(r.read())["event_id"]
    result: dict = {"error": "no data"}
    with urllib.request.urlopen(f"{base}/gradio_api/call/ask/{event}", timeout=timeout) as r:
        kind = None
        for raw in r:
            line = raw.decode().strip()
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and kind in ("complete", "error"):
                data = json.loads(line.split(":", 1)[1]) if kind == "complete" else None
                result = data[0] if data else {"error": line}
                break
    return result


def proc_memory_mb(pid: int, field: str = "VmRSS") -> float | None:
    """A memory figure of a running process from /proc (VmRSS: resident now, VmHWM: peak), in MB;
    None once it has exited."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None


def loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def machine_info() -> dict:
    """The machine the numbers come from (shared cores make the load average part of the result)."""
    from importlib.metadata import PackageNotFoundError, version

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        kb = int(next(ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")).split()[1])
        mem = round(kb / 2**20, 1)
    except (OSError, StopIteration, ValueError):
        pass
    versions = {}
    for pkg in ("torch", "onnxruntime", "sentence-transformers", "chromadb", "llama-index-core"):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = None
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_gb": mem, "python": platform.python_version(),
            "platform": platform.platform(), "load_before": loadavg(), "versions": versions,
            "date": time.strftime("%Y-%m-%d %H:%M", time.localtime())}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.bench.probes", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="probe", required=True)
    m = sub.add_parser("measure", help="run CMD; print its wall seconds and peak RSS in KB; exit with its code")
    m.add_argument("cmd", nargs=argparse.REMAINDER, help="the command and its arguments")
    args = p.parse_args(argv)
    if not args.cmd:
        p.error("measure needs a command")
    return measure(args.cmd)


if __name__ == "__main__":
    raise SystemExit(main())
