"""The task registry: every task name the project knows, what kind it is and which inputs it takes.

One owner for task names (the facade, the data engine, training and the evaluation all import from here):

- generation tasks make audio from text or video (``T2A``, ``T2M``, ``TTS``, ``V2A``, ``V2M``);
- edits change a source recording. The four *instruction edits* are the ones the official templates and the
  public API name (``Add``, ``Remove``, ``Extract``, ``Style Transfer``); the data engine also builds
  ``Replace``, ``Level``, ``Region`` and ``SpeechEdit`` pairs, which the model receives as free-form instructions;
- understanding operations are questions answered by the MLLM alone (evaluation only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TaskKind = Literal["generation", "edit", "understanding"]


@dataclass(frozen=True)
class TaskSpec:
    name: str
    kind: TaskKind
    #: raw inputs the task takes besides its text: "source" (audio to edit), "voice" (reference to clone),
    #: "speech_text" (a transcript for the speech-text encoder), "video"
    inputs: tuple[str, ...] = ()
    #: True for tasks the engine builds pairs for and training can weight
    trainable: bool = True


_SPECS = (
    TaskSpec("T2A", "generation"),
    TaskSpec("T2M", "generation"),
    TaskSpec("TTS", "generation", ("speech_text", "voice")),
    TaskSpec("V2A", "generation", ("video",), trainable=False),
    TaskSpec("V2M", "generation", ("video",), trainable=False),
    TaskSpec("Add", "edit", ("source",)),
    TaskSpec("Remove", "edit", ("source",)),
    TaskSpec("Extract", "edit", ("source",)),
    TaskSpec("Style Transfer", "edit", ("source",)),
    TaskSpec("Replace", "edit", ("source",)),
    TaskSpec("Level", "edit", ("source",)),
    TaskSpec("Region", "edit", ("source",)),
    TaskSpec("SpeechEdit", "edit", ("source",)),
    # A free-form instruction whose operation nobody named (the facade's edit with an instruction string).
    TaskSpec("Edit", "edit", ("source",), trainable=False),
    TaskSpec("Tagging", "understanding", ("source",), trainable=False),
    TaskSpec("ASR", "understanding", ("source",), trainable=False),
    # Questions with exact answers (eval/question_items.py): is X there, how many times, when, which language,
    # describe the clip.
    TaskSpec("Presence", "understanding", ("source",), trainable=False),
    TaskSpec("Count", "understanding", ("source",), trainable=False),
    TaskSpec("Timing", "understanding", ("source",), trainable=False),
    TaskSpec("LanguageID", "understanding", ("source",), trainable=False),
    TaskSpec("Caption", "understanding", ("source",), trainable=False),
)
TASKS: dict[str, TaskSpec] = {spec.name: spec for spec in _SPECS}

GENERATION_TASKS: tuple[str, ...] = tuple(s.name for s in _SPECS if s.kind == "generation")
#: the edits of the official templates and of the public API's (operation, description[, target]) form
INSTRUCTION_EDITS: tuple[str, ...] = ("Add", "Remove", "Extract", "Style Transfer")
FREE_FORM_EDIT = "Edit"
#: every edit the data engine builds and the evaluation judges
EDIT_TASKS: tuple[str, ...] = tuple(s.name for s in _SPECS if s.kind == "edit" and s.trainable)
UNDERSTANDING_TASKS: tuple[str, ...] = tuple(s.name for s in _SPECS if s.kind == "understanding")
#: what the data engine builds pairs for and training accepts in its task weights
TRAINABLE_TASKS: tuple[str, ...] = tuple(s.name for s in _SPECS if s.trainable)
#: generation tasks that have training pairs (the engine has no video)
PAIR_GENERATION_TASKS: tuple[str, ...] = tuple(t for t in GENERATION_TASKS if TASKS[t].trainable)


def is_edit(task: str) -> bool:
    """True for edits; unknown names from other corpora (e.g. an AudioEdit release) count as edits, since
    every pair with a source audio is one."""
    spec = TASKS.get(task)
    return spec is None or spec.kind == "edit"


def takes(task: str, what: str) -> bool:
    spec = TASKS.get(task)
    return spec is not None and what in spec.inputs
