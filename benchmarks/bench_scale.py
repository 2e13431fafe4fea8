"""Register-scale benchmark: build stages, peak memory and a side-by-side linkage comparison.

Not a test.  Run from the repository root (2 cores; the 150,000-firm world takes minutes)::

    .venv/bin/python benchmarks/bench_scale.py [--sizes 15000 150000] [--light 1500000]
        [--compare 150000] [--work /tmp/channelstudy-bench-scale] [--skip-splink] [--naive-limit 300]

1. **Builds.**  For each size, simulate the world once (cached under ``--work``), then run
   ``channelstudy.build.build`` in a child process, timing each stage by wrapping the build
   module's functions (prepare = read, decode and per-kind cleaning, in two worker processes
   from 8 MiB of input, with the name/VAT/geo cleaning of each source in the main process as
   soon as a worker hands it over; link; resolve; report; write; ``other`` is the rest: schema
   validation, dedupe, joins, sorts).
   ``cpu_seconds`` is the CPU time of the child and of its worker processes (a shared machine
   stretches wall times, less so CPU time).  ``peak_mb`` is the larger of the child's peak RSS
   (``ru_maxrss``) and the peak, sampled every 0.1 s, of the proportional set size (PSS: shared
   pages split between processes) of the child and its workers together.  Links are scored against the planted
   truth (pairwise precision/recall/F1).  Every child is watched and killed above
   ``--max-rss-gb`` (12 GB; the machine is shared), which the table then says.
2. **Light worlds** (``--light``, task ``build_light``): ``channelstudy simulate --light`` writes
   only the two directories and the rosters, as CSV (:mod:`channelstudy.simulate.light`), so a
   1,500,000-firm world can be simulated (task ``simulate_light``) and built on this machine.
   ``--tiled`` (off by default) still times ``link_records`` alone on ``k`` disjoint copies of the
   largest built world's linker input (own VATs, ids and a copy word in names).
3. **Comparison** (``--compare``): on the directory and roster records of that world, our
   linker (in memory, and through DuckDB part by part: ``channelstudy_duckdb``) vs splink (DuckDB backend) vs a naive row-wise linker (records in order; a VAT seen
   before joins its firm, else ``rapidfuzz.process.extractOne`` against the names of the firms
   already in the province).  Time and pairwise precision/recall/F1 against the truth.  The
   naive linker stops after ``--naive-limit`` seconds; it is then scored on the records it
   reached and its row's ``note`` says so (its time is a lower bound).

Writes ``reports/tables/benchmarks.csv`` (one row per measurement) and prints it.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT_CSV = ROOT / "reports" / "tables" / "benchmarks.csv"
COMPARE_SOURCES = ("analyst_a", "analyst_b", "vendor_rosters")
STAGES = {  # stage -> functions of the build module (looked up by name at call time)
    "prepare": ("prepare_all",),
    "link": ("link_identities",),
    "resolve": ("resolve_firms",),
    "report": ("build_report",),
    "write": ("write_outputs",),
}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------------------------------------
# Children (one measurement per process, so that ru_maxrss is that measurement's peak)
# ---------------------------------------------------------------------------------------------


def child_build(raw: str, out: str, dump: str | None) -> dict:
    """Run one build with every stage timed; optionally dump the linker input (the writing of the dump is
    left out of the link stage and the total; the peak memory still includes it)."""
    import channelstudy.build as b
    import channelstudy.build.identity as identity
    import channelstudy.build.link as link_module

    times: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def timed(stage, fn):
        def wrapper(*args, **kwargs):
            start, start_cpu = time.perf_counter(), _cpu_with_children()
            try:
                return fn(*args, **kwargs)
            finally:
                times[stage] = times.get(stage, 0.0) + time.perf_counter() - start
                cpu[stage] = cpu.get(stage, 0.0) + _cpu_with_children() - start_cpu

        return wrapper

    for stage, names in STAGES.items():
        for name in names:
            setattr(b, name, timed(stage, getattr(b, name)))
    original = link_module.link_records
    dumped = {"seconds": 0.0, "cpu": 0.0}  # writing the linker input is the benchmark's, not the build's

    def link_records(records, config=None):
        if dump:
            start, start_cpu = time.perf_counter(), time.process_time()
            records.to_parquet(dump)
            dumped["seconds"] += time.perf_counter() - start
            dumped["cpu"] += time.process_time() - start_cpu
        return timed("link_records", original)(records, config)

    identity.link_records = link_records
    start, start_cpu = time.perf_counter(), _cpu_with_children()
    result = b.build(raw, out)
    total, total_cpu = time.perf_counter() - start - dumped["seconds"], _cpu_with_children() - start_cpu - dumped["cpu"]
    times["link"] -= dumped["seconds"]
    cpu["link"] -= dumped["cpu"]
    times["other"] = total - sum(v for k, v in times.items() if k != "link_records")
    cpu["other"] = total_cpu - sum(v for k, v in cpu.items() if k != "link_records")
    return {"total": total, **times, "cpu": {"total": total_cpu, **cpu}, "peak_mb": _peak_mb(),
            "rows": int(result.report["rows_read"])}


def _cpu_with_children() -> float:
    """CPU seconds of this process and of its ended children (the build's worker processes)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def child_link(records_path: str) -> dict:
    """Time link_records alone on a saved linker input (with a ``true_firm`` column)."""
    from channelstudy.build.link import link_records, pairwise_quality

    records = pd.read_parquet(records_path)
    truth = records.pop("true_firm")
    base_mb = _peak_mb()
    start = time.perf_counter()
    linked = link_records(records)
    seconds = time.perf_counter() - start
    return {"link_records": seconds, "peak_mb": _peak_mb(), "input_mb": base_mb, "rows": len(records),
            **_quality(pairwise_quality(linked["firm_id"], truth))}


MAX_RSS_GB = 12.0  # a child above this resident memory is killed (the machine is shared)


class TooMuchMemory(RuntimeError):
    """A child process passed ``MAX_RSS_GB`` and was killed."""


def _tree_gb(pid: int) -> float:
    """Proportional set size (shared pages split between their processes) of ``pid`` and its descendants."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        children = [int(c) for t in Path(f"/proc/{pid}/task").iterdir()
                    for c in (t / "children").read_text().split()]
    except OSError:  # the process has ended
        return 0.0
    line = next((x for x in rollup.splitlines() if x.startswith("Pss:")), "Pss: 0 kB")
    return int(line.split()[1]) / 2**20 + sum(_tree_gb(c) for c in children)


def _run_child(*args: str) -> dict:
    """Run one measurement in a child process; kill it above ``MAX_RSS_GB`` (raises TooMuchMemory)."""
    import tempfile

    cmd = [sys.executable, __file__, "--child", *args]
    with tempfile.TemporaryFile("w+") as out_file, tempfile.TemporaryFile("w+") as err_file, \
            subprocess.Popen(cmd, stdout=out_file, stderr=err_file, text=True) as child:  # files: no full pipes
        peak = 0.0
        while child.poll() is None:
            peak = max(peak, _tree_gb(child.pid))
            if peak > MAX_RSS_GB:
                child.kill()
                child.wait()
                raise TooMuchMemory(f"{' '.join(args[:2])}: killed above {MAX_RSS_GB:.0f} GB resident")
            time.sleep(0.1)
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read(), err_file.read()
    if child.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{err[-3000:]}")
    measured = json.loads(out.strip().splitlines()[-1])
    if "peak_mb" in measured:  # with worker processes, their memory counts too (sampled every 0.1 s)
        measured["peak_mb"] = max(measured["peak_mb"], peak * 1024)
    return measured


def _flush(rows: list[dict], out: Path) -> pd.DataFrame:
    """Write the rows measured so far (a long run leaves a partial table if interrupted)."""
    table = pd.DataFrame(rows)
    mask = table["task"] == "compare_directory_roster"
    ours = table[mask & (table["method"] == "channelstudy")]
    if len(ours):
        table.loc[mask, "time_ratio_vs_ours"] = (table.loc[mask, "seconds"] / ours["seconds"].iloc[0]).round(2)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False, float_format="%.4f")
    return table


def _quality(q: dict) -> dict:
    return {"precision": q["precision"], "recall": q["recall"], "f1": q["f1"]}


# ---------------------------------------------------------------------------------------------
# Worlds
# ---------------------------------------------------------------------------------------------


def world(work: Path, firms: int, seed: int, light: bool = False) -> tuple[Path, Path]:
    """Simulate (once) and return the raw and truth folders of a world (``light``: ``simulate --light``)."""
    tag = "light" if light else ""
    raw, truth = work / f"raw{tag}{firms}", work / f"truth{tag}{firms}"
    if not (truth / "records.parquet").exists():
        subprocess.run([str(Path(sys.executable).with_name("channelstudy")), "simulate", "--out", str(raw),
                        "--truth-out", str(truth), "--seed", str(seed), "--firms", str(firms),
                        *(["--light"] if light else [])], check=True)
    return raw, truth


def child_simulate_light(raw: str, truth: str, firms: str, seed: str) -> dict:
    """Time ``simulate --light`` (its peak memory is this process's)."""
    from channelstudy.simulate.light import simulate_light

    start = time.perf_counter()
    result = simulate_light(raw, seed=int(seed), n_firms=int(firms), truth_out=truth)
    return {"seconds": time.perf_counter() - start, "peak_mb": _peak_mb(), "rows": sum(result.rows_by_source.values())}


def with_truth(records: pd.DataFrame, truth_dir: Path) -> pd.DataFrame:
    """Linker input with the true firm of each record (``true_firm``)."""
    truth = pd.read_parquet(truth_dir / "records.parquet", columns=["source", "row_number", "firm_key"])
    out = records.merge(truth, on=["source", "row_number"], how="left", validate="one_to_one")
    return out.rename(columns={"firm_key": "true_firm"})


def tiled(records: pd.DataFrame, copies: int) -> pd.DataFrame:
    """``copies`` disjoint copies of a linker input (own VATs, ids and a copy word in names)."""
    words = ("ALFA", "BRAVO", "DELTA", "ECO", "GOLF", "HOTEL", "INDIA", "KILO", "LIMA", "MIKE", "OSCAR",
             "PAPA", "ROMEO", "SIERRA", "TANGO", "VICTOR", "YANKEE", "ZULU")
    parts = []
    for k in range(copies):
        part = records.copy()
        vat = pd.to_numeric(part["vat"], errors="coerce")
        part["vat"] = ((vat * 7 + k * 1_000_003) % 10**11).map(lambda v: pd.NA if pd.isna(v) else f"{int(v):011d}")
        part["vat"] = part["vat"].astype("string")
        part["record_id"] = part["record_id"] + f"~{k}"
        if k:
            part["name_key"] = part["name_key"] + " " + words[(k - 1) % len(words)] + (
                str((k - 1) // len(words)) if k > len(words) else ""
            )
        part["true_firm"] = part["true_firm"] + f"~{k}"
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


# ---------------------------------------------------------------------------------------------
# Comparison: ours, splink, naive row-wise
# ---------------------------------------------------------------------------------------------


def naive_rowwise(records: pd.DataFrame, threshold: float = 0.92, time_limit: float | None = None) -> pd.Series:
    """A textbook row-by-row linker: VAT lookup, else best name among the province's firms.

    With ``time_limit`` (seconds) it stops there: records not reached keep the label -1.
    """
    from rapidfuzz import fuzz, process

    order = records.sort_values(["priority", "source", "row_number", "record_id"], kind="stable").index
    firm_of_vat: dict[str, int] = {}
    names_by_block: dict[object, list[str]] = {}
    firms_by_block: dict[object, list[int]] = {}
    firm = pd.Series(-1, index=records.index, dtype=np.int64)
    n_firms = 0
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    for step, idx in enumerate(order):
        if deadline is not None and step % 256 == 0 and time.perf_counter() > deadline:
            break
        row = records.loc[idx]
        vat, name, block = row["vat"], row["name_key"], row["province"]
        found = firm_of_vat.get(vat) if pd.notna(vat) else None
        if found is None and pd.notna(name):
            best = process.extractOne(name, names_by_block.get(block, []), scorer=fuzz.token_sort_ratio,
                                      score_cutoff=threshold * 100)
            if best is not None:
                found = firms_by_block[block][best[2]]
        if found is None:
            found, n_firms = n_firms, n_firms + 1
        firm[idx] = found
        if pd.notna(vat):
            firm_of_vat.setdefault(vat, found)
        if pd.notna(name):
            names_by_block.setdefault(block, []).append(name)
            firms_by_block.setdefault(block, []).append(found)
    return firm


def splink_link(records: pd.DataFrame) -> pd.Series:
    """Splink on DuckDB: Fellegi-Sunter on name (Jaro-Winkler), VAT, legal form; clusters at 0.9."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    frame = pd.DataFrame({
        "uid": np.arange(len(records)),
        "name_key": records["name_key"].astype(object).to_numpy(),
        "vat": records["vat"].astype(object).to_numpy(),
        "province": records["province"].astype(object).to_numpy(),
        "legal_form": records["legal_form"].astype(object).to_numpy(),
    })
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="uid",
        comparisons=[
            cl.JaroWinklerAtThresholds("name_key", [0.98, 0.95, 0.9]),
            cl.ExactMatch("vat"),
            cl.ExactMatch("province"),
            cl.ExactMatch("legal_form"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("vat"),
            block_on("province", "substr(name_key, 1, 4)"),
            block_on("province", "substr(name_key, length(name_key) - 3, 4)"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(frame), settings, log_level="WARNING")
    linker.training.estimate_probability_two_random_records_match([block_on("vat")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("province", "substr(name_key, 1, 4)"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("vat"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.9).as_pandas_dataframe()
    cluster = clusters.set_index("uid")["cluster_id"].reindex(frame["uid"]).to_numpy()
    return pd.Series(cluster, index=records.index)


def child_compare(records_path: str, method: str, time_limit: str = "0") -> dict:
    """Time one linker on the comparison records; the naive one stops at ``time_limit`` seconds (0: none).

    A capped naive run is scored on the records it reached (the first ones in its order), and
    its row says so (``note``); the full run's time is not extrapolated.
    """
    from channelstudy.build.link import link_records, pairwise_quality

    records = pd.read_parquet(records_path)
    truth = records.pop("true_firm")
    start, start_cpu = time.perf_counter(), time.process_time()
    note = ""
    if method == "channelstudy":
        labels = link_records(records)["firm_id"]
    elif method == "channelstudy_duckdb":  # the out-of-core engine: same links, memory bounded by a part
        from channelstudy.build.outofcore import link_records_duckdb

        labels = link_records_duckdb(records)["firm_id"]
    elif method == "splink":
        labels = splink_link(records)
    else:
        labels = naive_rowwise(records, time_limit=float(time_limit) or None)
        reached = labels.ge(0)
        if not reached.all():
            note = (f"did not finish in {float(time_limit):.0f} s: scored the {int(reached.sum())} of "
                    f"{len(records)} records it reached")
            labels, truth = labels[reached], truth[reached]
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "cpu_seconds": time.process_time() - start_cpu, "peak_mb": _peak_mb(),
            "rows": len(labels), "note": note,
            **_quality(pairwise_quality(labels, truth))}


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------


def measure_build(rows: list[dict], args: argparse.Namespace, firms: int, raw: Path, truth: Path, task: str,
                  dump: bool = True) -> Path | None:
    """Build one world in a child (stage times, peak memory), score its links; rows appended and flushed."""
    from channelstudy.build.link import pairwise_quality

    out = args.work / f"out{'light' if task == 'build_light' else ''}{firms}"
    path = args.work / f"link_input{firms}.parquet" if dump else None
    measured = _run_child("build", str(raw), str(out), *([str(path)] if path else []))
    links = pd.read_parquet(out / "links.parquet", columns=["source", "row_number", "firm_id"])
    true = pd.read_parquet(truth / "records.parquet", columns=["source", "row_number", "firm_key"])
    joined = links.merge(true, on=["source", "row_number"], validate="one_to_one")
    quality = _quality(pairwise_quality(joined["firm_id"], joined["firm_key"]))
    if path:
        with_truth(pd.read_parquet(path), truth).to_parquet(path)
    for stage in ("total", *STAGES, "other", "link_records"):
        rows.append({"task": task, "firms": firms, "records": measured["rows"], "method": "channelstudy",
                     "stage": stage, "seconds": round(measured.get(stage, np.nan), 3),
                     "cpu_seconds": round(measured.get("cpu", {}).get(stage, np.nan), 3), "peak_mb": round(measured["peak_mb"]), **(quality if stage == "total" else {})})
    print(f"{task} {firms}: {measured['total']:.1f} s, {measured['peak_mb']:.0f} MB", flush=True)
    _flush(rows, args.out)
    return path


def main(argv: list[str] | None = None) -> None:
    global MAX_RSS_GB
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=int, nargs="*", default=[15_000, 150_000])
    parser.add_argument("--tiled", type=int, nargs="*", default=[])
    parser.add_argument("--light", type=int, nargs="*", default=[1_500_000],
                        help="world sizes simulated with `simulate --light` (directories and rosters) and built")
    parser.add_argument("--max-rss-gb", type=float, default=MAX_RSS_GB, help="kill a child above this memory")
    parser.add_argument("--compare", type=int, default=150_000, help="world size for the comparison (0: skip)")
    parser.add_argument("--skip-splink", action="store_true")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--skip-duckdb", action="store_true", help="skip our linker's out-of-core engine")
    parser.add_argument("--naive-limit", type=float, default=300.0,
                        help="seconds after which the naive row-wise linker stops (its row says so)")
    parser.add_argument("--seed", type=int, default=20240611)
    parser.add_argument("--work", type=Path, default=Path("/tmp/channelstudy-bench-scale"))
    parser.add_argument("--out", type=Path, default=OUT_CSV)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the rows of --out for tasks not rerun, and reuse saved linker inputs")
    args = parser.parse_args(argv)
    MAX_RSS_GB = args.max_rss_gb
    if args.child:
        kind, *rest = args.child
        result = {"build": lambda: child_build(rest[0], rest[1], rest[2] if len(rest) > 2 else None),
                  "link": lambda: child_link(rest[0]),
                  "compare": lambda: child_compare(*rest),
                  "simulate_light": lambda: child_simulate_light(*rest)}[kind]()
        print(json.dumps(result))
        return

    args.work.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    inputs: dict[int, Path] = {}
    if args.reuse:
        rerun = {"build"} if args.sizes else set()
        rerun |= {"link_tiled"} if args.tiled else set()
        rerun |= {"build_light", "simulate_light"} if args.light else set()
        rerun |= {"compare_directory_roster"} if args.compare else set()
        if args.out.exists():
            kept = pd.read_csv(args.out)
            rows += kept[~kept["task"].isin(rerun)].drop(columns=["time_ratio_vs_ours"], errors="ignore").to_dict("records")
        inputs = {int(p.stem.removeprefix("link_input")): p for p in args.work.glob("link_input[0-9]*.parquet")}
    for firms in args.sizes:
        raw, truth = world(args.work, firms, args.seed)
        inputs[firms] = measure_build(rows, args, firms, raw, truth, "build")
    for firms in args.light:
        raw, truth = args.work / f"rawlight{firms}", args.work / f"truthlight{firms}"
        try:
            timing = truth / "simulate_light.json"  # a cached world keeps the measurement of its simulation
            if not (truth / "records.parquet").exists():
                sim = _run_child("simulate_light", str(raw), str(truth), str(firms), str(args.seed))
                timing.write_text(json.dumps(sim), encoding="utf-8")
            sim = json.loads(timing.read_text(encoding="utf-8")) if timing.exists() else None
            if sim is not None:
                rows.append({"task": "simulate_light", "firms": firms, "records": sim["rows"], "method": "channelstudy",
                             "stage": "total", "seconds": round(sim["seconds"], 3), "peak_mb": round(sim["peak_mb"])})
                print(f"simulated (light) {firms}: {sim['seconds']:.1f} s, {sim['peak_mb']:.0f} MB", flush=True)
            measure_build(rows, args, firms, raw, truth, "build_light", dump=False)
        except TooMuchMemory as exc:
            rows.append({"task": "build_light", "firms": firms, "method": "channelstudy", "stage": "total",
                         "note": str(exc)})
            print(exc, flush=True)
        _flush(rows, args.out)

    if args.tiled and inputs:
        base_firms = max(inputs)
        base = pd.read_parquet(inputs[base_firms])
        for firms in args.tiled:
            path = args.work / f"link_input_tiled{firms}.parquet"
            tiled(base, max(1, round(firms / base_firms))).to_parquet(path)
            measured = _run_child("link", str(path))
            rows.append({"task": "link_tiled", "firms": firms, "records": measured["rows"], "method": "channelstudy",
                         "stage": "link_records", "seconds": round(measured["link_records"], 3),
                         "peak_mb": round(measured["peak_mb"]), **_quality(measured)})
            print(f"tiled {firms}: link_records {measured['link_records']:.1f} s, {measured['peak_mb']:.0f} MB")
            _flush(rows, args.out)

    if args.compare and args.compare in inputs:
        records = pd.read_parquet(inputs[args.compare])
        subset = records[records["source"].isin(COMPARE_SOURCES)]
        path = args.work / f"compare{args.compare}.parquet"
        subset.to_parquet(path)
        methods = ["channelstudy"] + ([] if args.skip_duckdb else ["channelstudy_duckdb"])
        methods += ([] if args.skip_splink else ["splink"]) + ([] if args.skip_naive else ["naive"])
        for method in methods:
            measured = _run_child("compare", str(path), method, str(args.naive_limit))
            rows.append({"task": "compare_directory_roster", "firms": args.compare, "records": measured["rows"],
                         "method": method, "stage": "link", "seconds": round(measured["seconds"], 3),
                         "cpu_seconds": round(measured["cpu_seconds"], 3),
                         "peak_mb": round(measured["peak_mb"]), **_quality(measured), "note": measured["note"]})
            print(f"compare {method}: {measured['seconds']:.1f} s", flush=True)
            _flush(rows, args.out)

    table = _flush(rows, args.out) if rows else pd.DataFrame()
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
