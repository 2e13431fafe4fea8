"""Command line: ``channelstudy <command> [options]`` (also ``python -m channelstudy``).

Each command logs what it does (``-v`` for more, ``-q`` for less), shows progress bars on long
steps, and on failure exits non-zero with a single ``error: ...`` line.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from channelstudy import __version__
from channelstudy.errors import UserError
from channelstudy.sources import fetch

log = logging.getLogger("channelstudy")

EPILOG = """\
The main job, end to end, is `make report`: simulate (when data/raw is empty) -> build -> analyze ->
notebooks -> reports/. See README.md.
"""


def parse_waves(text: str) -> tuple[int, ...]:
    """``2021-2025`` or ``2021,2023,2025`` -> a tuple of years."""
    try:
        if "-" in text:
            first, last = (int(x) for x in text.split("-", 1))
            waves = tuple(range(first, last + 1))
        else:
            waves = tuple(int(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"waves must look like 2021-2025 or 2021,2023 (got {text!r})") from None
    if not waves or any(not 1990 <= w <= 2100 for w in waves):
        raise argparse.ArgumentTypeError(f"waves must be years between 1990 and 2100 (got {text!r})")
    return waves


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer (got {text})")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0 (got {text})")
    return value


KEEP_FILES = frozenset({"README.md", ".gitkeep"})
"""Files that may sit in an empty raw folder: the simulator writes beside them."""


def cmd_simulate(args: argparse.Namespace) -> int:
    from channelstudy.simulate import simulate

    out = Path(args.out)
    foreign = [p for p in out.iterdir() if p.name not in KEEP_FILES] if out.is_dir() else []
    if foreign and not args.force and not (out / "sources.yml").exists():
        raise UserError(f"{out} is not empty and holds no sources.yml: refusing to write there (use --force)")
    try:
        if args.light:
            from channelstudy.simulate.light import simulate_light

            truth = args.truth_out or out.parent / "interim" / "truth"
            result = simulate_light(out, seed=args.seed, n_firms=args.firms, truth_out=truth)
        else:
            result = simulate(out, seed=args.seed, n_firms=args.firms, waves=args.waves, truth_out=args.truth_out)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    total = sum(result.rows_by_source.values())
    log.info("simulated %d firms (seed %d): %d raw rows in %d files -> %s; truth -> %s", result.n_firms, args.seed,
             total, len(result.rows_by_source), result.raw_dir, result.truth_dir)
    return 0


def add_simulate(sub: argparse._SubParsersAction) -> None:
    from channelstudy.simulate import DEFAULT_SEED

    p = sub.add_parser(
        "simulate",
        help="write the embedded default data: a simulated world with planted truth",
        description=(
            "Simulate the Italian ICT channel (firms, analyst directories, survey waves, vendor rosters, "
            "shared pipeline) and write messy raw files plus sources.yml to --out, and the planted truth "
            "(records.parquet, firms.parquet, effects.json, ...) to --truth-out. Same seed, same bytes. "
            "All of it is SIMULATED: no real firm or respondent."
        ),
    )
    p.add_argument("--out", default="data/raw", help="raw folder to write (default: data/raw)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default: {DEFAULT_SEED})")
    p.add_argument("--firms", type=_positive_int, default=15_000, help="number of firms (default: 15000)")
    p.add_argument("--waves", type=parse_waves, default=(2021, 2022, 2023, 2024, 2025),
                   help="survey waves, e.g. 2021-2025 (default) or 2021,2023")
    p.add_argument("--truth-out", default=None,
                   help="truth folder (default: <out>/../interim/truth); never inside --out")
    p.add_argument("--force", action="store_true", help="write into a non-empty folder without sources.yml")
    p.add_argument("--light", action="store_true",
                   help="benchmark mode: only the directories and rosters, as CSV, and the record truth")
    p.set_defaults(func=cmd_simulate)


def cmd_build(args: argparse.Namespace) -> int:
    from channelstudy.build import BuildConfig
    from channelstudy.build.link import LinkConfig
    from channelstudy.pipeline import run_build

    link = LinkConfig() if args.max_block_names is None else LinkConfig(max_block_names=args.max_block_names)
    config = BuildConfig(link=link, engine=args.engine, jobs=args.jobs)
    result = run_build(args.raw, args.out, config=config, progress=not args.quiet)
    report = result.report
    log.info("built %d firms from %d rows (%d used, %d rejected) -> %s", report["firms_resolved"],
             report["rows_read"], report["rows_used"], report["rows_rejected"], result.out_dir)
    return 0


def add_build(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "build",
        help="clean, validate and link the raw sources into processed tables",
        description=(
            "Read every source described by RAW/sources.yml (analyst directories, survey waves, vendor "
            "rosters, pipeline records), clean identities and measures, link records into firms, and write "
            "firms, links, survey, vendor_roster, pipeline and rejects as Parquet, plus build_report.json and "
            "CODEBOOK.md, to OUT. Every raw row is either used or rejected with a reason."
        ),
    )
    p.add_argument("--raw", default="data/raw", help="folder with sources.yml (default: data/raw)")
    p.add_argument("--out", default="data/processed", help="output folder (default: data/processed)")
    p.add_argument("--max-block-names", type=_positive_int, default=None,
                   help="largest number of distinct names compared all-against-all in one linkage block; larger "
                        "blocks are split by name prefix/suffix (default: the linker's, 5000)")
    p.add_argument("--engine", choices=("auto", "memory", "duckdb"), default="auto",
                   help="linker engine: duckdb links part by part out of core (same links); auto uses it from "
                        "3,000,000 linkable records (default: auto)")
    p.add_argument("--jobs", type=_non_negative_int, default=0,
                   help="processes that read and clean the sources (the outputs do not depend on it); 0 chooses: "
                        "two on a two-core machine from 8 MiB of source files, else one (default: 0)")
    p.set_defaults(func=cmd_build)


def text_table(rows: Sequence[tuple[str, ...]], header: tuple[str, ...]) -> str:
    """Rows as left-aligned columns under a header (for the terminal).

    >>> print(text_table([("H0", "ran"), ("H10", "not run: needs a pipeline source")], ("what", "status")))
    what  status
    H0    ran
    H10   not run: needs a pipeline source
    """
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header) - 1)]
    return "\n".join("  ".join([*(str(c).ljust(w) for c, w in zip(r, widths, strict=False)), str(r[-1])])
                     for r in (header, *rows))


def cmd_analyze(args: argparse.Namespace) -> int:
    from channelstudy.analysis import AnalyzeConfig
    from channelstudy.catalog import TABLES
    from channelstudy.pipeline import run_analyze

    config = AnalyzeConfig(weighting=args.weighting, trim_ratio=args.trim_ratio)
    study = run_analyze(args.processed, args.tables, config=config, margins=args.margins,
                        sensitivity=not args.no_sensitivity, variance=args.variance)
    result, table = study.analysis, study.catalogue
    clustering = result.report.get("clustering", {})
    log.info("segments: %d firms classified; %s business-model clusters; weights for %d responses",
             len(result.segments), clustering.get("n_clusters", "no"), int(result.weights["weight"].notna().sum()))
    log.info("hypotheses: %d tests, %d ran, %d supported -> %s", len(table), int(table["status"].eq("ran").sum()),
             int(table["supported"].sum()), TABLES["hypotheses"].path(args.tables))
    stages = [(name.replace("_", " "), status) for name, status in result.report.get("stages", {}).items()]
    print(text_table([*stages, *zip(table["id"], table["status"], strict=True)], ("step", "status")))
    return 0


def add_analyze(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "analyze",
        help="segment partners, weight the survey, cluster business models, run the hypothesis catalogue",
        description=(
            "On the build's tables in PROCESSED: classify partner types by explainable rules, calibrate survey "
            "weights per wave (calibrated to population margins by ATECO class; see --margins), cluster business "
            "models (compositional GMM), "
            "write segments.parquet, survey_weights.parquet and analysis_report.json there, and run the "
            "hypothesis catalogue H0-H9 into TABLES/hypotheses.csv. Each step runs on what the data supports; "
            "a table printed at the end (and the status column of hypotheses.csv) says what ran and, for "
            "what did not, why (see `channelstudy check`)."
        ),
    )
    p.add_argument("--processed", default="data/processed", help="build output folder (default: data/processed)")
    p.add_argument("--tables", default="reports/tables", help="folder for report tables (default: reports/tables)")
    p.add_argument("--margins", default=None,
                   help="the raw folder the data were built from (its population_margins.csv; a real folder without "
                        "one falls back to the ISTAT margins of data/external, a simulated one to the directory "
                        "frame) or a margins file; default: none (weights raked to the directory frame)")
    p.add_argument("--weighting", default="calibrated", choices=("calibrated", "frame", "ipw", "none"),
                   help="survey weights: calibrated to the margins (default), raked to the directory frame, "
                        "inverse response propensities, or none")
    p.add_argument("--trim-ratio", type=float, default=5.0,
                   help="cap on weights as a multiple of the mean weight (default 5)")
    p.add_argument("--no-sensitivity", action="store_true",
                   help="skip the catalogue reruns under every weighting scheme and cap (sensitivity.csv)")
    p.add_argument("--variance", default=None, choices=("linearised", "bootstrap", "jackknife"),
                   help="SE of the weighted estimators: linearised (default, weights taken as fixed) or from "
                        "replicate weights over firms, the calibration redone on every replicate (slower)")
    p.set_defaults(func=cmd_analyze)


def cmd_check(args: argparse.Namespace) -> int:
    from channelstudy.hypotheses.coverage import check

    coverage = check(args.raw)
    print(f"Sources ({args.raw}):")
    print(text_table(list(coverage.sources.itertuples(index=False)), ("source", "kind", "canonical fields")))
    print("\nHypotheses:")
    print(text_table([(r.id, "can run" if r.supported_by_fields else f"needs {r.missing}")
                      for r in coverage.hypotheses.itertuples()], ("id", "from the mapped fields")))
    print("\nNotebook sections:")
    print(text_table([(r.section, r.status if r.status == "yes" else f"{r.status}: needs {r.missing}")
                      for r in coverage.sections.itertuples()], ("section", "supported")))
    if len(coverage.unlock):
        print("\nTo unlock the rest, map or add:")
        print(text_table(list(coverage.unlock.itertuples(index=False)), ("need", "hypotheses")))
    print("\nGroups (ISVs, resellers, ...) and sample sizes are checked by `channelstudy analyze`, "
          "whose table says what ran.")
    return 0


def add_check(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check",
        help="say which hypotheses and notebook sections a raw folder can support, before any analysis",
        description=(
            "Read RAW/sources.yml (validating it as the build does) and print which canonical fields each "
            "source maps, which hypotheses of the catalogue and which notebook sections these fields can "
            "support, and which fields or sources would unlock the rest. Nothing is built or written."
        ),
    )
    p.add_argument("raw", metavar="RAW", nargs="?", default="data/raw",
                   help="folder with sources.yml (default: data/raw)")
    p.set_defaults(func=cmd_check)


def cmd_validate(args: argparse.Namespace) -> int:
    from channelstudy.catalog import TABLES, write_table
    from channelstudy.pipeline import (
        failed_worlds,
        h0_false_positive_loop,
        run_started,
        validate_methods,
        validation_config,
        write_sidecar,
    )

    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    config = validation_config(args.firms) | {"mode": args.mode, "variance": args.variance,
                                              "replicate_seeds": seeds[:args.replicate_seeds]}
    started = run_started(seeds=seeds, config=config)
    failed: list = []
    runs, summary = validate_methods(seeds, n_firms=args.firms, workers=args.workers, progress=not args.quiet,
                                     mode=args.mode, variance=args.variance, replicate_seeds=args.replicate_seeds,
                                     failed=failed)
    started |= {"failed_worlds": failed_worlds(failed, ("seed",))}
    # the full pipeline's tables sit beside the truth mode's, under their own names
    names = ("method_validation", "method_validation_runs") if args.mode == "truth" else (
        "method_validation_pipeline", "method_validation_pipeline_runs")
    write_table(names[0], summary, args.tables)
    write_table(names[1], runs, args.tables)
    for name in names:
        write_sidecar(TABLES[name].path(args.tables), started=started)
    log.info("method validation over %d seeds (%s) -> %s", len(seeds), args.mode, args.tables)
    if args.h0_worlds:
        h0_seeds = list(range(100_000, 100_000 + args.h0_worlds))
        h0_started = run_started(seeds=h0_seeds, config=validation_config(args.h0_firms) | {"mode": "truth"})
        h0_failed: list = []
        h0_runs, h0_summary = h0_false_positive_loop(h0_seeds, n_firms=args.h0_firms, workers=args.workers,
                                                     progress=not args.quiet, failed=h0_failed)
        target = TABLES["method_validation_h0"].path(args.tables)
        h0_summary.to_csv(target, index=False)
        write_sidecar(target, started=h0_started | {"failed_worlds": failed_worlds(h0_failed, ("seed",))})
        failed += h0_failed
        log.info("H0 loop over %d worlds: false-positive rate %.3f", len(h0_seeds),
                 h0_summary["false_positive_rate"].item())
    outside = summary[summary["coverage_ok"].eq(False) | summary["fpr_ok"].eq(False)]
    if len(outside):
        log.warning("validation failed for %s", ", ".join(outside["id"]))
    return _report_failed_worlds(failed)


def _report_failed_worlds(failed: list) -> int:
    """Exit status of a simulation loop: 1 when worlds failed (left out of its tables, listed in their sidecars)."""
    if not failed:
        return 0
    log.error("%d world(s) failed and are left out of the tables (listed in the provenance sidecars as "
              "failed_worlds); the first: %s", len(failed), failed[0][1])
    return 1


def add_validate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate",
        help="rerun simulate + build + analyze + catalogue over many seeds: coverage, power, false positives",
        description=(
            "Method validation: for each seed, simulate a world, build and analyze it and run the hypothesis "
            "catalogue; report per hypothesis the 95% CI coverage of the planted estimand (exact binomial CI; "
            "pass: coverage in [0.93, 0.97]), the power, and the false-positive rate of the negative control "
            "H0 (pass: <= 0.05), plus a cheap H0-only loop over many worlds. Each table gets a provenance "
            "sidecar (commit, versions, configuration, seeds). A world that fails is left out and listed in "
            "the sidecars (failed_worlds), and the exit status is 1."
        ),
    )
    p.add_argument("--seeds", type=_positive_int, default=200, help="number of seeds (default: 200)")
    p.add_argument("--first-seed", type=int, default=1, help="first seed (default: 1)")
    p.add_argument("--firms", type=_positive_int, default=3_000, help="firms per world (default: 3000)")
    p.add_argument("--mode", choices=("full", "truth"), default="full",
                   help="full: raw files -> build -> analyze -> catalogue; truth: estimators on the true "
                        "respondents (fast; no cleaning or linkage) (default: full)")
    p.add_argument("--variance", choices=("bootstrap", "jackknife"), default="bootstrap",
                   help="replicate weights of the replicate-SE comparison (default: bootstrap)")
    p.add_argument("--replicate-seeds", type=int, default=0,
                   help="first seeds that also compute replicate-weight SEs (default: 0)")
    p.add_argument("--h0-worlds", type=int, default=1_000, help="worlds of the H0-only loop, 0 to skip (default: 1000)")
    p.add_argument("--h0-firms", type=_positive_int, default=3_000, help="firms per H0-loop world (default: 3000)")
    p.add_argument("--workers", type=_positive_int, default=2, help="parallel processes (default: 2)")
    p.add_argument("--tables", default="reports/tables",
                   help="folder for method_validation*.csv (default: reports/tables)")
    p.set_defaults(func=cmd_validate)


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(x) for x in text.split(","))


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(","))


def cmd_power(args: argparse.Namespace) -> int:
    from channelstudy.catalog import TABLES
    from channelstudy.pipeline import (
        failed_worlds,
        minimum_detectable_effect,
        power_study,
        run_started,
        write_sidecar,
    )

    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    config = {"multipliers": list(args.multipliers), "responses_per_wave": list(args.responses), "n_firms": 15_000}
    started = run_started(seeds=seeds, config=config)
    failed: list = []
    runs, power = power_study(seeds, multipliers=args.multipliers, responses=args.responses, workers=args.workers,
                              progress=not args.quiet, failed=failed)
    started |= {"failed_worlds": failed_worlds(failed, ("seed", "multiplier", "responses_per_wave"))}
    tables = Path(args.tables)
    tables.mkdir(parents=True, exist_ok=True)
    for name, table in (("power", power), ("power_runs", runs), ("power_mde", minimum_detectable_effect(power))):
        target = TABLES[name].path(tables)
        table.to_csv(target, index=False, float_format="%.6g")
        write_sidecar(target, started=started)
    log.info("power over %d cells x %d seeds -> %s", len(args.multipliers) * len(args.responses), len(seeds), tables)
    return _report_failed_worlds(failed)


def add_power(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "power",
        help="power and minimum detectable effects of H2-H9 (Holm) over effect sizes and responses per wave",
        description=(
            "Simulate worlds with every planted effect scaled by each multiplier and each number of responses "
            "per wave, run the catalogue on the true respondents, and write power.csv (power with exact CI per "
            "hypothesis x multiplier x responses), power_runs.csv and power_mde.csv (multiplier reaching 80% "
            "power under Holm) to TABLES. A world that fails is left out and listed in the sidecars "
            "(failed_worlds), and the exit status is 1."
        ),
    )
    p.add_argument("--seeds", type=_positive_int, default=50, help="worlds per grid cell (default: 50)")
    p.add_argument("--first-seed", type=int, default=1, help="first seed (default: 1)")
    p.add_argument("--multipliers", type=_floats, default=(0.0, 0.5, 1.0, 1.5, 2.0),
                   help="effect multipliers, comma-separated (default: 0,0.5,1,1.5,2)")
    p.add_argument("--responses", type=_ints, default=(200, 400, 800, 2000),
                   help="responses per wave, comma-separated (default: 200,400,800,2000)")
    p.add_argument("--workers", type=_positive_int, default=2, help="parallel processes (default: 2)")
    p.add_argument("--tables", default="reports/tables", help="folder for power*.csv (default: reports/tables)")
    p.set_defaults(func=cmd_power)


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds (got {text!r})") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive (got {text})")
    return value


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default=None, help="folder to write (default: data/external of the project)")
    parser.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=fetch.DEFAULT_TIMEOUT,
        help=f"seconds allowed to connect and for each read (default: {fetch.DEFAULT_TIMEOUT:g})",
    )


def cmd_fetch_eurostat(args: argparse.Namespace) -> int:
    fetch.fetch_eurostat(args.dataset, args.out, timeout=args.timeout)
    return 0


def cmd_fetch_startups(args: argparse.Namespace) -> int:
    fetch.fetch_startups(args.out, url=args.url, timeout=args.timeout)
    return 0


def add_fetch(sub: argparse._SubParsersAction) -> None:
    """Add ``fetch`` with its sources ``eurostat DATASET`` and ``startups`` to a subparsers action.

    Examples
    --------
    >>> parser = argparse.ArgumentParser()
    >>> add_fetch(parser.add_subparsers())
    >>> parser.parse_args(["fetch", "eurostat", "isoc_cicce_use", "--out", "x"]).dataset
    'isoc_cicce_use'
    """
    fetch_parser = sub.add_parser(
        "fetch",
        help="download public reference data (Eurostat, startup register) into data/external",
        description=(
            "Download a file from its publisher into data/external (or --out), next to a sidecar "
            "<file>.meta.json with url, sha256, size and retrieval time. Needs network access; "
            f"set {fetch.BASE_URL_ENV} to use a mirror or a local test server."
        ),
    )
    sources = fetch_parser.add_subparsers(dest="fetch_source", metavar="SOURCE", required=True)

    eurostat = sources.add_parser(
        "eurostat",
        help="a Eurostat dataset's bulk TSV (estat_<dataset>.tsv.gz)",
        description=f"Download {fetch.EUROSTAT_BASE_URL}{fetch.EUROSTAT_DATA_PATH} as estat_<dataset>.tsv.gz.",
    )
    eurostat.add_argument("dataset", metavar="DATASET", help="Eurostat dataset code, e.g. isoc_cicce_use")
    _add_common_options(eurostat)
    eurostat.set_defaults(func=cmd_fetch_eurostat)

    startups = sources.add_parser(
        "startups",
        help="the InfoCamere register of innovative startups (infocamere_startup.xls)",
        description=(
            f"Download the startup register export (default {fetch.STARTUPS_URL}). The publisher's link is not "
            f"stable: if it fails, copy the current export link from {fetch.STARTUPS_PAGE} and pass it with --url."
        ),
    )
    startups.add_argument("--url", default=None, help=f"export URL (default: {fetch.STARTUPS_URL})")
    _add_common_options(startups)
    startups.set_defaults(func=cmd_fetch_startups)


def cmd_scan(args: argparse.Namespace) -> int:
    from channelstudy.report.privacy import scan

    findings, n_files = scan(args.paths or None)
    for finding in findings:
        print(finding.line())
    if findings:
        kinds = sorted({f.kind for f in findings})
        raise UserError(f"personal data found: {len(findings)} findings ({', '.join(kinds)}) in {n_files} files scanned")
    log.info("no personal data found in %d files", n_files)
    return 0


def add_scan(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "scan",
        help="look for personal data (e-mails, phones, personal codici fiscali, personal columns) in outputs",
        description=(
            "Scan processed tables, reports and notebook outputs (default: data/processed, reports, notebooks) "
            "for e-mail addresses, phone numbers, personal codici fiscali and the personal columns of the "
            "survey exports. Prints one line per finding (masked) and fails if there is any."
        ),
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to scan (default: the outputs)")
    p.set_defaults(func=cmd_scan)


COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [add_simulate, add_check, add_build, add_analyze,
                                                                 add_validate, add_power, add_fetch, add_scan]
"""Functions that add one subcommand each; later stages append theirs."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="channelstudy",
        description="Research toolkit for the Italian enterprise ICT channel.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return parser


def _configure_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else logging.DEBUG if verbose > 1 else logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr, force=True)
    if verbose < 1:
        logging.getLogger("channelstudy.simulate").setLevel(max(level, logging.WARNING) if quiet else logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    _configure_logging(args.verbose, args.quiet)
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (FileNotFoundError, PermissionError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
