"""Entry point: ``dermstation`` starts the workstation; ``dermstation analyze ...`` runs headless."""

from __future__ import annotations

import sys

HEADLESS_COMMANDS = {"analyze", "compare", "backup", "restore", "verify", "migrate-database"}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in HEADLESS_COMMANDS:
        # imported lazily so the headless path never loads Qt
        from dermstation.cli import main as cli_main

        return cli_main(args)
    if args and args[0] in {"-h", "--help"}:
        print("usage: dermstation            start the workstation\n"
              "       dermstation analyze PATH... [--json] [--save-overlays DIR] [--tta]\n"
              "       dermstation compare BEFORE AFTER [--pixel-spacing MM [MM]] [--json]\n"
              "       dermstation backup DEST | restore SRC | verify | migrate-database --to URL\n"
              "       dermstation --version | doctor")
        return 0
    if args and args[0] in {"--version", "-V"}:
        from dermstation.services.installation import version_text

        print(version_text())
        return 0
    if args and args[0] == "doctor":
        from dermstation.services.installation import doctor

        checks = doctor()
        for check in checks:
            print(f"{'ok  ' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
        return 0 if all(c.ok for c in checks) else 1
    from dermstation.app import main as app_main

    return app_main([sys.argv[0], *args])


if __name__ == "__main__":
    sys.exit(main())
