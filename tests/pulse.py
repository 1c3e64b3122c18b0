"""A private PulseAudio server with a null sink, for tests that play real audio.

``start_pulse`` (behind the ``pulse_server`` fixture in conftest.py) starts
``pulseaudio`` on a socket in a temporary directory with one null sink, and
yields a ``PulseServer`` whose ``env`` routes children's audio there
(``PULSE_SERVER``; PortAudio reaches it through ALSA's pulse plugin, whose
default device follows PULSE_SERVER) and whose ``record`` captures the sink's
monitor in real time with ``parecord``.

Without ``pulseaudio``/``parecord`` the tests are skipped, except under
``CI=true``, where a missing audio server is a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile

from tests.required import required

SINK = "voiceguide_test"
MICROPHONE = "voiceguide_mic"
"""With ``microphone=True``: a second null sink whose monitor is the default source (the microphone)."""
RECORD_RATE = 22050
SAY_LATENCY_MSEC = 1000
"""The buffer ``paplay`` keeps ahead of the microphone.  A person never stops mid-word; a process on a loaded
machine does: with 10 ms, stalls of paplay (load 10-12 on 2 cores) put silence into what it said, the room's
minute of television took 85-90 s instead of 62, and "Time left." came as "Time" and, after a gap, "left"
(heard as talk) or stretched past a command's 3 s.  A second ahead rides out such stalls; ``wait`` still
returns only once all of it has been played (paplay drains its stream)."""


def _unavailable(reason: str) -> None:
    required(reason)


@dataclass
class PulseServer:
    """A running private PulseAudio server."""

    directory: Path
    sink: str
    env: dict[str, str] = field(default_factory=dict)
    microphone: str | None = None

    def say_into_microphone(self, path: Path) -> subprocess.Popen[bytes]:
        """Start playing a WAV file into the microphone (as a person speaking); returns the paplay process."""
        assert self.microphone is not None, "start_pulse(microphone=True) gives the server a microphone"
        return subprocess.Popen(["paplay", "-d", self.microphone, f"--latency-msec={SAY_LATENCY_MSEC}", str(path)],
                                env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    @contextmanager
    def record(self, path: Path, sink: str | None = None) -> Iterator[Path]:
        """Record the sink's monitor (or ``sink``'s: the microphone's) into ``path`` (mono WAV, 22050 Hz) while
        the block runs."""
        process = subprocess.Popen(
            ["parecord", "-d", f"{sink or self.sink}.monitor", "--file-format=wav", f"--rate={RECORD_RATE}",
             "--channels=1", "--format=s16le", "--latency-msec=10", str(path)],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # stopped with SIGINT below
        )
        try:
            _RECORDING_STARTED[path] = _wait_for_recording(process, path)
            yield path
        finally:
            # parecord writes the WAV header's lengths on a clean exit (SIGINT/SIGTERM).
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def wait_for_the_last_buffers(self, path: Path, margin_seconds: float = 0.5, timeout: float = 10) -> None:
        """Wait until ``path`` (being recorded) holds what the sink played until now, and ``margin_seconds`` more.

        The monitor's last buffers reach parecord after the player has gone: the
        recording is complete once its length has caught up with the clock.
        """
        started_at, started_bytes = _RECORDING_STARTED[path]
        needed = started_bytes + round((time.monotonic() - started_at + margin_seconds) * RECORD_RATE) * 2
        deadline = time.monotonic() + timeout
        while path.stat().st_size < needed:
            if time.monotonic() > deadline:
                raise RuntimeError(f"parecord fell behind: {path.stat().st_size} of {needed} bytes")
            time.sleep(0.02)

    def read(self, path: Path) -> npt.NDArray[np.float64]:
        """A recording's samples."""
        samples, rate = soundfile.read(str(path), dtype="float64", always_2d=False)
        assert rate == RECORD_RATE
        return np.asarray(samples)


_RECORDING_STARTED: dict[Path, tuple[float, int]] = {}
"""Each recording's start: (monotonic time, bytes in the file then)."""


def _wait_for_recording(process: subprocess.Popen[bytes], path: Path) -> tuple[float, int]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"parecord exited: {error}")
        if path.exists() and path.stat().st_size > 44 + 4410:  # header + 0.1 s of audio
            return time.monotonic(), path.stat().st_size
        time.sleep(0.02)
    raise RuntimeError("parecord did not start recording")


@contextmanager
def start_pulse(directory: Path, sink: str = SINK, *, microphone: bool = False,
                echo: bool = False) -> Iterator[PulseServer]:
    """Run a private PulseAudio server in ``directory`` until the block ends.

    ``microphone``: also a null sink ``MICROPHONE`` whose monitor is the default
    source, so what is played into it (``say_into_microphone``) is what a
    program recording from the default microphone hears.  ``echo``: the
    speaker's sound is looped into that microphone too, as a room would.
    """
    if shutil.which("pulseaudio") is None or shutil.which("parecord") is None:
        _unavailable("PulseAudio is not installed (apt install pulseaudio pulseaudio-utils)")
    directory.mkdir(parents=True, exist_ok=True)
    socket = directory / "native"
    config = directory / "server.pa"
    config.write_text(
        f"load-module module-native-protocol-unix socket={socket} auth-anonymous=1\n"
        f"load-module module-null-sink sink_name={sink} rate={RECORD_RATE} channels=1\n"
        f"set-default-sink {sink}\n"
        + (f"load-module module-null-sink sink_name={MICROPHONE} rate=16000 channels=1\n"
           f"set-default-source {MICROPHONE}.monitor\n" if microphone else "")
        + (f"load-module module-loopback source={sink}.monitor sink={MICROPHONE} latency_msec=20\n"
           if microphone and echo else "")
    )
    env = dict(os.environ)
    env.update({
        "PULSE_SERVER": f"unix:{socket}",
        "HOME": str(directory),  # pulseaudio keeps its cookie and state under $HOME
        "XDG_RUNTIME_DIR": str(directory),
        "XDG_CONFIG_HOME": str(directory / "config"),
    })
    # The test's own cache stays where it was: only the server's HOME moves.
    for name in ("VOICEGUIDE_CACHE_DIR", "XDG_CACHE_HOME"):
        if name in os.environ:
            env[name] = os.environ[name]
    if "XDG_CACHE_HOME" not in env:
        env["XDG_CACHE_HOME"] = str(Path.home() / ".cache")
    log = (directory / "pulseaudio.log").open("wb")
    server = subprocess.Popen(
        ["pulseaudio", "-n", "-F", str(config), "--daemonize=no", "--exit-idle-time=-1",
         "--use-pid-file=no", "--disable-shm=yes", "--log-target=stderr"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 10
        while not socket.exists():
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                text = (directory / "pulseaudio.log").read_text(errors="replace")
                _unavailable(f"PulseAudio did not start: {text[-500:]}")
            time.sleep(0.02)
        check = subprocess.run(["pactl", "info"], env=env, capture_output=True, timeout=10)
        if check.returncode != 0:
            _unavailable(f"PulseAudio is not answering: {check.stderr.decode(errors='replace')}")
        yield PulseServer(directory=directory, sink=sink, env=env, microphone=MICROPHONE if microphone else None)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


NO_DEVICE_ALSA = "pcm.voiceguide_none { type hw card 99 }\n"
"""An ALSA configuration in which no device opens (PortAudio asserts on one with no ``pcm`` at all)."""


def no_device_env(workdir: Path) -> dict[str, str]:
    """An environment in which PortAudio finds no output and no input, whatever devices the machine has.

    ALSA reads only our configuration (not the system's, ``~/.asoundrc`` or its
    ``hw`` definitions, so no sound card opens), PulseAudio is a missing socket,
    and JACK may not start or reach a server.
    """
    config = workdir / "no-device-alsa.conf"
    config.write_text(NO_DEVICE_ALSA)
    environment = dict(os.environ)
    environment.update({
        "PULSE_SERVER": f"unix:{workdir}/no-such-socket",
        "ALSA_CONFIG_PATH": str(config),
        "JACK_NO_START_SERVER": "1",
        "JACK_DEFAULT_SERVER": "voiceguide-test-none",
    })
    return environment
