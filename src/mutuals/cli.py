"""The ``mutuals`` command: every Django management command behind one entry point.

``mutuals --help`` lists the product's own commands with what each does, then
the framework commands most often needed; ``mutuals COMMAND --help`` gives a
command's options.
"""

from __future__ import annotations

import gc
import os
import sys

FRAMEWORK_COMMANDS = ("migrate", "runserver", "check", "createsuperuser", "shell", "dbshell")


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutuals.settings")
    if not argv or argv[0] in {"-h", "--help", "help"} and len(argv) == 1:
        print(overview())
        return
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["mutuals", *argv])
    finally:
        # The command is done and the process about to end. The interpreter's collections
        # as it shuts down would walk every object Django and the libraries made at
        # start-up, all of which live until now anyway: 0.2-0.3 s after any command, on a
        # two-core machine. Frozen, they are left to the operating system to free.
        gc.freeze()


def overview() -> str:
    """The text of ``mutuals --help``: each command with its one-line help."""
    import django
    from django.core.management import get_commands, load_command_class

    django.setup()
    ours, framework = [], []
    for name, app in sorted(get_commands().items()):
        if app.startswith("mutuals."):
            ours.append((name, app))
        elif name in FRAMEWORK_COMMANDS:
            framework.append((name, app))
    lines = ["usage: mutuals COMMAND [options]   (mutuals COMMAND --help for its options)", ""]
    lines.append("Commands:")
    lines += [_line(name, load_command_class(app, name)) for name, app in ours]
    lines += ["", "Framework commands:"]
    lines += [_line(name, load_command_class(app, name)) for name, app in framework]
    return "\n".join(lines)


def _line(name: str, command) -> str:
    summary = (command.help or "").strip().splitlines()
    return f"  {name:<22} {summary[0] if summary else ''}"


if __name__ == "__main__":
    main()
