"""Building steps and step lists from their nodes, once per node.

Model objects are built once per YAML node: an aliased step or step list used
many times becomes one shared object, so the model is a DAG no larger than the
file (``repeat`` is never expanded).
"""

from __future__ import annotations

from collections.abc import Callable

from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from voiceguide.errors import Position
from voiceguide.script.backgrounds import BackgroundReader
from voiceguide.script.durations import short_text
from voiceguide.script.kinds import KindReader
from voiceguide.script.loader import NULL_TAG, STR_TAG, describe_node
from voiceguide.script.mappings import Fields, MappingReader, Table, check_table
from voiceguide.script.model import BackgroundStep, Breathe, Chime, Pause, Press, Repeat, Say, Section, Step
from voiceguide.script.problems import Bad, Node, did_you_mean, one_of
from voiceguide.script.texts import text_problem
from voiceguide.script.values import ValueReader
from voiceguide.script.vocabulary import MAX_NESTING, NESTED_KEYS, STEP_KEYS, STEP_KINDS

_KINDS = frozenset(STEP_KINDS)
_STEP_TYPES: dict[str, Callable[..., Step]] = {
    "say": Say, "pause": Pause, "chime": Chime, "breathe": Breathe, "press": Press, "repeat": Repeat,
    "section": Section, "background": BackgroundStep,
}
_STEP_REQUIRED: dict[str, dict[str, str]] = {kind: {} for kind in STEP_KINDS}
_STEP_REQUIRED["repeat"] = {"steps": "the steps to repeat"}

_UNSEEN = object()
_BUILDING = object()


class StepBuilder:
    """Builds the steps of one document; a node seen before gives the same object (or the same refusal)."""

    def __init__(self, values: ValueReader, maps: MappingReader) -> None:
        self.values = values
        self.maps = maps
        self.report = values.report
        self.path = maps.document.path
        # Memo by node identity: an alias is the same node, so it becomes the same object.
        self._steps: dict[int, object] = {}  # a Step, None (invalid) or _BUILDING
        self._lists: dict[int, object] = {}  # a tuple of steps, None (invalid) or _BUILDING
        self._depth = 0  # how deeply nested the repeat whose steps are being read is
        kinds = KindReader(values, maps)
        backgrounds = BackgroundReader(values, maps)
        v = values
        label: Table = {"label": (v.text, "label")}
        self._fields: dict[str, Table] = {kind: check_table(STEP_KEYS[kind], table) for kind, table in {
            "say": {"say": (v.text, "text"), "pause": (v.positive, "pause"), **label},
            "pause": {"pause": (v.positive, "duration"), **label},
            "chime": {"chime": (kinds.chime, ""), **label},
            "breathe": {"breathe": (kinds.breathe, ""), **label},
            "press": {"press": (kinds.press, ""), **label},
            "repeat": {"repeat": (v.count, "times"), "steps": (self.repeat_steps, "steps"),
                       "announce": (v.boolean, "announce"), **label},
            "section": {"section": (v.text, "title"), "announce": (v.boolean, "announce"), **label},
            "background": {"background": (backgrounds.step, "background"), **label},
        }.items()}

    def top_steps(self, node: Node, name: str) -> tuple[Step, ...]:
        """The script's ``steps``."""
        return self.step_list(node, name, 0)

    def repeat_steps(self, node: Node, name: str) -> tuple[Step, ...]:
        """A repeat's ``steps``, one level deeper than the repeat."""
        return self.step_list(node, name, self._depth)

    def step_list(self, node: Node, name: str, depth: int) -> tuple[Step, ...]:
        """A non-empty list of steps, built once per node."""
        key = id(node)
        built = self._lists.get(key, _UNSEEN)
        if built is _BUILDING:
            raise self.report.bad(node, "this list of steps contains itself (through an alias): it would never end")
        if built is None:
            raise Bad()
        if built is not _UNSEEN:
            return built  # type: ignore[return-value]
        self._lists[key] = _BUILDING
        try:
            if not isinstance(node, SequenceNode):
                raise self.report.bad(node, f"{name} must be a list of steps, got {describe_node(node)}: "
                                            f"{_LIST_FIX}")
            items = list(node.value)
            if not items:
                raise self.report.bad(node, f"{name} must not be empty: give at least one step")
            steps = [self.step(item, depth) for item in items]
        except Bad:
            self._lists[key] = None
            raise
        result = tuple(step for step in steps if step is not None)
        if len(result) != len(steps):
            self._lists[key] = None
            raise Bad()
        self._lists[key] = result
        return result

    def step(self, node: Node, depth: int) -> Step | None:
        """One step (None when invalid, after reporting why), built once per node."""
        key = id(node)
        built = self._steps.get(key, _UNSEEN)
        if built is _BUILDING:
            self.report.error(node, "this step contains itself (through an alias): it would never end")
            return None
        if built is not _UNSEEN:
            return built  # type: ignore[return-value]
        self._steps[key] = _BUILDING
        built = self._steps[key] = self._build_step(node, depth)
        return built

    def _build_step(self, node: Node, depth: int) -> Step | None:
        if isinstance(node, ScalarNode) and node.tag == STR_TAG:
            if not node.value.strip():
                self.report.error(node, "a step's text must not be empty")
                return None
            problem = text_problem(node.value, "a step's text")
            if problem is not None:
                self.report.error(node, problem)
                return None
            return Say(text=node.value, position=self._position(node))
        if not isinstance(node, MappingNode):
            hint = "; put it in quotes to speak it" if isinstance(node, ScalarNode) and node.tag != NULL_TAG else ""
            self.report.error(node, f"a step must be text to speak or a mapping with one of the keys "
                                    f"{one_of(STEP_KINDS)}, got {describe_node(node)}{hint}")
            return None
        found = self.maps.document.entries(node)[0]
        kinds = [name for name in found if name in _KINDS]
        kind = kinds[0] if len(kinds) == 1 else self._step_kind(node, found, kinds)
        if kind is None:
            return None
        nested = {kind: NESTED_KEYS[kind]} if kind in NESTED_KEYS else None
        entries = self.maps.entries(node, f"{kind} step", STEP_KEYS[kind], nested=nested)
        fields = Fields(self.maps, kind, entries[kind][0], entries)
        if kind == "repeat":
            if depth >= MAX_NESTING:
                self.report.error(fields.anchor, f"repeat is nested more than {MAX_NESTING} deep")
                return None
            saved, self._depth = self._depth, depth + 1
            try:
                values = fields.read(self._fields[kind])
            finally:
                self._depth = saved
        else:
            values = fields.read(self._fields[kind])
        fields.require(_STEP_REQUIRED[kind])
        if not fields.ok:
            return None
        values["position"] = self._position(node)
        return _STEP_TYPES[kind](**values)

    def _position(self, node: Node) -> Position:
        mark = node.start_mark
        return Position(self.path, mark.line + 1, mark.column + 1)

    def _step_kind(self, node: MappingNode, found: dict[str, tuple[Node, Node]], kinds: list[str]) -> str | None:
        """The kind of a mapping step that has not exactly one kind key (say with pause has one), or None."""
        names = set(kinds)
        if names == {"say", "pause"}:
            return "say"  # pause is then say's option
        if len(names) > 1:
            if "say" in names:
                names.discard("pause")  # say's own option, not a second kind
            first, second = sorted(names, key=STEP_KINDS.index)[:2]
            self.report.error(found[second][0], f"a step has exactly one kind, but this one has both '{first}' and "
                                                f"'{second}'; make them two steps")
            return None
        keys = [key for key, _ in found.values()]
        if len(found) == 1:
            [(key, value)] = found.values()
            if _reads_as_sentence(key, value):
                sentence = f"{key.value}: {value.value}"
                self.report.error(key, f"'{short_text(sentence)}' reads as a key '{short_text(key.value)}' with a "
                                       "value, because of the colon and space: if it is a sentence to speak, put "
                                       f"it in quotes: - \"{short_text(sentence)}\"")
                return None
        guessed = False
        for key in keys:
            guess = did_you_mean(key.value, STEP_KINDS)
            if guess is not None:
                self.report.error(key, f"unknown step kind '{short_text(key.value)}'; did you mean '{guess}'?")
                guessed = True
        if not guessed:
            names_found = ", ".join(f"'{short_text(key.value)}'" for key in keys) or "no key"
            self.report.error(node, f"a step needs one of the keys {one_of(STEP_KINDS)}, found {names_found}")
        return None


_LIST_FIX = "write each step on a line of its own starting with '- ' (a dash and a space), as in '- say: Hello'"


def _reads_as_sentence(key: Node, value: Node) -> bool:
    """``- Note: sit comfortably``: an unquoted sentence with ': ' in it, not a misspelt step kind."""
    if not (isinstance(value, ScalarNode) and value.tag == STR_TAG and not value.style and value.value):
        return False
    name = str(key.value)
    return did_you_mean(name, STEP_KINDS) is None or name != name.lower() or " " in name
