"""How long ``import zarrc`` takes, next to ``import zarr`` (zarr-python).

    python benchmarks/import_time.py [-n RUNS] [--modules zarrc,zarr] [--top 12]

Each run is a fresh interpreter that times only the import statement (so
interpreter start-up is not counted); the median over the runs is reported,
then the ratio to the first module.  ``--top`` lists the slowest imports that
``import zarrc`` pulls in, from one ``python -X importtime`` run.  Run it from
outside the source tree (or with the package installed non-editable) so that
the installed package is what gets imported.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

PROBE = "import time; t = time.perf_counter(); import {mod}; print(time.perf_counter() - t)"


def import_seconds(module: str, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        res = subprocess.run(
            [sys.executable, "-c", PROBE.format(mod=module)],
            capture_output=True,
            text=True,
            check=True,
        )
        out.append(float(res.stdout.strip().splitlines()[-1]))
    return out


def heaviest(module: str, top: int) -> list[tuple[int, int, str]]:
    """(cumulative us, self us, name) of the slowest imports ``module`` triggers."""
    res = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in res.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_us, cum_us, name = line[len("import time:") :].split("|")
        depth = (len(name) - len(name.lstrip())) // 2
        if depth <= 2:  # the module, what it imports, and one level more
            rows.append((int(cum_us), int(self_us), name.rstrip()))
    rows.sort(reverse=True)
    return rows[:top]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--runs", type=int, default=15)
    ap.add_argument("--modules", default="zarrc,zarr")
    ap.add_argument("--top", type=int, default=12)
    args = ap.parse_args()
    modules = [m for m in args.modules.split(",") if m]
    medians: dict[str, float] = {}
    for mod in modules:
        try:
            times = import_seconds(mod, args.runs)
        except subprocess.CalledProcessError as err:
            print(f"{mod}: cannot be imported ({err.stderr.strip().splitlines()[-1]})")
            continue
        medians[mod] = statistics.median(times)
        print(
            f"import {mod}: median {medians[mod] * 1e3:.1f} ms over {args.runs} runs "
            f"(min {min(times) * 1e3:.1f} ms, max {max(times) * 1e3:.1f} ms)"
        )
    base = modules[0]
    if base in medians:
        for mod, t in medians.items():
            if mod != base:
                print(f"{mod} / {base}: {t / medians[base]:.2f}x")
    if args.top and base in medians:
        print(f"slowest imports under `import {base}` (cumulative / self, us):")
        for cum, own, name in heaviest(base, args.top):
            print(f"  {cum:>8} {own:>8}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
