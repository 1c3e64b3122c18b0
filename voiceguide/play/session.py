"""The live session: its threads wired up (speech made ahead, steps laid out ahead, the device, keys,
voice), and its loop: keys in, blocks out, the screen kept up to date, until the session ends or is quit."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from voiceguide.play.keymap import KEY_COMMANDS, Command
from voiceguide.play.player import Player
from voiceguide.play.ui import LiveDisplay
from voiceguide.play.voice import VoiceCommands

if TYPE_CHECKING:  # the session's stages are imported when it is played, so that the command line starts fast
    from voiceguide.audio.mixer import Mixer
    from voiceguide.audio.soundstage import Soundstage
    from voiceguide.play.hearing import Hearing
    from voiceguide.play.live import LiveOutput
    from voiceguide.play.program import Program, Snapshot, StartPoint
    from voiceguide.play.requests import PlayOptions, SoundOptions
    from voiceguide.play.resume import StopPoint
    from voiceguide.play.tracking import SessionTracking
    from voiceguide.script.model import Script
    from voiceguide.speech.clips import SpeechBank
    from voiceguide.speech.engines import EngineSynthesizer

KEY_WAIT_SECONDS = 0.02
"""How long each turn of the loop waits for a key: short against the ~0.5 s the stream holds."""


class KeySource(Protocol):
    """Where keys come from (``keyboard.KeyReader``)."""

    def read(self, timeout: float) -> str | None:
        """The next key's name, or None when none came within ``timeout`` seconds."""
        ...


class Prefetcher(Protocol):
    """What ``prefetch_in_order`` needs of a speech bank (``speech.clips.SpeechBank``)."""

    def prefetch(self, texts: Sequence[str]) -> None:
        """Make sure every text has a clip."""
        ...


def run_live(player: Player, keys: KeySource, display: LiveDisplay, voice: VoiceCommands | None = None) -> None:
    """Play until the player is done: each key's (and spoken) command, then blocks, then the screen."""
    while not player.done:
        key = keys.read(KEY_WAIT_SECONDS)
        # A key that means nothing gets the spoken list of keys.
        command = KEY_COMMANDS.get(key, Command.HELP) if key is not None else None
        if command is not None:
            player.handle(command)
        spoken = voice.take(player.paused) if voice is not None else None
        if spoken is not None:
            player.handle(spoken)
        player.pump()
        display.update(player.poll(), player.status)
    display.last(player.status)


FIRST_SESSION_TEXTS = 2
"""Session texts synthesized before the key answers: what plays while the rest is made."""


def prefetch_order(session_texts: Sequence[str], answers: Sequence[str]) -> list[str]:
    """The order to synthesize in: the session's first texts, then the key answers, then the rest.

    The answers come early so that a key pressed in the first seconds is answered at once,
    not after the engine has made every sentence of the session.
    """
    first = list(session_texts[:FIRST_SESSION_TEXTS])
    return [*first, *(text for text in answers if text not in first), *session_texts[FIRST_SESSION_TEXTS:]]


def prefetch_in_order(bank: Prefetcher, texts: Sequence[str], stop: threading.Event) -> None:
    """Synthesize ``texts`` in order of first use, in growing batches (runs on a thread), until ``stop`` is set.

    The first batches are small so the first cues are ready at once; later ones
    are large, which is faster per text.  A failure is left for the compiler
    thread to meet and report when it needs that text.
    """
    size = 1
    done = 0
    try:
        while done < len(texts) and not stop.is_set():
            bank.prefetch(texts[done:done + size])
            done += size
            size = min(size * 2, 8)
    except Exception:  # noqa: BLE001 - reported by the compiler thread, which needs the same clip
        return


def play_session(options: PlayOptions, warnings: list[str], resume: StopPoint | None = None) -> bool:
    """``play``: the session, live, with keys (and voice), until it ends, is quit, or Ctrl-C stops it.

    Returns True when Ctrl-C at the keyboard stopped it (the listener quitting,
    as ``q`` does); a signal (SIGTERM, SIGHUP), or Ctrl-C under ``--traceback``,
    raises ``KeyboardInterrupt``.  The session log's warnings are collected in
    ``warnings`` to be shown afterwards: while playing, standard error goes to
    ``play.log``.  ``resume``: start at the beginning of that step (``play --resume``).
    """
    import contextlib

    from voiceguide.dsp.levelling import preload as preload_levelling
    from voiceguide.play.interrupts import signals_interrupt
    from voiceguide.play.prepare import load_session, session_synthesizer
    from voiceguide.play.tracking import session_tracking
    from voiceguide.system.library_messages import library_messages_to, messages_path

    script = load_session(options.session)
    # The speech engine starts (a process of its own) while the log is read and the device opens.
    engine = _Opening(lambda: session_synthesizer(options.session.sound, script))
    # Words never said before (a cold cache's first cue, the status) are levelled on the spot: the
    # levelling libraries (soxr, numpy's FFT: tens of ms since scipy is not among them) load while the
    # engine and the audio stream start.  Not a daemon: a session stopped at once waits for the import
    # to end rather than exit in its middle.
    threading.Thread(target=preload_levelling, name="voiceguide-preload").start()
    try:
        tracking = session_tracking(options, script, warnings)
        start = start_point(options, script, resume)
        # Voice commands: the model, the detector and the microphone are checked before any sound.
        hearing = _hearing(options.mic) if options.listen else None
        _wait_for_portaudio()
        with signals_interrupt() as signalled:
            # The libraries write to file descriptor 2 directly: over the status line, unless logged.
            quiet = contextlib.nullcontext() if options.verbose else library_messages_to(messages_path())
            try:
                with quiet:
                    _play_on_device(options, script, start, tracking, hearing, engine)
                return False
            except KeyboardInterrupt:
                if signalled or options.traceback:
                    raise  # stopped by the system (SIGTERM, SIGHUP): "interrupted", exit 130
                return True
    finally:
        engine.close()


def _wait_for_portaudio() -> None:
    """Let sounddevice's import (begun on a thread by the command line: PortAudio starts early) end first.

    That import points file descriptor 2 at /dev/null while PortAudio starts, then puts back what it found.
    Interleaved with ``library_messages_to``, it put the terminal back under the log's redirection, which
    then "restored" /dev/null: what the command printed after the session was lost ("voiceguide:
    interrupted" after a SIGTERM, exit 130 all the same: 3 runs in 120 at load 9-15).  A failure to load
    PortAudio is reported when the device is opened, as before.
    """
    import contextlib

    from voiceguide.play.live import import_sounddevice

    with contextlib.suppress(Exception):
        import_sounddevice()


class _Opening:
    """The speech engine being opened on a thread of its own (not a daemon: see ``Program.join``)."""

    def __init__(self, open_engine: Callable[[], EngineSynthesizer]) -> None:
        self._open = open_engine
        self._engine: EngineSynthesizer | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="voiceguide-engine")
        self._thread.start()

    def _run(self) -> None:
        try:
            self._engine = self._open()
        except BaseException as error:  # noqa: BLE001 - raised where the engine is taken
            self._error = error

    def result(self) -> EngineSynthesizer:
        """The engine, once open; raises what opening it raised (``EngineError``)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._engine is not None
        return self._engine

    def close(self) -> None:
        """Close the engine (waiting for it to open, if it still is): the session is over."""
        self._thread.join()
        if self._engine is not None:
            self._engine.close()


def _hearing(mic: str | None) -> Hearing:
    from voiceguide.play.hearing import Hearing

    return Hearing(mic)


def start_point(options: PlayOptions, script: Script, resume: StopPoint | None = None) -> StartPoint | None:
    """The span or chapter ``--from``/``--from-section`` (or ``resume``) names (None: the start); ``UsageError``
    when there is none."""
    from voiceguide.errors import UsageError
    from voiceguide.play.program import Program, find_start_point
    from voiceguide.play.resume import resume_start
    from voiceguide.timeline.compiler import iter_timeline

    if options.from_step is None and options.from_section is None and resume is None:
        return None
    sound = options.session.sound
    # Found before any sound, on the whole session laid out with dummy lengths.
    rough = Program(script.title, iter_timeline(script, lambda text: 1, pace=sound.pace, cautions=sound.cautions),
                    background=False)
    try:
        if resume is not None:
            return resume_start(rough.snapshot(), resume)
        return find_start_point(rough.snapshot(), step=options.from_step, section=options.from_section)
    except LookupError as error:
        if resume is not None:
            raise UsageError(f"--resume: {error}.") from None
        option = "--from" if options.from_step is not None else "--from-section"
        where = "'voiceguide plan'" if options.session.text is None else (  # a quick session has no file to plan
            "'--save FILE' writes the session; 'voiceguide plan FILE'")
        raise UsageError(f"{option}: {error}.", hint=f"{where} shows every step's number, label and section") from None


def _play_on_device(options: PlayOptions, script: Script, start: StartPoint | None, tracking: SessionTracking,
                    hearing: Hearing | None, engine: _Opening) -> None:
    """Open the output device (its lead-in silence plays while the speech engine starts) and play into it."""
    from voiceguide.audio.soundstage import soundstage
    from voiceguide.play.live import LiveOutput, NoOutputDevice
    from voiceguide.speech.clip_cache import default_cache_dir
    from voiceguide.timeline.least_length import least_length

    sound = options.session.sound
    # A missing bed file: before any sound.  The session's least length lets a bed start before its end is known.
    stage = soundstage(script, sound, default_cache_dir(),
                       least_length=least_length(script, pace=sound.pace, cautions=sound.cautions))
    if stage.has_bed:  # its sound made while the device opens and the engine starts (not a daemon: see Program.join)
        threading.Thread(target=stage.prepare, name="voiceguide-bed").start()
    played = None if hearing is None or hearing.played is None else hearing.played.played
    try:
        output = LiveOutput(device=options.device, on_sound=hearing.gate.note_sound if hearing is not None else None,
                            channels=stage.channels, on_played=played)
    except NoOutputDevice:
        raise NoOutputDevice(options.session.script) from None
    try:
        _play(options, script, output, start, tracking, hearing, engine.result(), stage)
    except BaseException:
        output.abort()
        raise
    output.close()


def _play(options: PlayOptions, script: Script, output: LiveOutput, start_point: StartPoint | None,
          tracking: SessionTracking, hearing: Hearing | None, synth: EngineSynthesizer,
          stage: Soundstage | None = None) -> None:
    """Play ``script`` into ``output`` from ``start_point``, with keys and screen, until it ends or is quit."""
    from voiceguide.audio.loudness import levelled_tones
    from voiceguide.audio.mixer import SessionClips
    from voiceguide.base import SAMPLE_RATE
    from voiceguide.play.prepare import session_volume
    from voiceguide.play.program import Program
    from voiceguide.play.render import stage_renderer
    from voiceguide.script.pronounce import spoken_forms
    from voiceguide.speech.clip_cache import default_cache_dir
    from voiceguide.speech.clips import SpeechBank
    from voiceguide.timeline.compiler import iter_timeline
    from voiceguide.timeline.length_limit import held_to_limit

    sound = options.session.sound
    # Every text the session speaks, the answers and status included, as its pronounce says.
    bank = SpeechBank(synth, default_cache_dir(), spoken=spoken_forms(script.pronounce).spoken)
    prefetch_stop = threading.Event()
    prefetcher = threading.Thread(target=prefetch_in_order, args=(bank, _texts(script, sound, tracking), prefetch_stop),
                                  name="voiceguide-prefetch", daemon=True)
    prefetcher.start()
    # Steps are laid out (and their speech measured) on a thread, ahead of the playhead.
    program = Program(script.title, held_to_limit(script, iter_timeline(script, bank.measure, pace=sound.pace,
                                                                        cautions=sound.cautions), SAMPLE_RATE))
    start = 0 if start_point is None else start_point.frame(program.wait(start_point.ready))
    clips = SessionClips(bank, levelled_tones(default_cache_dir()))

    live = _Live(program, stage_renderer(clips, stage), output, bank, session_volume(sound, script), start)
    try:
        live.run(options, script, tracking, hearing)
    finally:
        prefetch_stop.set()
        program.close()
        synth.close()  # a synthesis in progress ends at once
        # Not to exit while they are in native code (see Program.join): the process would abort.
        prefetcher.join(timeout=10)
        program.join(timeout_seconds=10)


def _texts(script: Script, sound: SoundOptions, tracking: SessionTracking) -> list[str]:
    """The session's texts in order of first use, the fixed key feedback early among them (so keys answer at
    once); the first pain question before them all, the other pain sentences last."""
    from voiceguide.play.commands import fixed_feedback
    from voiceguide.timeline.compiler import script_phrasebook, utterances

    ask_first, ask_later = tracking.texts()
    session_texts = utterances(script, pace=sound.pace, cautions=sound.cautions)
    return ask_first + prefetch_order(session_texts, fixed_feedback(script_phrasebook(script))) + ask_later


@dataclass
class _Live:
    """What the live loop plays: the program, its mixers, the device, the speech, the volume, the first frame."""

    program: Program
    make_renderer: Callable[[Snapshot], Mixer]
    output: LiveOutput
    bank: SpeechBank
    volume: float
    start: int

    def run(self, options: PlayOptions, script: Script, tracking: SessionTracking, hearing: Hearing | None) -> None:
        """The keys, the screen, the pain questions and the player, until the session ends or is quit."""
        from voiceguide.play.keyboard import KeyReader
        from voiceguide.play.tracking import VoiceRouter
        from voiceguide.timeline.compiler import script_phrasebook

        output, program = self.output, self.program
        display = LiveDisplay(sys.stdout, plain=options.plain or not sys.stdout.isatty(),
                              sample_rate=output.sample_rate)
        player: Player | None = None
        voice = VoiceCommands() if hearing is not None else None
        # What is heard answers a pain question while one waits, and is a command otherwise.
        router = VoiceRouter(voice.put) if voice is not None else None
        listener = None
        with KeyReader() as reader:
            display.header(script.title, program.snapshot().length, keys=reader.interactive)
            if reader.unavailable is not None:  # a terminal this platform cannot read keys from
                display.message(f"voiceguide: note: {reader.unavailable}.")
            ask = tracking.asker(reader, display.message, output, self.bank.clip, self.volume, output.sample_rate,
                                 router)
            try:
                if hearing is not None and router is not None:
                    listener = hearing.listener(router.on_heard)
                tracking.before(ask)  # the pain question, when asked for
                # The keys answer in the script's language.
                player = Player(program, self.make_renderer, output, self.bank.clip, start_frame=self.start,
                                volume=self.volume, sample_rate=output.sample_rate, phrases=script_phrasebook(script))
                tracking.start()
                run_live(player, reader, display, voice)
                tracking.after(ask, quit=player.transport.stopping)
            except KeyboardInterrupt:
                tracking.interrupted()
                raise
            finally:
                if listener is not None:
                    listener.close()
                display.finish()
                tracking.finish(program, player, output.sample_rate)
