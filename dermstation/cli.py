"""Headless command line: ``dermstation analyze PATH... [--json] [--save-overlays DIR] [--tta]``, ``dermstation
compare BEFORE AFTER [--pixel-spacing MM [MM] | --device-profile NAME [NAME]] [--json]``, ``dermstation calibrate
PICTURE (--ruler MM | --sticker MM | --dicom)`` and the clinic maintenance commands.

A second client of the same ``AnalysisService`` the GUI uses. JSON goes to stdout (one object per
line, per file), progress and errors to stderr; the exit status is 1 when any file failed or was refused
(not dermoscopy of a skin lesion: ``"ok": false`` with a ``reason`` code and no score), and the batch
goes on with the other files.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from dermstation.core.errors import Cancelled, DermStationError, NotApplicable, OutputNotWritten
from dermstation.core.private_files import private_dir, write_private_file
from dermstation.core.progress import Progress
from dermstation.services.analysis import AnalysisService, FileAnalysis, collect_paths

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dermstation", description="DermStation headless tools")
    sub = parser.add_subparsers(dest="command", required=True)
    analyze = sub.add_parser("analyze", help="analyse dermoscopy images or DICOM files")
    analyze.add_argument("paths", nargs="+", metavar="PATH", help="image/DICOM files or folders (searched recursively)")
    analyze.add_argument("--json", action="store_true", help="one JSON object per file on stdout")
    analyze.add_argument("--save-overlays", metavar="DIR", type=Path,
                         help="write contour + heatmap PNGs here (0600; never through links or over existing files)")
    analyze.add_argument("--overwrite", action="store_true", help="with --save-overlays: replace existing PNGs")
    analyze.add_argument("--tta", action="store_true", help="test-time augmentation (slower, steadier)")
    analyze.add_argument("--provider", choices=("auto", "cpu"), default="auto", help="execution provider")
    analyze.add_argument("--pixel-spacing", type=float, metavar="MM", default=None,
                         help="size of one image pixel in mm (DICOM files carry their own)")
    analyze.add_argument("--device-profile", metavar="NAME", default=None,
                         help="the device profile (Settings) the pictures were taken with: each gets the pixel "
                              "size for its resolution (DICOM files carry their own)")
    analyze.add_argument("--models", type=Path, default=None, help="models folder (default: the bundled models)")
    # clinic maintenance (services/maintenance.py): this workstation's data directory and database
    sub.add_parser("backup", help="write a verified backup (database + pictures) into a new folder"
                   ).add_argument("dest", type=Path, metavar="DEST")
    sub.add_parser("restore", help="restore a backup into this workstation's empty database"
                   ).add_argument("src", type=Path, metavar="SRC")
    sub.add_parser("verify", help="check that every record's picture is readable and matches its hash")
    move = sub.add_parser("migrate-database", help="move this clinic's records and pictures into an empty "
                          "database (e.g. PostgreSQL) and use it from now on")
    move.add_argument("--to", required=True, metavar="URL", dest="to_url")
    compare = sub.add_parser("compare", help="compare two pictures of one lesion (earlier first), as History does")
    compare.add_argument("before", type=Path, metavar="BEFORE")
    compare.add_argument("after", type=Path, metavar="AFTER")
    compare.add_argument("--pixel-spacing", type=float, nargs="+", metavar="MM", default=None,
                         help="size of one pixel in mm: one value for both files, or one per file")
    compare.add_argument("--device-profile", nargs="+", metavar="NAME", default=None,
                         help="device profile (Settings) of both files, or one per file")
    compare.add_argument("--json", action="store_true", help="print the comparison as one JSON object")
    compare.add_argument("--provider", choices=("auto", "cpu"), default="auto", help="execution provider")
    compare.add_argument("--models", type=Path, default=None, help="models folder (default: the bundled models)")
    calibrate = sub.add_parser("calibrate", help="measure the size of one pixel on a picture of a ruler or "
                               "a round reference sticker, or read a DICOM file's pixel spacing")
    calibrate.add_argument("picture", type=Path, metavar="PICTURE")
    how = calibrate.add_mutually_exclusive_group(required=True)
    how.add_argument("--ruler", type=float, metavar="MM", help="millimetres between two ticks of the ruler")
    how.add_argument("--sticker", type=float, metavar="MM", help="diameter of the round sticker in mm")
    how.add_argument("--dicom", action="store_true", help="the file's Pixel Spacing / Imager Pixel Spacing")
    calibrate.add_argument("--json", action="store_true", help="print the result as one JSON object")
    return parser


def device_profiles(names: Sequence[str]) -> list:
    """The named device profiles from this workstation's database (``RecordNotFound`` naming a missing one)."""
    from dermstation.core.config import default_paths
    from dermstation.services.container import build_services
    from dermstation.services.device_profiles import DeviceProfileService

    services = build_services(default_paths())
    try:
        found = DeviceProfileService(services.database, services.audit)
        return [found.by_name(name) for name in names]
    finally:
        services.close()


def run_calibrate(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """``dermstation calibrate PICTURE``: the pixel size at the picture's resolution (for a device profile)."""
    from dermstation.services.device_profiles import calibrate_file

    method, reference = ("ruler", args.ruler) if args.ruler is not None else (
        ("sticker", args.sticker) if args.sticker is not None else ("dicom", 1.0))
    try:
        result = calibrate_file(args.picture, method, reference)
    except DermStationError as exc:
        print(f"dermstation calibrate: {args.picture}: {exc.message}", file=stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps({"file": str(args.picture), "width": result.width, "height": result.height,
                          "mm_per_pixel": round(result.mm_per_pixel, 7), "method": result.method,
                          "note": result.note}), file=stdout)
    else:
        print(f"{args.picture}: {result.mm_per_pixel:.6f} mm per pixel at {result.width}x{result.height} "
              f"({result.note})", file=stdout)
    return EXIT_OK


MAINTENANCE_COMMANDS = {"backup", "restore", "verify", "migrate-database"}


def run_maintenance(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """The clinic maintenance commands: thin wrappers around ``services.maintenance``."""
    from dermstation.core.config import database_url, default_paths, load_settings, save_settings
    from dermstation.services import maintenance
    from dermstation.services.container import build_services

    paths = default_paths()
    try:
        if args.command == "restore":
            paths.ensure()
            outcome = maintenance.restore(args.src, database_url(paths, load_settings(paths)), paths)
            print(f"restored and verified: {outcome.summary()}", file=stdout)
            return EXIT_OK
        services = build_services(paths)
        try:
            if args.command == "backup":
                outcome = maintenance.backup(services.database, services.image_store, args.dest)
                print(f"backup written and verified: {outcome.summary()}", file=stdout)
            elif args.command == "verify":
                problems = maintenance.verify(services.database.engine, services.image_store)
                for problem in problems:
                    print(f"problem: {problem}", file=stdout)
                refs = len(maintenance.image_references(services.database.engine))
                print(f"{refs} picture references checked in {services.image_store.describe()}: "
                      f"{len(problems)} problem(s)", file=stdout)
                return EXIT_FAILED if problems else EXIT_OK
            else:
                outcome = maintenance.migrate_database(services.database, services.image_store, args.to_url, paths)
                save_settings(paths, load_settings(paths).with_changes(database_url=args.to_url))
                print(f"moved and verified: {outcome.summary()}\nthis workstation now uses the new database; "
                      f"the old one is unchanged", file=stdout)
        finally:
            services.close()
    except DermStationError as exc:
        print(f"dermstation {args.command}: {exc.message}" + (f" ({exc.details})" if exc.details else ""),
              file=stderr)
        return EXIT_FAILED
    return EXIT_OK


def _summary_line(outcome: FileAnalysis) -> str:
    r = outcome.result
    assert r is not None
    verdict = "SUSPICIOUS" if r.is_suspicious else "not suspicious"
    flags = "" if r.trustworthy else "  [do not trust: " + "; ".join(f.message for f in r.quality_flags) + "]"
    diameter = r.metric("diameter")
    size = f"  diameter {diameter.value:.1f} {diameter.unit}" if diameter else ""
    return (f"{outcome.path}: {r.top_class} ({r.top_probability:.0%}), malignancy {r.malignancy:.2f} "
            f"(threshold {r.threshold:.2f}) {verdict}{size}{flags}")


def _to_json(outcome: FileAnalysis) -> dict:
    if outcome.result is not None:
        return {"file": str(outcome.path), "ok": True, **outcome.result.to_dict()}
    err = outcome.error
    out = {"file": str(outcome.path), "ok": False,
           "error": getattr(err, "message", str(err)), "details": getattr(err, "details", "")}
    if isinstance(err, NotApplicable):  # not dermoscopy of a lesion: a reason code, never a score
        evidence = getattr(err.evidence, "to_dict", None)
        out |= {"refused": True, "reason": err.reasons[0] if err.reasons else "", "reasons": list(err.reasons),
                "message": err.message, "applicability": evidence() if evidence else None}
    return out


def _overlay_name(directory: Path, path: Path, used: set[str]) -> Path:
    name = f"{path.stem}.overlay.png"
    n = 1
    while name in used:
        n += 1
        name = f"{path.stem}-{n}.overlay.png"
    used.add(name)
    return directory / name


def run_analyze(args: argparse.Namespace, stdout: TextIO, stderr: TextIO,
                service: AnalysisService | None = None) -> int:
    profile = None
    if getattr(args, "device_profile", None):
        if args.pixel_spacing is not None:
            print("dermstation analyze: give --pixel-spacing or --device-profile, not both", file=stderr)
            return EXIT_USAGE
        try:
            (profile,) = device_profiles([args.device_profile])
        except DermStationError as exc:
            print(f"dermstation analyze: {exc.message}", file=stderr)
            return EXIT_FAILED
    service = service or AnalysisService(models_dir=args.models, provider=args.provider)
    files = collect_paths(args.paths)
    if not files:
        print("dermstation analyze: no images found", file=stderr)
        return EXIT_FAILED
    try:
        service.analyzer  # noqa: B018 - load the models once, up front, with a clear error
    except DermStationError as exc:
        print(f"dermstation analyze: {exc.message}" + (f" ({exc.details})" if exc.details else ""), file=stderr)
        return EXIT_FAILED
    if args.save_overlays is not None:
        try:
            private_dir(args.save_overlays)
        except (DermStationError, OSError) as exc:
            print(f"dermstation analyze: {getattr(exc, 'message', exc)}", file=stderr)
            return EXIT_FAILED
    show_bar = len(files) > 1
    total = len(files)

    def on_change(done: int, total_: int, label: str) -> None:
        if show_bar and done < total_:
            stderr.write(f"\r[{done + 1}/{total_}] {label[:60]:<60}")
            stderr.flush()

    progress = Progress(on_change=on_change)
    failed = 0
    used: set[str] = set()
    try:
        for outcome in service.analyze_files(files, progress, tta=args.tta, keep_images=args.save_overlays is not None,
                                             pixel_spacing_mm=args.pixel_spacing, profile=profile):
            if not outcome.ok:
                failed += 1
                err = outcome.error
                if show_bar:
                    stderr.write("\r")
                kind = f"not scored ({err.reasons[0]})" if isinstance(err, NotApplicable) and err.reasons else "error"
                print(f"{kind}: {outcome.path}: {getattr(err, 'message', err)}", file=stderr)
            elif args.save_overlays is not None and outcome.image is not None:
                assert outcome.result is not None
                target = _overlay_name(args.save_overlays, outcome.path, used)
                try:
                    write_private_file(target, service.overlay_png(outcome.result, outcome.image),
                                       overwrite=args.overwrite)
                except OutputNotWritten as exc:
                    failed += 1
                    print(f"error: {outcome.path}: overlay not saved: {exc.message}", file=stderr)
            if args.json:
                stdout.write(json.dumps(_to_json(outcome), ensure_ascii=False) + "\n")
            elif outcome.ok:
                stdout.write(_summary_line(outcome) + "\n")
            stdout.flush()
    except Cancelled:
        print("\ndermstation analyze: cancelled", file=stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("\ndermstation analyze: interrupted", file=stderr)
        return 130
    if show_bar:
        stderr.write(f"\r[{total}/{total}] done{' ' * 60}\n")
    if failed:
        print(f"dermstation analyze: {failed} of {total} file(s) failed", file=stderr)
    return EXIT_FAILED if failed else EXIT_OK


def run_compare(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """``dermstation compare BEFORE AFTER``: what History shows, as text or one JSON object."""
    from dermstation.inference.follow_up import Verdict
    from dermstation.services.comparison import compare_files

    spacing = args.pixel_spacing or [None]
    if len(spacing) > 2 or any(s is not None and not s > 0 for s in spacing):
        print("error: --pixel-spacing takes one or two positive sizes in mm", file=stderr)
        return EXIT_USAGE
    spacings = (spacing[0], spacing[-1])
    names = args.device_profile or []
    if len(names) > 2 or (names and args.pixel_spacing):
        print("error: --device-profile takes one or two profile names, and not with --pixel-spacing", file=stderr)
        return EXIT_USAGE
    try:
        found = device_profiles(names) if names else [None]
    except DermStationError as exc:
        print(f"error: {exc.message}", file=stderr)
        return EXIT_FAILED
    service = AnalysisService(models_dir=args.models, provider=args.provider)
    try:
        result, _before, _after = compare_files(service, args.before, args.after, spacings, (found[0], found[-1]))
    except DermStationError as exc:
        print(f"error: {exc.message}", file=stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps({"before": str(args.before), "after": str(args.after), **result.to_dict()},
                         ensure_ascii=False), file=stdout)
    else:
        def size(before: float | None, after: float | None, pct: float | None, unit: str) -> str:
            if before is None or after is None or pct is None:
                return "not compared"
            return f"{before:.2f} {unit} -> {after:.2f} {unit} ({pct:+.1f} %)"

        print(f"verdict: {result.verdict}", file=stdout)
        print(f"aligned: {'yes' if result.aligned else 'no'}; same lesion: "
              f"{ {True: 'yes', False: 'no', None: 'not checked'}[result.same_lesion] }", file=stdout)
        print(f"diameter: {size(result.diameter_before, result.diameter_after, result.diameter_change_pct, result.length_unit)}",
              file=stdout)
        print(f"area: {size(result.area_before, result.area_after, result.area_change_pct, result.area_unit)}",
              file=stdout)
        if result.colours_added or result.colours_lost:
            print(f"colours: new {', '.join(result.colours_added) or '-'}; gone {', '.join(result.colours_lost) or '-'}",
                  file=stdout)
        for note in result.notes:
            print(f"note: {note}", file=stdout)
    return EXIT_OK if result.verdict in (Verdict.STABLE, Verdict.CHANGED) else EXIT_FAILED


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Entry point for ``dermstation analyze ...`` (``argv`` with or without the leading ``analyze``)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or args_list[0] not in {"analyze", "compare", "calibrate", *MAINTENANCE_COMMANDS}:
        args_list = ["analyze", *args_list]
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:
        return int(exc.code or 0) if exc.code in (0, None) else EXIT_USAGE
    if args.command in MAINTENANCE_COMMANDS:
        return run_maintenance(args, stdout or sys.stdout, stderr or sys.stderr)
    if args.command == "compare":
        return run_compare(args, stdout or sys.stdout, stderr or sys.stderr)
    if args.command == "calibrate":
        return run_calibrate(args, stdout or sys.stdout, stderr or sys.stderr)
    return run_analyze(args, stdout or sys.stdout, stderr or sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
