"""What every ``gridsvc`` command shares: clean failure on domain errors, and the engine."""

from __future__ import annotations

import functools
import sys

import click

from gridsvc.errors import GridsvcError
from gridsvc.labels import say
from gridsvc.settings import Settings


def fail_cleanly(func):
    """Domain errors end the command with their message and exit code 2, not a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except GridsvcError as exc:
            click.echo(say("error", message=exc), err=True)
            sys.exit(2)

    return wrapper


def engine(settings: Settings):
    """The database as the CLI sees it: everything, as the local admin (named in the audit log)."""
    from gridsvc.db.engine import make_engine
    from gridsvc.services.access import local_admin, scoped

    return scoped(make_engine(settings), local_admin())
