"""Helpers for the report tests: a SYNTHETIC run directory written with RunWriter, and
headless chromium runs (no network, own profile).

The synthetic run has three executors recorded on every task (``single:<executor>`` rows),
one live strategy with its own classifier calls, a nonzero local hourly rate, and model
answers, task texts and a category name that carry hostile HTML, so the report's escaping is
tested on text that really reaches it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np

from toolkit.runs import CallRecord, Manifest, ResultRecord, RunWriter

#: The title of the synthetic run's report; a hostile script that ran would change it.
TITLE = "Cost report: synthetic-report-fixture"

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--virtual-time-budget=3000",
)


def _run(chromium: str, args: list[str], profile: Path) -> str:
    profile.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [chromium, *_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(f"chromium exited {proc.returncode}: {proc.stderr[-2000:]}")
    return proc.stdout


def render_dom(chromium: str, page: Path, profile: Path) -> str:
    """The DOM of ``page`` after load (scripts, had any run, have run by then)."""
    dom = _run(chromium, ["--dump-dom", page.resolve().as_uri()], profile)
    if "<html" not in dom:
        raise AssertionError(f"chromium dumped no DOM for {page}")
    return dom


def render_png(chromium: str, page: Path, profile: Path, out: Path, height: int = 4000) -> Path:
    """A 1280x``height`` screenshot of ``page``."""
    _run(
        chromium,
        [f"--screenshot={out}", f"--window-size=1280,{height}", page.resolve().as_uri()],
        profile,
    )
    if not out.is_file():
        raise AssertionError(f"chromium wrote no screenshot of {page}")
    return out


#: Hostile strings placed in answers, task texts and a category name. If any of them ran,
#: the page title would change to a PWNED marker or an element with id "pwned" would appear.
HOSTILE = (
    "<script>document.title='PWNED-script'</script>",
    "<img src=x onerror=\"document.title='PWNED-onerror'\">",
    "<a href=\"javascript:document.title='PWNED-link'\">click me</a>",
    "</style><script>document.title='PWNED-style'</script><style>",
    "<svg onload=\"document.title='PWNED-svg'\"><div id=pwned>x</div></svg>",
    "<iframe src=\"javascript:parent.document.title='PWNED-iframe'\"></iframe>",
    ']]><!-- --><meta http-equiv=refresh content="0;url=javascript:1">',
    "| table | break | [md link](javascript:alert(1)) ![x](http://example.invalid/x.png)",
)
HOSTILE_CATEGORY = "x</td><script>document.title='PWNED-cat'</script>"

CATEGORIES = ("math", "sentiment", HOSTILE_CATEGORY)
EXECUTORS = ("tiny", "mid", "calc")
HOURLY_RATE = 0.0376  # synthetic: what a small 2-vCPU cloud machine might cost per hour


def _words(category: str, rng: np.random.Generator) -> str:
    vocab = {
        "math": ["add", "sum", "multiply", "number", "plus", "total"],
        "sentiment": ["movie", "great", "awful", "review", "loved", "boring"],
        HOSTILE_CATEGORY: ["email", "date", "amount", "invoice", "extract", "field"],
    }[category]
    return " ".join(rng.choice(vocab, size=6))


def write_synthetic_run(
    root: Path, *, n_tasks: int = 60, seed: int = 7, hostile: bool = True
) -> Path:
    """Write a SYNTHETIC run directory (and its task file) under ``root``; returns the run."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    task_file = root / "synthetic_tasks.jsonl"
    run = root / "run"
    tasks = []
    for i in range(n_tasks):
        cat = CATEGORIES[i % len(CATEGORIES)]
        text = f"synthetic task {i}: {_words(cat, rng)}"
        if hostile and i % 2 == 0:
            text += " " + HOSTILE[i % len(HOSTILE)]
        split = "train" if i % 2 == 0 else "test"
        tasks.append(
            {"id": f"t{i:03d}", "input": text, "category": cat, "split": split, "target": "x"}
        )
    task_file.write_text("".join(json.dumps(t) + "\n" for t in tasks), encoding="utf-8")
    spec = {
        "name": "synthetic-report-fixture",
        "description": "SYNTHETIC run for the report tests",
        "tasks": {"paths": [str(task_file)]},
        "local": {"hourly_rate_usd": HOURLY_RATE},
        "executors": [
            {"name": "tiny", "kind": "local", "model": "gemma-3-270m"},
            {"name": "mid", "kind": "litellm", "model": "gpt-4o-mini"},
            {"name": "calc", "kind": "tool", "tool": "arithmetic"},
        ],
        "strategies": [{"kind": "single"}, {"kind": "classify_then_route"}],
    }
    manifest = Manifest(
        name="synthetic-report-fixture",
        spec=spec,
        status="running",
        local_hourly_rate_usd=HOURLY_RATE,
        executor_hourly_rates_usd={"tiny": HOURLY_RATE},
    )
    writer = RunWriter.create(run, manifest)
    quality = {  # synthetic success rates per executor and category
        "tiny": {"math": 0.3, "sentiment": 0.6, HOSTILE_CATEGORY: 0.4},
        "mid": {"math": 0.7, "sentiment": 0.9, HOSTILE_CATEGORY: 0.85},
        "calc": {"math": 0.95, "sentiment": 0.0, HOSTILE_CATEGORY: 0.0},
    }
    models = {"tiny": "local/gemma-3-270m", "mid": "gpt-4o-mini", "calc": "tool/arithmetic"}
    per_token = {"tiny": (0.0, 0.0), "mid": (0.15, 0.60), "calc": (0.0, 0.0)}
    for k, t in enumerate(tasks):
        cat = t["category"]
        answer = f"answer to {t['id']}"
        if hostile:
            answer += " " + HOSTILE[k % len(HOSTILE)]
        outcomes = {}
        for e in EXECUTORS:
            ok = rng.random() < quality[e][cat]
            tin, tout = int(rng.integers(40, 400)), int(rng.integers(2, 40))
            latency = float(rng.uniform(0.05, 0.4) if e != "mid" else rng.uniform(0.4, 1.5))
            if e == "tiny":
                cost = latency * HOURLY_RATE / 3600
            else:
                pin, pout = per_token[e]
                cost = (tin * pin + tout * pout) / 1e6
            outcomes[e] = (ok, tin, tout, latency, cost)
            writer.add_call(
                CallRecord(
                    task_id=t["id"],
                    strategy=f"single:{e}",
                    executor=e,
                    model=models[e],
                    tokens_in=tin,
                    tokens_out=tout,
                    cost_usd=cost,
                    service_s=latency,
                    latency_s=latency,
                    text=answer,
                )
            )
            writer.add_result(
                ResultRecord(
                    task_id=t["id"],
                    strategy=f"single:{e}",
                    category=cat,
                    split=t["split"],
                    answer=answer,
                    score=1.0 if ok else 0.0,
                    cost_usd=cost,
                    latency_s=latency,
                    tokens_in=tin,
                    tokens_out=tout,
                    n_calls=1,
                    route=[e],
                    executors_called=[e],
                )
            )
        # Live classify-then-route: a classifier call on tiny, then calc for math, else mid.
        target = "calc" if cat == "math" else "mid"
        c_tin, c_tout = 60, 3
        c_lat = float(rng.uniform(0.05, 0.2))
        c_cost = c_lat * HOURLY_RATE / 3600
        writer.add_call(
            CallRecord(
                task_id=t["id"],
                strategy="classify_then_route",
                step="classify",
                executor="tiny",
                model=models["tiny"],
                tokens_in=c_tin,
                tokens_out=c_tout,
                cost_usd=c_cost,
                service_s=c_lat,
                latency_s=c_lat,
                text=cat,
            )
        )
        ok, tin, tout, lat, cost = outcomes[target]
        writer.add_call(
            CallRecord(
                task_id=t["id"],
                strategy="classify_then_route",
                step="answer",
                executor=target,
                model=models[target],
                tokens_in=tin,
                tokens_out=tout,
                cost_usd=cost,
                service_s=lat,
                latency_s=lat,
                text=answer,
            )
        )
        writer.add_result(
            ResultRecord(
                task_id=t["id"],
                strategy="classify_then_route",
                category=cat,
                split=t["split"],
                answer=answer,
                score=1.0 if ok else 0.0,
                cost_usd=cost + c_cost,
                latency_s=lat + c_lat,
                tokens_in=tin + c_tin,
                tokens_out=tout + c_tout,
                n_calls=2,
                route=[target],
                executors_called=["tiny", target],
            )
        )
    writer.finish("done")
    return run
