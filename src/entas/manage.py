"""The `entas` console script: Django's manage.py for this project (`entas migrate`, `entas runserver`)."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entas.settings")
    from django.core.management import execute_from_command_line

    from entas.core.startup import quick_setup

    argv = argv if argv is not None else sys.argv
    if argv[1:2] != ["runserver"]:  # the development server's autoreloader wants to load the code itself
        quick_setup()
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
