"""Concurrent chat load against the running app (ui/app.py, extractive generator by default).

    python bench/bench_load.py [--clients 1,4,16] [--seconds 20] [--generator extractive|local|openai]
    python bench/bench_load.py --clients 50 --seconds 60     # reliability target

Starts the app as a subprocess on a free port, waits until it answers, then for each client
count runs that many threads, each with its own gradio_client session, asking questions from
eval/questions.jsonl (a new session every --turns questions) for --seconds. Reports
requests/s, p50/p95 latency, errors and the server's RSS before and after. The reliability
check (any level of 50+ clients): zero errors and RSS growth under 10%.
Prints a Markdown table and writes bench/results/load[-<clients>].json.
"""

from __future__ import annotations

import argparse
import collections
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import benchlib as bl


def server_rss_mb(pid: int) -> float:
    try:
        import psutil

        p = psutil.Process(pid)
        return sum(q.memory_info().rss for q in [p, *p.children(recursive=True)]) / 2**20
    except ImportError:
        return bl.rss_mb(pid)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen, timeout: float) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"bench_load: the app exited with code {proc.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return time.perf_counter() - t0
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"bench_load: the app did not answer at {url} within {timeout:.0f} s")


def chat_endpoint(client) -> str:  # type: ignore[no-untyped-def]
    api = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    for name, spec in api.items():
        if [p.get("parameter_name") for p in spec["parameters"]][:1] == ["message"]:
            return name
    raise SystemExit(f"bench_load: no chat endpoint (first parameter 'message') among {sorted(api)}")


def run_level(url: str, endpoint: str, n: int, seconds: float, questions: list[str], turns: int, seed: int) -> dict:
    from gradio_client import Client

    clients = [Client(url, verbose=False) for _ in range(n)]
    lat: list[float] = []
    errors: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()
    start = threading.Barrier(n + 1)
    stop_at = [0.0]

    def worker(i: int) -> None:
        rng = random.Random(seed + i)
        c = clients[i]
        start.wait()
        asked = 0
        while time.perf_counter() < stop_at[0]:
            if asked and asked % turns == 0:
                c.reset_session()
            q = rng.choice(questions)
            t0 = time.perf_counter()
            try:
                out = c.predict(q, api_name=endpoint)
                err = None if out and out[0] else "empty answer"
            except Exception as exc:  # every failure counts, by type and first words
                err = f"{type(exc).__name__}: {str(exc)[:80]}"
            ms = (time.perf_counter() - t0) * 1000
            asked += 1
            with lock:
                if err:
                    errors[err] += 1
                else:
                    lat.append(ms)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + seconds
    t0 = time.perf_counter()
    start.wait()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    for c in clients:
        try:
            c.close()
        except Exception:  # older clients have no close
            pass
    done = len(lat) + sum(errors.values())
    return {"clients": n, "seconds": round(wall, 1), "requests": done, "ok": len(lat),
            "rps": round(len(lat) / wall, 2), "p50_ms": round(bl.pct(lat, 50)) if lat else None,
            "p95_ms": round(bl.pct(lat, 95)) if lat else None, "errors": sum(errors.values()),
            "error_kinds": dict(errors.most_common(5))}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=bl.int_list(1, 500), default=[1, 4, 16], help="concurrent clients per level")
    ap.add_argument("--seconds", type=float, default=20.0, help="duration of each level")
    ap.add_argument("--generator", choices=["extractive", "local", "openai"], default="extractive",
                    help="the app's generator (local: the default GGUF, loaded by the warm-up question)")
    ap.add_argument("--turns", type=bl.positive_int, default=3, help="questions per chat session")
    ap.add_argument("--questions", type=Path, default=bl.ROOT / "eval" / "questions.jsonl")
    ap.add_argument("--startup-timeout", type=float, default=240.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if not 1 <= args.seconds <= 3600:
        ap.error(f"--seconds must be between 1 and 3600, got {args.seconds}")
    if not args.questions.is_file():
        ap.error(f"question file not found: {args.questions}")

    from rag.eval.evaluate import load_questions

    questions = [q.question for q in load_questions(args.questions)]
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = Path("/tmp") / f"policyqa-bench-load-{port}.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen([sys.executable, str(bl.ROOT / "ui" / "app.py"), "--port", str(port),
                                 "--generator", args.generator], cwd=bl.ROOT, stdout=fh, stderr=subprocess.STDOUT)
    try:
        ready_s = wait_ready(url, proc, args.startup_timeout)
        from gradio_client import Client

        warm = Client(url, verbose=False)
        endpoint = chat_endpoint(warm)
        warm.predict(questions[0], api_name=endpoint)
        rss_start = server_rss_mb(proc.pid)
        levels = []
        for n in args.clients:
            before = server_rss_mb(proc.pid)
            lvl = run_level(url, endpoint, n, args.seconds, questions, args.turns, args.seed)
            lvl["rss_before_mb"], lvl["rss_after_mb"] = round(before), round(server_rss_mb(proc.pid))
            lvl["rss_growth_pct"] = round(100 * (lvl["rss_after_mb"] / before - 1), 1)
            levels.append(lvl)
            print(f"done {n} clients: {lvl}", file=sys.stderr, flush=True)
        peak_rss = bl.rss_mb(proc.pid, "VmHWM")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    rel = [lv for lv in levels if lv["clients"] >= 50]
    for lv in rel:
        lv["reliability_pass"] = lv["errors"] == 0 and lv["rss_growth_pct"] < 10
    result = {"machine": bl.machine(), "command": bl.command(),
              "versions": bl.versions("gradio", "gradio_client", "torch", "faiss-cpu", "psutil"),
              "app": f"ui/app.py --port {port} --generator {args.generator}", "endpoint": endpoint,
              "ready_s": round(ready_s, 1), "rss_after_warmup_mb": round(rss_start),
              "server_peak_rss_mb": round(peak_rss), "turns_per_session": args.turns,
              "rss_source": "psutil (process + children)" if "not" not in bl.versions("psutil")["psutil"]
              else "/proc/PID/status VmRSS (server process)", "levels": levels, "server_log": str(log)}
    name = "load" + ("" if args.generator == "extractive" else f"-{args.generator}")
    name += ".json" if args.clients == [1, 4, 16] else f"-{'-'.join(map(str, args.clients))}.json"
    out = bl.write_result(name, result)
    m = result["machine"]
    print(f"machine: {m['cores']} cores, {m['cpu']}, {m['mem_gb']} GB; generator {args.generator}; "
          f"endpoint {endpoint}; app ready in "
          f"{ready_s:.1f} s; RSS after warm-up {rss_start:.0f} MB, server peak RSS {peak_rss:.0f} MB; command: {result['command']}")
    print("\n| clients | seconds | requests | ok | req/s | p50 (ms) | p95 (ms) | errors | RSS before (MB) | "
          "RSS after (MB) | RSS growth |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for lv in levels:
        print(f"| {lv['clients']} | {lv['seconds']} | {lv['requests']} | {lv['ok']} | {lv['rps']} | {lv['p50_ms']} | "
              f"{lv['p95_ms']} | {lv['errors']} | {lv['rss_before_mb']} | {lv['rss_after_mb']} | "
              f"{lv['rss_growth_pct']}% |")
    for lv in levels:
        if lv["error_kinds"]:
            print(f"\nerrors at {lv['clients']} clients: {lv['error_kinds']}")
    for lv in rel:
        print(f"\nreliability target ({lv['clients']} concurrent chats, zero errors, RSS growth < 10%): "
              f"{'PASS' if lv['reliability_pass'] else 'FAIL'}")
    print(f"\nwrote {out.relative_to(bl.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
