"""Task aliases, edit instructions and the prompts the MLLM sees for each task (names: audio_omni.tasks).

The T2A, TTS and editing system prompts are the ones the released model was trained with (they appear in the
official conformance fixture). For T2M, V2A and V2M we use our own wording; a user of the official checkpoint
can substitute any template through `PromptTemplates(system={...})`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from audio_omni.errors import InstructionError
from audio_omni.tasks import GENERATION_TASKS, INSTRUCTION_EDITS

SENTENCE_END = ".!?。！？"
#: Longest prompt, instruction, transcript or question accepted. The paper's MLLM reads at most 2048 tokens and
#: a token is rarely shorter than a character; the language model's cost grows faster than linearly with the
#: length (a million characters ran for more than 9 minutes), so longer text is refused before any model runs.
MAX_TEXT_CHARS = 2048

EDIT_TEMPLATES = {
    "Add": "Add the sound of '{description}' to the input audio.",
    "Remove": "Remove the sound of '{description}' from the input audio.",
    "Extract": "Extract the sound of '{description}' from the input audio.",
    "Style Transfer": "Change the sound of '{description}' to '{target}'.",
}

DEFAULT_SYSTEM_PROMPTS = {
    "T2A": "You are a professional sound designer. Your task is to synthesize a high-fidelity audio clip "
    "based on the following text description.",
    "TTS": "Generate speech from the input text.",
    "EDIT": "You are a professional sound engineer. Your task is to precisely edit the provided audio based "
    "on the user's instructions.",
    # Our wording (see the module docstring).
    "T2M": "You are a music composer and producer. Write an original piece of music that follows the "
    "user's description of its genre, mood, tempo and instruments.",
    "V2A": "You are a foley artist. Create the sound effects that belong to the events in this video.",
    "V2M": "You are a film composer. Create background music that matches the pace and mood of this video.",
    "UNDERSTAND": "You are a helpful assistant that listens to audio and answers questions about it.",
}

_ALIASES = {
    "t2a": "T2A", "text-to-audio": "T2A", "sound": "T2A",
    "t2m": "T2M", "text-to-music": "T2M", "music": "T2M",
    "tts": "TTS", "speech": "TTS", "text-to-speech": "TTS",
    "v2a": "V2A", "video-to-audio": "V2A",
    "v2m": "V2M", "video-to-music": "V2M",
    "add": "Add", "remove": "Remove", "extract": "Extract",
    "style transfer": "Style Transfer", "style-transfer": "Style Transfer", "style_transfer": "Style Transfer",
    "change": "Style Transfer", "transfer": "Style Transfer",
}


def canonical_task(name: str) -> str:
    if not isinstance(name, str):
        raise InstructionError(f"a task or operation name must be text, got {type(name).__name__}")
    key = name.strip()
    if key in GENERATION_TASKS or key in INSTRUCTION_EDITS:
        return key
    found = _ALIASES.get(key.lower())
    if found is None:
        raise InstructionError(
            f"unknown task {name!r}; generation tasks: {', '.join(GENERATION_TASKS)}; "
            f"edit operations: {', '.join(INSTRUCTION_EDITS)}"
        )
    return found


def check_text(text: str, what: str) -> str:
    """Reject text that is not a string, empty, longer than MAX_TEXT_CHARS, or without letters in any script
    (nothing a language model could read)."""
    if text is not None and not isinstance(text, str):
        raise InstructionError(f"the {what} must be text (str), got {type(text).__name__}")
    text = (text or "").strip()
    if len(text) > MAX_TEXT_CHARS:
        raise InstructionError(f"the {what} is {len(text):,} characters long; at most {MAX_TEXT_CHARS:,} are accepted")
    if not text:
        raise InstructionError(f"the {what} is empty")
    if not any(unicodedata.category(ch).startswith("L") for ch in text):
        raise InstructionError(f"the {what} {text!r} contains no words in any language")
    return text


def optional_text(text: str | None, what: str) -> str:
    """Text that may be empty (a V2A/V2M hint): "" or text that passes :func:`check_text`."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return ""
    return check_text(text, what)


def chat(system: str, user: str) -> str:
    """The chat layout the MLLM was trained on."""
    return f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"


def chat_with_video(system: str, user: str) -> str:
    """The official V2A/V2M layout: the video's placeholder block follows the user text on its own line."""
    return (
        f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}\n"
        "<|vision_bos|><|VIDEO|><|vision_eos|><|im_end|>\n<|im_start|>assistant\n"
    )


def edit_instruction(operation: str, description: str, target: str | None = None) -> str:
    operation = canonical_task(operation)
    if operation not in INSTRUCTION_EDITS:
        raise InstructionError(f"{operation!r} is not an edit operation ({', '.join(INSTRUCTION_EDITS)})")
    description = check_text(description, "sound description")
    if operation == "Style Transfer":
        target = check_text(target or "", "target sound for Style Transfer")
    elif target is not None:
        raise InstructionError(f"a target sound is only used by Style Transfer, not by {operation}")
    return EDIT_TEMPLATES[operation].format(description=description, target=target)


@dataclass
class PromptTemplates:
    system: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SYSTEM_PROMPTS))

    def generation(self, task: str, text: str, with_video: bool = False) -> str:
        if task == "TTS":
            return chat(self.system["TTS"], "")  # the transcript goes to the speech-text encoder only
        if task in ("T2A", "T2M"):
            text = check_text(text, "prompt")
            if text[-1] not in SENTENCE_END:
                text += "."
            return chat(self.system[task], text)
        layout = chat_with_video if with_video else chat  # V2A/V2M: an optional hint, and the frames
        return layout(self.system[task], optional_text(text, "hint"))

    def edit(self, instruction: str) -> str:
        return chat(self.system["EDIT"], check_text(instruction, "edit instruction"))

    def question(self, question: str, with_audio: bool = False) -> str:
        question = check_text(question, "question")
        if with_audio:  # the backbone expands the placeholder to one token per audio frame
            question = f"<|audio_bos|><|AUDIO|><|audio_eos|>{question}"
        return chat(self.system["UNDERSTAND"], question)
