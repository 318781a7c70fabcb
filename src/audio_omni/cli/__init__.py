"""The `audio-omni` command line: one typer app of thin commands, one error handler, lazy imports.

One module per command group, each with ``register(app)``; a command parses its options, runs the cheap
checks (paths, numbers, names: :mod:`audio_omni.validation`, :mod:`audio_omni.outputs`), then calls the
library and prints. Library modules are imported inside the commands, so ``audio-omni --help`` and
``import audio_omni.cli`` load neither torch nor the data engine (``benchmarks/bench_cli_import.py``).

    generation.py   generate, edit, understand
    checkpoints.py  info, convert-official
    data.py         data sources | build | stats
    training.py     train, preencode
    serving.py      serve (HTTP API), app (web app)
    evaluation.py   eval, eval-suite

A new command group is one more module with a ``register(app)`` function, named in COMMAND_GROUPS below.

Errors: every user mistake ends the process with ONE ``error: ...`` line on stderr and exit code 2 -- an
:class:`audio_omni.errors.AudioOmniError`, a usage error (unknown option, value out of range), an OSError
(missing file, read-only or full disk) and a ValueError (a bad number). ``AUDIO_OMNI_DEBUG=1`` shows the
traceback instead. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import os

# Nothing is ever fetched from a model hub at run time; without these, a hub lookup hangs before failing.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import importlib  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
from typing import Annotated, Any  # noqa: E402

import typer  # noqa: E402
from typer.core import TyperGroup  # noqa: E402

from audio_omni.errors import AudioOmniError  # noqa: E402

try:  # typer 0.2x carries its own copy of click
    from typer._click import exceptions as click_errors  # noqa: E402
except ImportError:  # older typer uses click itself
    from click import exceptions as click_errors  # noqa: E402

__all__ = ["COMMAND_GROUPS", "app", "main"]

#: Modules of audio_omni.cli whose ``register(app)`` adds their commands, in the order --help lists them.
COMMAND_GROUPS = ("generation", "checkpoints", "serving", "data", "training", "evaluation")

USER_ERRORS = (AudioOmniError, OSError, ValueError)
ABORTS = (typer.Abort, getattr(click_errors, "Abort", typer.Abort), KeyboardInterrupt)
USAGE_EXIT = 2
INTERRUPTED_EXIT = 130


def error_line(err: BaseException) -> str:
    """One line that says what went wrong, without the exception's type or a traceback."""
    if isinstance(err, click_errors.ClickException):
        text = err.format_message()
        ctx = getattr(err, "ctx", None)
        if ctx is not None:
            text = f"{text.rstrip('.')} (see '{ctx.command_path} --help')"
    elif isinstance(err, OSError) and not isinstance(err, AudioOmniError) and err.strerror:
        text = f"{err.strerror}: '{err.filename}'" if err.filename else err.strerror
    else:
        text = str(err) or type(err).__name__
    return "error: " + "; ".join(part.strip() for part in text.splitlines() if part.strip())


class _ReportingGroup(TyperGroup):
    """The root command. It turns user errors into one `error:` line and exit code 2, for the console
    script, `python -m audio_omni.cli` and typer's CliRunner alike (they all call `main`)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra: Any):
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click_errors.NoArgsIsHelpError as err:  # `audio-omni`, `audio-omni data`: the help
            err.show()
            code = err.exit_code
        except click_errors.ClickException as err:
            typer.secho(error_line(err), err=True, fg="red")
            code = err.exit_code
        except ABORTS:
            typer.echo("interrupted", err=True)
            code = INTERRUPTED_EXIT
        except USER_ERRORS as err:
            if os.environ.get("AUDIO_OMNI_DEBUG"):
                raise
            typer.secho(error_line(err), err=True, fg="red")
            code = USAGE_EXIT
        code = code if isinstance(code, int) else 0
        if not standalone_mode:
            return code
        sys.exit(code)


def _show_version(value: bool) -> None:
    if value:
        from audio_omni import __version__

        typer.echo(f"audio-omni {__version__}")
        raise typer.Exit()


app = typer.Typer(
    name="audio-omni",
    cls=_ReportingGroup,
    help="Understand, generate and edit sound, music and speech with one model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click help, wrapped to the terminal (120 columns when not a terminal) instead of boxed at 80.
    rich_markup_mode=None,
    context_settings={
        "help_option_names": ["-h", "--help"],
        "terminal_width": max(60, min(shutil.get_terminal_size((120, 24)).columns, 160) - 2),
        "max_content_width": 160,
    },
)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="print the version and exit")
    ] = False,
) -> None:
    """Understand, generate and edit sound, music and speech with one model."""


for _group in COMMAND_GROUPS:
    importlib.import_module(f"{__name__}.{_group}").register(app)


def _one_line_warnings() -> None:
    """Python warnings as `warning: message` lines, not with the source line that raised them."""
    import warnings

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        print(f"warning: {message}", file=sys.stderr if file is None else file)

    warnings.showwarning = show


def main() -> None:
    """The console script `audio-omni` and `python -m audio_omni.cli`."""
    _one_line_warnings()
    app(prog_name="audio-omni")
