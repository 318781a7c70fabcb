"""Real recordings from Debian and PyPI packages: where each package keeps its clips and what they are.

Each :class:`SourceSpec` names one package and lists its candidate clips as :class:`SourceItem` s: the bytes (or
the file), the words that describe the clip (file name, archive description), its licence and attribution
(from the package's DEP-5 copyright file, or the archive's own metadata). Labelling, decoding, quality checks
and cataloguing are done by :mod:`audio_omni.data.sources.catalog_build`.
"""

from __future__ import annotations

import functools
import importlib.metadata as metadata
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from audio_omni.assets import debian_package, installed_files
from audio_omni.data.sources.archives import parse_opensfx_description, read_cat, read_rcc
from audio_omni.data.sources.taxonomy import normalise

__all__ = ["SOURCES", "SourceItem", "SourceSpec", "fetch_source", "licence_name", "select_sources"]

AUDIO_SUFFIXES = (".wav", ".ogg", ".oga", ".flac", ".opus", ".mp3")
_AUDIO_RE = re.compile(r"\.(wav|ogg|oga|flac|opus|mp3)$", re.I)


@dataclass(frozen=True)
class SourceItem:
    """One candidate clip. Exactly one of ``path`` / ``data`` / ``parts`` holds the audio."""

    source: str
    key: str  # unique within the source; used in the clip id and file name
    text: str  # what the labelling rules read
    title: str  # words for the caption
    licence: str
    attribution: str
    suffix: str = ".wav"  # of the original encoding
    path: str | None = None
    data: bytes | None = None
    parts: tuple[str, ...] = ()  # files concatenated (with the gaps below) into one clip
    gaps: tuple[float, ...] = ()
    label: str | None = None  # explicit label; otherwise the keyword rules decide
    group: str = ""
    detail: str = ""  # extra caption words
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SourceSpec:
    name: str
    package: str
    registry: str  # "debian" or "pypi"
    items: Callable[[Path], Iterator[SourceItem]]
    exclude: str = ""  # regex on the normalised text: candidates that never enter the catalogue
    pip_hint: str = ""


def licence_name(text: str) -> str:
    """Short, SPDX-like names for the licence phrases the archives use."""
    t = " ".join(text.split())
    low = t.lower()
    if "zero" in low or low in {"cc0", "cc0-1.0"} or "public domain" in low:
        return "CC0-1.0" if "public domain" not in low else "public-domain"
    m = re.search(r"attribution[- ]sharealike (\d\.\d)", low) or re.search(r"cc[- ]by[- ]sa[- ](\d\.\d)", low)
    if m:
        return f"CC-BY-SA-{m.group(1)}"
    m = re.search(r"attribution (\d\.\d)", low) or re.search(r"cc[- ]by[- ](\d\.\d)", low)
    if m:
        return f"CC-BY-{m.group(1)}"
    return t


@functools.lru_cache(maxsize=32)
def _copyright(path: Path):
    """The DEP-5 copyright of a package, or None when it is not machine-readable."""
    from debian.copyright import Copyright, Error

    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return Copyright(f, strict=False)
    except (Error, ValueError):
        return None


def package_licence(root: Path, package: str, upstream_path: str, default: tuple[str, str]) -> tuple[str, str]:
    """(licence, attribution) of one upstream file from ``usr/share/doc/<package>/copyright``."""
    copyright_file = root / "usr" / "share" / "doc" / package / "copyright"
    parsed = _copyright(copyright_file) if copyright_file.is_file() else None
    if parsed is None:
        return default
    paragraph = parsed.find_files_paragraph(upstream_path)
    if paragraph is None or paragraph.license is None:
        return default
    holders = "; ".join(line.strip() for line in (paragraph.copyright or "").splitlines() if line.strip())
    comment = " ".join((paragraph.comment or "").split())
    attribution = holders + (f" ({comment})" if comment and len(comment) < 200 else "")
    upstream = parsed.header.upstream_name or package
    return licence_name(paragraph.license.synopsis), f"{attribution} - {upstream}, Debian package {package}"


def _stem_title(stem: str) -> str:
    return normalise(stem)


def _take_group(source: str, stem: str) -> str:
    """Numbered takes of one sound (orc-hit-1, orc-hit-2) share a group, so splits keep them together."""
    base = re.sub(r"([\s_.\-]*\d+)+$", "", stem.lower()) or stem.lower()
    return f"{source}/{base}"


def _slug(text: str, limit: int = 60) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit] or "clip"


# -- OpenTTD OpenSFX -----------------------------------------------------------------------------------------


def _opensfx_items(root: Path) -> Iterator[SourceItem]:
    cat = root / "usr/share/games/openttd/baseset/opensfx/opensfx.cat"
    for entry in read_cat(cat):
        meta = parse_opensfx_description(entry.name)
        title = meta["title"]
        yield SourceItem(
            source="opensfx",
            key=f"{entry.index:03d}-{_slug(title)}",
            text=title,
            title=title,
            licence=licence_name(meta["licence"]) or "CC-BY-SA-3.0",
            attribution=f"{meta['credits']} - OpenSFX (OpenTTD), Debian package openttd-opensfx".strip(),
            suffix=".wav",
            data=entry.data,
            group=f"opensfx/{_slug(re.sub(r'[(].*?[)]', '', title))}",
        )


# -- GCompris (Qt resource bundles) ----------------------------------------------------------------------------

_GCOMPRIS_RCC = "usr/share/gcompris-qt/rcc"


def _gcompris_title(stem: str) -> str:
    stem = re.sub(r"^LR", "", stem)
    stem = re.sub(r"_LA(_?cut)?$|LACut$|_cut$", "", stem, flags=re.I)
    return normalise(stem)


def _gcompris_items(root: Path) -> Iterator[SourceItem]:
    for rcc in sorted((root / _GCOMPRIS_RCC).glob("*.rcc")):
        for entry in read_rcc(rcc, _AUDIO_RE):
            upstream = re.sub(r"^gcompris/", "", entry.path)
            stem, suffix = Path(upstream).stem, Path(upstream).suffix.lower()
            title = _gcompris_title(stem)
            activity = upstream.split("/")[2] if upstream.startswith("src/activities/") else "core"
            licence, attribution = package_licence(
                root, "gcompris-qt-data", upstream, ("GPL-3+", "GCompris developers, Debian package gcompris-qt-data")
            )
            label, detail = None, ""
            if activity == "explore_world_music":
                label = "Classical music" if stem == "beethoven" else "Traditional music"
                detail = "Beethoven" if stem == "beethoven" else f"from {stem.replace('middleeast', 'the Middle East')}"
                detail = detail.replace("america", "America").replace("africa", "Africa")
            yield SourceItem(
                source="gcompris",
                key=f"{activity}-{_slug(stem)}",
                text=f"{title} {activity if activity in ('instruments',) else ''}".strip(),
                title=title,
                licence=licence,
                attribution=attribution,
                suffix=suffix,
                data=entry.data,
                label=label,
                detail=detail,
                group=_take_group("gcompris", title),
            )


# -- files on disk (Wesnoth, Minetest, LinCity-NG, Sonic Pi) ---------------------------------------------------


def _file_items(
    source: str,
    package: str,
    root: Path,
    folders: list[str],
    default: tuple[str, str],
    upstream: Callable[[str], str] = lambda rel: rel,
    label: str | None = None,
    title: Callable[[Path], str] = lambda p: _stem_title(p.stem),
    text: Callable[[Path, str], str] = lambda p, title: title,
    detail: Callable[[Path], str] = lambda p: "",
) -> Iterator[SourceItem]:
    seen: set[str] = set()
    for folder in folders:
        base = root / folder
        for path in sorted(p for p in base.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES):
            rel = path.relative_to(root).as_posix()
            name = _stem_title(path.stem)
            key = _slug(f"{path.relative_to(base).with_suffix('').as_posix()}")
            if key in seen:
                key = _slug(f"{key}-{path.suffix.lstrip('.')}")
            seen.add(key)
            licence, attribution = package_licence(root, package, upstream(rel), default)
            t = title(path)
            yield SourceItem(
                source=source,
                key=key,
                text=text(path, name),
                title=t,
                licence=licence,
                attribution=attribution,
                suffix=path.suffix.lower(),
                path=str(path),
                label=label,
                detail=detail(path),
                group=_take_group(source, path.stem),
            )


_WESNOTH = ("GPL-2+", "The Battle for Wesnoth Project contributors, Debian package {package}")


def _wesnoth_default(package: str) -> tuple[str, str]:
    return _WESNOTH[0], _WESNOTH[1].format(package=package)


def _wesnoth_sfx(root: Path) -> Iterator[SourceItem]:
    base = "usr/share/games/wesnoth/1.16"
    yield from _file_items(
        "wesnoth", "wesnoth-1.16-data", root, [f"{base}/data/core/sounds", f"{base}/sounds"],
        _wesnoth_default("wesnoth-1.16-data"),
    )  # fmt: skip


def _wesnoth_music(root: Path) -> Iterator[SourceItem]:
    yield from _file_items(
        "wesnoth-music", "wesnoth-1.16-music", root, ["usr/share/games/wesnoth/1.16/data/core/music"],
        _wesnoth_default("wesnoth-1.16-music"), label="Soundtrack music",
        detail=lambda p: f"'{_stem_title(p.stem)}' from The Battle for Wesnoth",
    )  # fmt: skip


def _minetest_upstream(rel: str) -> str:
    # the Debian copyright names the bundled game's tree "mtg/"
    return re.sub(r"^usr/share/games/minetest/games/minetest_game/", "mtg/", rel)


def _minetest_items(root: Path) -> Iterator[SourceItem]:
    yield from _file_items(
        "minetest", "minetest-data", root, ["usr/share/games/minetest/games/minetest_game/mods"],
        ("CC-BY-SA-3.0", "Minetest contributors, Debian package minetest-data"), upstream=_minetest_upstream,
        title=lambda p: _stem_title(re.sub(r"^(default|env_sounds|fire|tnt|carts|doors|xpanes)_", "", p.stem)),
    )  # fmt: skip


def _lincity_items(root: Path) -> Iterator[SourceItem]:
    yield from _file_items(
        "lincity", "lincity-ng-data", root, ["usr/share/games/lincity-ng/sounds"],
        ("GPL-2+", "LinCity-NG contributors, Debian package lincity-ng-data"),
    )  # fmt: skip


def _lincity_music(root: Path) -> Iterator[SourceItem]:
    yield from _file_items(
        "lincity-music", "lincity-ng-data", root, ["usr/share/games/lincity-ng/music"],
        ("GPL-2+", "LinCity-NG contributors, Debian package lincity-ng-data"), label="Music",
        detail=lambda p: "'" + p.stem.split(" - ")[-1] + "' by " + p.stem.split(" - ")[1] if " - " in p.stem else "",
    )  # fmt: skip


def _sonic_pi_items(root: Path) -> Iterator[SourceItem]:
    yield from _file_items(
        "sonic-pi", "sonic-pi-samples", root, ["usr/share/sonic-pi/samples"],
        ("CC0-1.0", "Sonic Pi contributors, Debian package sonic-pi-samples"),
        upstream=lambda rel: "etc/samples/" + rel.rsplit("/", 1)[-1],
    )  # fmt: skip


# -- bucklespring: single key strokes, joined into typing bursts ------------------------------------------------

_TYPING_CLIPS = 12
_KEYS_PER_CLIP = 24


def _bucklespring_items(root: Path) -> Iterator[SourceItem]:
    import numpy as np

    folder = root / "usr/share/buckle/wav"
    presses = sorted(folder.glob("*-0.wav"))
    if not presses:
        return
    licence, attribution = package_licence(
        root, "bucklespring-data", "wav/01-0.wav", ("GPL-2+", "bucklespring, Debian package bucklespring-data")
    )
    rng = np.random.default_rng(20240531)  # fixed: the same bursts on every machine
    for n in range(_TYPING_CLIPS):
        keys = rng.choice(len(presses), size=_KEYS_PER_CLIP)
        parts, gaps = [], []
        for k in keys:
            press = presses[int(k)]
            release = press.with_name(press.name.replace("-0.wav", "-1.wav"))
            parts.append(str(press))
            gaps.append(float(rng.uniform(0.04, 0.09)))
            if release.is_file():
                parts.append(str(release))
                gaps.append(float(rng.uniform(0.08, 0.25)))
        yield SourceItem(
            source="bucklespring",
            key=f"typing-{n:02d}",
            text="typing on a keyboard",
            title="typing on a mechanical keyboard",
            licence=licence,
            attribution=attribution + " (key strokes joined into bursts)",
            suffix=".wav",
            parts=tuple(parts),
            gaps=tuple(gaps),
            label="Computer keyboard",
            detail="a mechanical IBM Model M keyboard",
            group="bucklespring/typing",
        )


# -- PyPI: immich-memories-music (generated beds with tempo and key) -------------------------------------------

_IMMICH_MOOD = {
    "happy": "Happy music",
    "tender": "Tender music",
    "energetic": "Exciting music",
    "nostalgic": "Sad music",
}


def _immich_items(root: Path) -> Iterator[SourceItem]:
    dist = "immich-memories-music"
    tracks = installed_files(dist, r"tracks/.+\.(opus|ogg)$", f"pip install {dist}")
    facts: dict[str, tuple[str, str]] = {}
    try:
        notes = metadata.distribution(dist).read_text("licenses/LICENSE-MUSIC") or ""
    except (FileNotFoundError, metadata.PackageNotFoundError):
        notes = ""
    for m in re.finditer(r"^\s*(\S+\.opus)\s+(\d+) bpm\s+(\S+ (?:major|minor))", notes, re.M):
        facts[m.group(1)] = (m.group(2), m.group(3))
    for path in tracks:
        mood, style = path.parent.name, ("electronic" if "electronic" in path.stem else "acoustic")
        bpm, key = facts.get(path.name, ("", ""))
        detail = ", ".join(x for x in (f"{mood} {style}", f"{bpm} BPM" if bpm else "", key) if x)
        label = "Electronic music" if style == "electronic" else _IMMICH_MOOD.get(mood, "Music")
        yield SourceItem(
            source="immich-music",
            key=_slug(path.stem),
            text=f"{mood} {style} music",
            title=f"{mood} {style} music",
            licence="MIT",
            attribution="immich-memories contributors; generated with ACE-Step 1.5 (PyPI immich-memories-music)",
            suffix=path.suffix.lower(),
            path=str(path),
            label=label,
            detail=detail,
            group=f"immich-music/{mood}-{style}",
            extra={"bpm": int(bpm) if bpm else None, "key": key or None, "mood": mood},
        )


# -- Tux Paint stamps ---------------------------------------------------------------------------------------

_TUXPAINT_STAMPS = "usr/share/tuxpaint/stamps"
#: Stamp -> taxonomy label, for the stamps whose sound is the thing itself (most animal stamps are recordings of
#: the animal); the others (symbols, spoken descriptions, fantasy, sounds no AudioSet class names) stay out.
#: Explicit labels keep the global keyword rules, and so every other source's labels, unchanged.
_TUXPAINT_LABELS = {
    "frog": "Frog", "crow": "Crow", "duck": "Duck", "drake": "Duck", "gander": "Goose", "hen": "Chicken, rooster",
    "rooster": "Chicken, rooster", "owl": "Owl", "turkey": "Turkey", "blackbird": "Bird", "cuckoo": "Bird",
    "lark": "Bird", "quetzal": "Bird", "tucan": "Bird", "seagull": "Bird", "vulture": "Bird", "nandou": "Bird",
    "penguin": "Bird", "bee": "Bee, wasp, etc.", "hornet": "Bee, wasp, etc.", "mosquito": "Mosquito",
    "grasshopper": "Cricket", "xanthia": "Insect", "chimp": "Animal", "whale": "Whale vocalization",
    "orca": "Whale vocalization", "bear": "Growling", "bison": "Cattle, bovinae", "bull": "Cattle, bovinae",
    "cow": "Cattle, bovinae", "cow_white": "Cattle, bovinae", "goat": "Goat", "mountaingoat": "Goat", "ram": "Sheep",
    "sheep": "Sheep", "sheep_lamb": "Sheep", "lion": "Roaring cats (lions, tigers)",
    "tiger": "Roaring cats (lions, tigers)", "dog": "Dog", "horse": "Horse", "pig": "Pig", "pig_golden": "Pig",
    "pig_golden2": "Pig", "mouse": "Rodents, rats, mice", "blackcat": "Cat", "cymbal_crash": "Cymbal",
    "drum_tomtom_floor": "Drum", "drumkit": "Drum kit", "cello": "Cello", "violin": "Violin, fiddle",
    "glass": "Glass", "hammer": "Hammer", "saw": "Sawing", "scissors_small_open": "Scissors",
    "scissors_small_closed": "Scissors", "vacuum_cleaner": "Vacuum cleaner", "toilet": "Toilet flush",
    "fireworks": "Fireworks", "lightningbolt": "Thunder", "firetruck": "Fire engine, fire truck (siren)",
    "camera_35mm": "Camera",
}  # fmt: skip


def _tuxpaint_items(root: Path) -> Iterator[SourceItem]:
    default = ("GPL-2", "Bill Kendrick and Tux Paint contributors, Debian package tuxpaint-stamps-default")
    for item in _file_items(
        "tuxpaint", "tuxpaint-stamps-default", root, [_TUXPAINT_STAMPS], default,
        upstream=lambda rel: rel.removeprefix(_TUXPAINT_STAMPS + "/"),
    ):  # fmt: skip
        stem = Path(item.path or "").stem
        if stem in _TUXPAINT_LABELS:
            # Stamps of one kind (pig, pig_golden, pig_golden2) can be one recording: one group keeps them together.
            yield replace(item, label=_TUXPAINT_LABELS[stem], group=f"tuxpaint/{stem.split('_')[0]}")


# -- Widelands -----------------------------------------------------------------------------------------------

_WIDELANDS_DATA = "usr/share/games/widelands/data"
_WIDELANDS_DEFAULT = ("GPL-2+", "Widelands Development Team, Debian package widelands-data")


def _widelands_upstream(rel: str) -> str:
    """The path the package's copyright file names (relative to the game's folder)."""
    return rel.removeprefix("usr/share/games/widelands/")


#: (regex on the path under data/sound or data/world, label); first match wins; unmatched files stay out
#: (interface sounds, fantasy work, sounds no AudioSet class names).
_WIDELANDS_LABELS = [
    (r"^hammering/|^smiths/(smith|toolsmith)", "Hammer"),
    (r"^mill/mill_turning", "Mechanisms"),
    (r"^woodcutting/(fast_)?woodcutting", "Chop"),
    (r"^woodcutting/tree_falling", "Wood"),
    (r"^sawmill/|/saw/(sawing|benchsaw)", "Sawing"),
    (r"/(beer|wine)bubble", "Boiling"),
    (r"^animals/bird", "Bird"),
    (r"^animals/crickets", "Insect"),
    (r"^animals/boar", "Pig"),
    (r"^animals/(wolf|coyote)", "Howl"),
    (r"^animals/frog", "Frog"),
    (r"^farm/ox", "Cattle, bovinae"),
    (r"^farm/sheep", "Sheep"),
    (r"^farm/horse", "Horse"),
    (r"^critters/duck/", "Duck"),
]


def _widelands_items(root: Path) -> Iterator[SourceItem]:
    for item in _file_items(
        "widelands", "widelands-data", root, [f"{_WIDELANDS_DATA}/sound", f"{_WIDELANDS_DATA}/world"],
        _WIDELANDS_DEFAULT, upstream=_widelands_upstream,
    ):  # fmt: skip
        rel = Path(item.path or "").as_posix().split("/data/sound/")[-1].split("/data/world/")[-1]
        label = next((lab for pattern, lab in _WIDELANDS_LABELS if re.search(pattern, rel)), None)
        if label is not None:
            yield replace(item, label=label)


def _widelands_music(root: Path) -> Iterator[SourceItem]:
    yield from _file_items(
        "widelands-music", "widelands-data", root, [f"{_WIDELANDS_DATA}/music"], _WIDELANDS_DEFAULT,
        label="Soundtrack music", upstream=_widelands_upstream,
        detail=lambda p: f"'{_stem_title(p.stem)}' from Widelands",
    )  # fmt: skip


# -- registry -----------------------------------------------------------------------------------------------

_FANTASY = "|".join(
    [
        r"gryphon|drake|wose|lich|skeleton|ghoul|yeti|magic|mud |\bink\b|dragonstick|faeriefire|petrified|slowed",
        r"bow puny fire|crossbow fire|entangle|\bheal\b|poison|potion|\bnet\b|squishy|tail|claws|pincers|bite",
        r"tusker|wail|zombie|\bfuse\b|\bugg\b",
    ]
)

SOURCES: dict[str, SourceSpec] = {
    s.name: s
    for s in [
        SourceSpec("opensfx", "openttd-opensfx", "debian", _opensfx_items, exclude=r"toyland|\byear\b|oooh"),
        SourceSpec("gcompris", "gcompris-qt-data", "debian", _gcompris_items, exclude=r"\bweird\b|\bla pause\b"),
        SourceSpec("minetest", "minetest-data", "debian", _minetest_items,
                   exclude=r"soundstuff|player damage|\bdig\b|\bdug\b|place node|tool breaks|item smoke|ignite|flint"),
        SourceSpec("lincity", "lincity-ng-data", "debian", _lincity_items,
                   exclude=r"commune|health|university|\btip\b|pottery|\bbuild\b|monument|window|\bclick\b"
                   r"|fire station|rocket(?! explosion)"),
        SourceSpec("lincity-music", "lincity-ng-data", "debian", _lincity_music),
        SourceSpec("bucklespring", "bucklespring-data", "debian", _bucklespring_items),
        SourceSpec("sonic-pi", "sonic-pi-samples", "debian", _sonic_pi_items,
                   exclude=r"\belec\b|mehackit|glitch robot|\bambi (dark|drone|glass|haunted|lunar|sauna|soft|swoosh)"
                   r"|loop (compus|drone|electric|garzul|industrial|mika|weirdo|safari|3 d)"),
        SourceSpec("wesnoth", "wesnoth-1.16-data", "debian", _wesnoth_sfx, exclude=_FANTASY),
        SourceSpec("wesnoth-music", "wesnoth-1.16-music", "debian", _wesnoth_music, exclude=r"\bsilence\b"),
        SourceSpec("tuxpaint", "tuxpaint-stamps-default", "debian", _tuxpaint_items),
        SourceSpec("widelands", "widelands-data", "debian", _widelands_items),
        SourceSpec("widelands-music", "widelands-data", "debian", _widelands_music),
        SourceSpec("immich-music", "immich-memories-music", "pypi", _immich_items,
                   pip_hint="pip install immich-memories-music"),
    ]
}  # fmt: skip


def select_sources(names: list[str] | None) -> list[SourceSpec]:
    """Sources by source name or package name; None selects all."""
    if not names:
        return list(SOURCES.values())
    chosen: list[SourceSpec] = []
    for name in names:
        matches = [s for s in SOURCES.values() if name in (s.name, s.package)]
        if not matches:
            from audio_omni.errors import AudioOmniError

            known = ", ".join(sorted({*SOURCES, *(s.package for s in SOURCES.values())}))
            raise AudioOmniError(f"unknown source or package {name!r}; known: {known}")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def fetch_source(spec: SourceSpec) -> Path:
    """The package's root: the unpacked Debian package in the cache, or the PyPI distribution's location."""
    if spec.registry == "debian":
        return debian_package(spec.package)
    files = installed_files(spec.package, r".", spec.pip_hint or f"pip install {spec.package}")
    return Path(metadata.distribution(spec.package).locate_file("")) if files else Path()
