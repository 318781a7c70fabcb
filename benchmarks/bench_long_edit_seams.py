"""Do window joins show? A 30 s real recording edited end to end, and the spectral change at the joins.

    python3 benchmarks/bench_long_edit_seams.py [--model audio-omni-small] [--seconds 30]

The small model edits in windows of about 6 s that overlap by `sampling.overlap_seconds` and are cross-faded in
its latent space. A seam would show as a jump between consecutive mel frames at a join. The script edits a real
recording (a music bed with speech over it, both from Debian packages), then reports the mean log-mel distance
between consecutive frames of the output at the frames where windows meet, beside the same distance over all
other frames and over the unedited source (the recording's own rate of change). It also reports the tagger's
top classes in each window of the output, so a listener-visible change of content at a join would show.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from audio_omni import AudioOmni


def recording(rate: int, seconds: float) -> torch.Tensor:
    """Music (wesnoth) with English speech (asterisk prompts) over it: a real, changing 30 s scene."""
    from audio_omni.assets import debian_package
    from audio_omni.audio.io import load_audio

    music_files = sorted(debian_package("wesnoth-1.16-music").rglob("*.ogg"))
    music, _ = load_audio(music_files[0], sample_rate=rate, channels=1)
    music = music[0, : int(seconds * rate)]
    speech, total = [], 0
    for path in sorted(debian_package("asterisk-core-sounds-en-wav").rglob("*.wav")):
        wave, _ = load_audio(path, sample_rate=rate, channels=1)
        speech.append(torch.cat([wave[0], torch.zeros(rate // 2)]))
        total += speech[-1].shape[-1]
        if total >= music.shape[-1]:
            break
    voice = torch.cat(speech)[: music.shape[-1]]
    return 0.5 * music / music.abs().max() + 0.5 * voice / voice.abs().max()


def frame_change(codec, audio: torch.Tensor) -> np.ndarray:
    """Mean |log-mel difference| between consecutive frames, one value per frame boundary."""
    frames = audio.shape[-1] // codec.downsampling_ratio * codec.downsampling_ratio
    mel = codec.log_mel(audio[None, None, :frames])[0]
    return (mel[:, 1:] - mel[:, :-1]).abs().mean(dim=0).numpy()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="audio-omni-small")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--instruction", default="Remove the sound of 'a woman speaking' from the input audio.")
    args = parser.parse_args()

    omni = AudioOmni.from_pretrained(args.model, device="cpu")
    source = recording(omni.sample_rate, args.seconds)
    out = omni.edit(source, args.instruction, sample_rate=omni.sample_rate, seed=0).audio[0]
    codec = omni.model.pretransform
    windows = omni._windows(-(-source.shape[-1] // codec.downsampling_ratio))
    joins = sorted({f for (_, end), (start, _) in zip(windows, windows[1:], strict=False) for f in (start, end)})
    changed, original = frame_change(codec, out), frame_change(codec, source)
    near = np.zeros(changed.shape[0], bool)
    for f in joins:  # the frames where a window begins or ends, and their neighbours
        near[max(0, f - 2) : f + 2] = True
    print(f"{len(windows)} windows of {omni.config.latent_length} frames for {args.seconds:g} s; joins at frames "
          f"{joins}")
    print(f"output frame-to-frame change: at joins {changed[near].mean():.3f}, elsewhere {changed[~near].mean():.3f}"
          f" (ratio {changed[near].mean() / changed[~near].mean():.2f})")
    print(f"source frame-to-frame change: at the same frames {original[near].mean():.3f}, elsewhere "
          f"{original[~near].mean():.3f}")

    from audio_omni.judges.yamnet import YamnetTagger

    tagger = YamnetTagger.from_installed()
    for start, end in windows:
        piece = out[start * codec.downsampling_ratio : end * codec.downsampling_ratio].numpy()
        top = ", ".join(f"{name} {p:.2f}" for name, p in tagger.top(piece, omni.sample_rate, k=3))
        print(f"window {start:>5}-{end:<5} {top}")


if __name__ == "__main__":
    main()
