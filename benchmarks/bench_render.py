"""Render benchmark:  .venv/bin/python benchmarks/bench_render.py [--renders 200] [--json]

Per map — the three examples and a big map (8 stages × 3 personas × four 300-character items
in every lane) — as issue 12 asks:
- floor: an empty figure of the same size and dpi through the same PNG path (canvas, RGB,
  zlib level 1): what any picture of that size costs;
- warm full: median render of the map at full resolution in a warm process, as a ratio to the
  floor (budget ≤ 2.5×);
- bot job: the photo(s) and the full-resolution PNG the bot sends (render_pictures, Telegram's
  photo limits), as a ratio to one full render (budget ≤ 1.3×).
Then, for the 6-stage map below:
- warm: median of 20 renders of a 6-stage, 7-lane, 3-persona map in a process that has
  rendered before, as a ratio to the floor;
- cold: the first render in a fresh process, plus what importing costs there;
- the event loop's worst lag while four renders run in the pool (budget: < 10 ms);
- a worker's peak RSS after N renders.

Run it with another interpreter (e.g. a scratch venv with another matplotlib) to compare:
the script puts the repository on sys.path itself.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from flows.model import JourneyMap  # noqa: E402
from flows.spec import MapType, lanes_for  # noqa: E402
from renderers import theme  # noqa: E402
from renderers.examples import (  # noqa: E402
    example_paths,
    load_example,
    stress_map,
)
from renderers.image import (  # noqa: E402
    MapDrawing,
    draw_map,
    full_dpi,
    png_bytes,
    preview_dpi,
    render_pictures,
)
from renderers.layout import Layout, build_layout  # noqa: E402
from renderers.pictures import PhotoLimits  # noqa: E402
from renderers.pool import RenderPool  # noqa: E402

# Telegram's photo limits, as the bot passes them (bot/telegram_limits.py; the benchmark does
# not import the bot).
PHOTO = PhotoLimits(max_side_sum=10_000, max_ratio=20.0, max_bytes=10 * 1024 * 1024, long_side=2560)
FULL_BUDGET, JOB_BUDGET = 2.5, 1.3

RUNS = 20


def bench_map() -> JourneyMap:
    """6 stages × 7 lanes × 3 personas, three 80-character items in every list lane and three
    raters per persona: a little more text than a real interview leaves."""
    journey_map = stress_map(stages=6, personas=3, chars=80, items=3, map_type=MapType.CURRENT)
    assert len(lanes_for(journey_map.map_type)) == 7
    return journey_map


def median_seconds(action, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def floor(
    width_pt: float, height_pt: float, dpi: float, *, own_encoder: bool = False, runs: int = RUNS
) -> float:
    """savefig of an empty figure; with `own_encoder`, the same figure through the renderer's
    PNG path instead (RGB, zlib level 1), to show how much of the ratio that path buys."""

    def empty() -> None:
        figure = Figure(figsize=(width_pt / 72, height_pt / 72))
        FigureCanvasAgg(figure)
        if own_encoder:
            png_bytes(MapDrawing(figure, Layout(width_pt, height_pt, None, [])), dpi)
        else:
            figure.savefig(io.BytesIO(), format="png", dpi=dpi, facecolor="white")

    empty()
    return median_seconds(empty, runs)


def big_map() -> JourneyMap:
    """8 stages × 3 personas × long texts: four 300-character items in every lane."""
    return stress_map(stages=8, personas=3, chars=300, items=4, map_type=MapType.CURRENT)


def per_map(runs: int) -> dict[str, dict[str, float]]:
    """Floor, warm full render and the bot's job for each example and the big map."""
    maps = {path.stem: load_example(path.stem) for path in example_paths()}
    maps["big (8×3, long texts)"] = big_map()
    out = {}
    for name, journey_map in maps.items():
        layout = build_layout(journey_map, journey_map.language)
        dpi = full_dpi(layout)

        def full(journey_map=journey_map, dpi=dpi) -> None:
            png_bytes(draw_map(journey_map, text="raster"), dpi)

        def job(journey_map=journey_map) -> None:
            render_pictures(journey_map, limits=PHOTO)

        def empty(layout=layout, dpi=dpi) -> None:
            figure = Figure(figsize=(layout.width / 72, layout.height / 72))
            FigureCanvasAgg(figure)
            png_bytes(MapDrawing(figure, Layout(layout.width, layout.height, None, [])), dpi)

        # Interleaved rounds (floor, full, job, floor, …): load from other processes on the
        # machine then weighs on the three alike, and the ratios stay honest.
        times: dict[str, list[float]] = {"floor_s": [], "full_s": [], "job_s": []}
        for action in (empty, full, job):
            action()
        for _ in range(runs):
            for key, action in (("floor_s", empty), ("full_s", full), ("job_s", job)):
                started = time.perf_counter()
                action()
                times[key].append(time.perf_counter() - started)
        row = {
            "width_px": round(layout.width / 72 * dpi),
            "height_px": round(layout.height / 72 * dpi),
            "dpi": dpi,
            **{key: statistics.median(values) for key, values in times.items()},
            "photos": len(render_pictures(journey_map, limits=PHOTO).photos),
        }
        row["full_ratio"] = row["full_s"] / row["floor_s"]
        row["job_ratio"] = row["job_s"] / row["full_s"]
        out[name] = row
    return out


def warm(journey_map: JourneyMap, dpi_of) -> float:
    def render() -> None:
        drawing = draw_map(journey_map, text="raster")
        png_bytes(drawing, dpi_of(drawing.layout))

    render()
    render()
    return median_seconds(render)


COLD = """
import sys, time
sys.path.insert(0, {root!r})
started = time.perf_counter()
from flows.model import JourneyMap
from renderers.image import render_png
imported = time.perf_counter()
render_png(JourneyMap.from_json(sys.stdin.read(), limits=None))
done = time.perf_counter()
print(imported - started, done - imported)
"""


def cold(journey_map: JourneyMap) -> tuple[float, float, float]:
    """(import, first render, whole process) in seconds, median of 3 fresh processes."""
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", COLD.format(root=str(ROOT))],
            input=journey_map.to_json(),
            capture_output=True,
            text=True,
            check=True,
        )
        whole = time.perf_counter() - started
        imported, rendered = (float(x) for x in result.stdout.split())
        runs.append((imported, rendered, whole))
    return tuple(statistics.median(r[k] for r in runs) for k in range(3))


async def worst_lag(stop: asyncio.Event, period: float = 0.001) -> tuple[float, list[float]]:
    lags = []
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(period)
        lags.append(time.perf_counter() - started - period)
    return max(lags), lags


async def idle_lag(seconds: float) -> float:
    """The worst lag with nothing running: this machine's own scheduling noise."""
    stop = asyncio.Event()
    ticker = asyncio.create_task(worst_lag(stop))
    await asyncio.sleep(seconds)
    stop.set()
    return (await ticker)[0]


async def loop_lag(journey_map: JourneyMap, rounds: int = 5) -> tuple[float, float, float]:
    """(worst lag, 99th percentile, seconds for four renders) over `rounds` rounds."""
    worst, every, spent = 0.0, [], []
    async with RenderPool(workers=2) as pool:
        for _ in range(rounds):
            stop = asyncio.Event()
            ticker = asyncio.create_task(worst_lag(stop))
            started = time.perf_counter()
            await asyncio.gather(*(pool.render(journey_map, "png") for _ in range(4)))
            spent.append(time.perf_counter() - started)
            stop.set()
            lag, lags = await ticker
            worst, every = max(worst, lag), every + lags
    every.sort()
    return worst, every[int(len(every) * 0.99)], statistics.median(spent)


async def worker_rss(journey_map: JourneyMap, renders: int) -> tuple[int, int]:
    """A worker's peak RSS in KiB after one render and after `renders`."""
    async with RenderPool(workers=1, max_tasks_per_child=None, timeout=600) as pool:
        text = journey_map.to_json()
        await pool.render(text, "png")
        first = await pool.call("peak_rss_kib")
        for _ in range(renders - 1):
            await pool.render(text, "png")
        return first, await pool.call("peak_rss_kib")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--renders", type=int, default=200, help="renders before reading RSS (0: skip)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--runs", type=int, default=RUNS, help="timed runs per figure")
    parser.add_argument(
        "--maps-only", action="store_true", help="only the per-map figures of issue 12"
    )
    args = parser.parse_args()

    print(f"matplotlib {matplotlib.__version__}, Python {sys.version.split()[0]}")
    maps = per_map(args.runs)
    print(
        f"{'map':24} {'pixels':>12} {'floor':>8} {'full':>8} {'×floor':>7} {'job':>8} {'×full':>6}"
    )
    for name, row in maps.items():
        size = f"{row['width_px']}×{row['height_px']}"
        print(
            f"{name:24} {size:>12} {row['floor_s'] * 1000:6.0f}ms {row['full_s'] * 1000:6.0f}ms "
            f"{row['full_ratio']:6.2f}× {row['job_s'] * 1000:6.0f}ms {row['job_ratio']:5.2f}×"
            f"  ({row['photos']} photo{'s' if row['photos'] > 1 else ''})"
        )
    within = all(
        r["full_ratio"] <= FULL_BUDGET and r["job_ratio"] <= JOB_BUDGET for r in maps.values()
    )
    print(f"budgets: full ≤ {FULL_BUDGET}× floor, job ≤ {JOB_BUDGET}× full; all within: {within}")
    if args.maps_only:
        if args.json:
            print(json.dumps({"matplotlib": matplotlib.__version__, "maps": maps}, indent=2))
        return

    journey_map = bench_map()
    layout = build_layout(journey_map, journey_map.language)
    full_dpi, phone_dpi = theme.FULL_DPI, preview_dpi(layout)
    size = (layout.width, layout.height)
    out: dict[str, object] = {
        "matplotlib": matplotlib.__version__,
        "python": sys.version.split()[0],
        "maps": maps,
    }
    out["size_px_full"] = [round(v / 72 * full_dpi) for v in size]
    out["size_px_preview"] = [round(v / 72 * phone_dpi) for v in size]

    # The pool first, while this process is as a bot's would be: no figures drawn here yet,
    # whose garbage a collection pass would have to walk while the loop is being timed.
    lag, p99, four = asyncio.run(loop_lag(journey_map))
    out.update(loop_worst_lag_ms=lag * 1000, loop_p99_lag_ms=p99 * 1000, four_renders_s=four)
    out["idle_worst_lag_ms"] = asyncio.run(idle_lag(four * 5)) * 1000
    if args.renders:
        rss_first, rss_after = asyncio.run(worker_rss(journey_map, args.renders))
        out.update(worker_rss_first_mib=rss_first / 1024, worker_rss_after_mib=rss_after / 1024)
        out["renders_for_rss"] = args.renders
    out["floor_full_s"] = floor(*size, full_dpi)
    out["floor_full_own_encoder_s"] = floor(*size, full_dpi, own_encoder=True)
    out["warm_full_s"] = warm(journey_map, lambda _: full_dpi)
    out["floor_preview_s"] = floor(*size, phone_dpi)
    out["warm_preview_s"] = warm(journey_map, preview_dpi)
    imported, first, whole = cold(journey_map)
    out.update(cold_import_s=imported, cold_render_full_s=first, cold_process_s=whole)

    ratio = lambda a, b: out[a] / out[b]  # noqa: E731
    print(f"map: 6 stages × 7 lanes × 3 personas; full {out['size_px_full']} px at {full_dpi} dpi,")
    print(f"     preview {out['size_px_preview']} px at {phone_dpi} dpi")
    print(
        f"floor, full     {out['floor_full_s'] * 1000:8.1f} ms  (empty figure, same size and dpi)"
    )
    print(
        f"warm, full      {out['warm_full_s'] * 1000:8.1f} ms  "
        f"{ratio('warm_full_s', 'floor_full_s'):.2f}× floor"
    )
    print(
        f"  (the empty figure through the renderer's own PNG path: "
        f"{out['floor_full_own_encoder_s'] * 1000:.1f} ms; warm is "
        f"{ratio('warm_full_s', 'floor_full_own_encoder_s'):.2f}× that)"
    )
    print(f"floor, preview  {out['floor_preview_s'] * 1000:8.1f} ms")
    print(
        f"warm, preview   {out['warm_preview_s'] * 1000:8.1f} ms  "
        f"{ratio('warm_preview_s', 'floor_preview_s'):.2f}× floor"
    )
    print(
        f"cold, full      {out['cold_render_full_s'] * 1000:8.1f} ms  "
        f"{ratio('cold_render_full_s', 'floor_full_s'):.2f}× floor; imports "
        f"{out['cold_import_s'] * 1000:.0f} ms, whole process {out['cold_process_s'] * 1000:.0f} ms"
    )
    print(
        f"event loop, 4 renders in the pool (5 rounds): worst lag {out['loop_worst_lag_ms']:.2f} "
        f"ms, p99 {out['loop_p99_lag_ms']:.2f} ms (budget 10 ms); 4 renders took "
        f"{out['four_renders_s']:.2f} s on 2 workers"
    )
    print(f"event loop, nothing running: worst lag {out['idle_worst_lag_ms']:.2f} ms (the machine)")
    if args.renders:
        print(
            f"worker peak RSS: {out['worker_rss_first_mib']:.0f} MiB after 1 render, "
            f"{out['worker_rss_after_mib']:.0f} MiB after {args.renders}"
        )
    if args.json:
        print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
