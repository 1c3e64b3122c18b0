"""Live commands: ``play``, ``devices``, ``listen-test``.

Stages are imported inside each command, so that start-up loads only what the command needs.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import typing

from voiceguide.cli.options import ListenTestOptions, PlayOptions
from voiceguide.errors import ExitStatus

if typing.TYPE_CHECKING:
    from voiceguide.play.listen import Heard


def cmd_play(options: PlayOptions) -> int:
    """``play``: the session, live; Ctrl-C at the keyboard stops it as ``q`` does (exit 0)."""
    # PortAudio starts (finding its library, listing the devices: 0.1-0.3 s, mostly outside the interpreter)
    # while the session's modules load.  Not a daemon: the process never exits inside the library's start.
    threading.Thread(target=_load_portaudio, name="voiceguide-portaudio").start()
    from voiceguide.play.session import play_session

    resume = None
    if options.resume:
        from voiceguide.play.resume import resume_options
        from voiceguide.printable import printable

        options, target = resume_options(options)
        if target.command is not None:
            from voiceguide.cli.options import resumed_quick_options

            options = resumed_quick_options(options, target.command, target.script_sha256)
        resume = target.point
        print(printable(f'Resuming "{target.session}" from step {resume.step}'
                        + (f" (round {resume.occurrence})" if resume.occurrence > 1 else "") + ".",
                        one_line=True))
    warnings: list[str] = []
    try:
        if play_session(options, warnings, resume):
            print("voiceguide: stopped", file=sys.stderr)
        return ExitStatus.OK
    finally:
        for warning in warnings:
            print(warning, file=sys.stderr)


def _load_portaudio() -> None:
    """Import sounddevice, which starts PortAudio; a failure is reported when the device is opened."""
    with contextlib.suppress(Exception):  # OSError without PortAudio: play.live says so, with its hint
        import sounddevice  # noqa: F401


def cmd_listen_test(options: ListenTestOptions) -> int:
    """``listen-test``: the microphone's level and what is heard, to check the set-up before lying down."""
    from voiceguide.play.command_words import SUGGESTED
    from voiceguide.play.hearing import Hearing, listen_for

    hearing = Hearing(options.mic)
    tty = sys.stdout.isatty()
    lock = threading.Lock()

    def level(dbfs: float) -> None:
        if not tty:
            return
        bars = max(0, min(30, round((dbfs + 60) / 2)))
        with lock:
            sys.stdout.write(f"\rlevel {'#' * bars:<30} {dbfs:6.1f} dBFS ")
            sys.stdout.flush()

    def heard(item: Heard) -> None:
        from voiceguide.play.screen import redraw
        from voiceguide.printable import printable

        what = f"command: {item.action}" if item.action else f"ignored: {item.ignored}" if item.ignored else (
            "not a command")
        line = f"heard {printable(item.text, one_line=True)!r} ({what})"
        with lock:
            sys.stdout.write((redraw(line) if tty else line) + "\n")
            sys.stdout.flush()

    print(f"Listening. Say a command ({', '.join(SUGGESTED)})."
          + (" Ctrl-C ends." if options.seconds is None else ""))
    try:
        listen_for(hearing, options.seconds, heard, level)
    finally:
        if tty:
            print()
    return ExitStatus.OK


def cmd_devices(options: None) -> int:
    """``devices``: the audio output devices, the default marked."""
    from voiceguide.play.live import NoOutputDevice, list_devices

    devices = list_devices()
    if not devices:
        raise NoOutputDevice()
    for device in devices:
        mark = "*" if device.is_default else " "
        print(f"{mark} {device.index:>3}  {device.name}  ({device.host_api}, "
              f"{device.channels} channel{'s' if device.channels != 1 else ''}, "
              f"{device.default_sample_rate:g} Hz)")
    return ExitStatus.OK
