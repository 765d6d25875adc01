"""Wall time of `archgen new --no-verify` per blueprint and framework, beside a bare Copier
copy of the same layers, in the same run. Target: under 1.5 s per project on this machine.

Both sides are measured as fresh processes (what a user or CI pays, start-up included),
best and median of a few runs:

    python benchmarks/render.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from archgen import generate
from archgen.render.context import build_context
from archgen.render.layers import layers_for
from archgen.resources import blueprints_dir
from archgen.spec import load_spec
from archgen.spec.models import Framework

TARGET_SECONDS = 1.5

# A bare copy: Copier's own API over the same layers and context, no unasync, no ruff.
BARE_COPY = """
import json, sys
from copier import run_copy
context = json.loads(sys.argv[1])
for layer in sys.argv[3:]:
    run_copy(layer, sys.argv[2], data={"ctx": context}, defaults=True, overwrite=True,
             quiet=True, unsafe=False, skip_tasks=True)
"""


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def in_process(blueprint: Path, framework: str, runs: int) -> float:
    """Best time of ``archgen.generate`` in this (warm) process: the render alone."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        generate(blueprint, framework=framework)
        times.append(time.perf_counter() - started)
    return min(times)


def measure(blueprint: Path, framework: str, runs: int) -> tuple[list[float], list[float]]:
    spec = load_spec(blueprint)
    context = build_context(spec, Framework(framework))
    data = json.dumps(context.to_template_data())
    layers = [str(layer.path) for layer in layers_for(context.flavour)]
    archgen_times, copier_times = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "a"
            archgen_times.append(
                timed(
                    [
                        sys.executable,
                        "-m",
                        "archgen",
                        "new",
                        "--spec",
                        str(blueprint),
                        "--framework",
                        framework,
                        "--out",
                        str(out),
                        "--no-verify",
                    ]
                )
            )
            copier_times.append(
                timed([sys.executable, "-c", BARE_COPY, data, str(Path(tmp) / "b"), *layers])
            )
    return archgen_times, copier_times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(
        f"{'blueprint':<24}{'archgen new (s)':>18}{'bare copier (s)':>18}{'overhead':>10}"
        f"{'generate() (s)':>16}"
    )
    print(f"{'':<24}{'best / median':>18}{'best / median':>18}{'':>10}{'warm, best':>16}")
    worst = 0.0
    for blueprint in sorted(blueprints_dir().glob("*.yaml")):
        for framework in ("fastapi", "flask"):
            ours, bare = measure(blueprint, framework, args.runs)
            worst = max(worst, statistics.median(ours))
            print(
                f"{blueprint.stem + ' ' + framework:<24}"
                f"{min(ours):>8.3f} / {statistics.median(ours):<7.3f}"
                f"{min(bare):>9.3f} / {statistics.median(bare):<7.3f}"
                f"{statistics.median(ours) - statistics.median(bare):>+9.3f}"
                f"{in_process(blueprint, framework, args.runs):>16.3f}"
            )
    verdict = "meets" if worst < TARGET_SECONDS else "MISSES"
    print(f"slowest median {worst:.3f} s: {verdict} the {TARGET_SECONDS} s target")
    load = os.getloadavg()[0]
    print(f"(load average {load:.1f} on {os.cpu_count()} CPUs: wall times grow with it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
