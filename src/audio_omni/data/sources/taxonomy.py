"""The one curated label taxonomy of the source library.

Every label is an AudioSet class name (exactly as YAMNet's class map spells it), with its domain, a short
caption phrase, and the related AudioSet classes (ancestors and close siblings) that still count as agreement
when the frozen tagger checks a clip. Keyword rules map a source file's name or description to a label; the
first rule that matches wins, so specific rules come before general ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audio_omni.data.catalog import Domain

__all__ = ["LABELS", "KEYWORD_RULES", "TaxonomyEntry", "entry", "label_for", "accepted_tags", "caption_for"]

#: Bumped when labels or rules change, so catalogues can tell which taxonomy labelled them.
TAXONOMY_VERSION = 2


@dataclass(frozen=True)
class TaxonomyEntry:
    label: str
    domain: Domain
    caption: str  # a short phrase: "a dog barking"
    related: tuple[str, ...] = ()  # AudioSet classes that also confirm this label


_ANIMAL = ("Animal",)
_PET = ("Animal", "Domestic animals, pets")
_FARM = ("Animal", "Livestock, farm animals, working animals")
_WILD = ("Animal", "Wild animals")
_BIRD = ("Animal", "Bird", "Bird vocalization, bird call, bird song", "Chirp, tweet", "Wild animals")
_WATER = ("Water", "Liquid", "Splash, splatter", "Stream", "Gurgling", "Pour", "Drip", "Trickle, dribble")
_RAIL = ("Vehicle", "Rail transport", "Train", "Railroad car, train wagon", "Train horn", "Train whistle")
_AIR = ("Vehicle", "Aircraft", "Aircraft engine", "Jet engine", "Fixed-wing aircraft, airplane")
_ROAD = ("Vehicle", "Motor vehicle (road)", "Car", "Engine", "Truck", "Bus", "Traffic noise, roadway noise")
_BOAT = ("Vehicle", "Boat, Water vehicle", "Ship", "Foghorn", "Motorboat, speedboat")
_ENGINE = ("Engine", "Medium engine (mid frequency)", "Heavy engine (low frequency)", "Idling", "Engine starting")
_TOOLS = ("Tools", "Power tool", "Mechanisms")
_IMPACT = ("Bang", "Thump, thud", "Smash, crash", "Breaking", "Clatter", "Crack", "Whack, thwack", "Slap, smack")
_EXPLOSION = ("Explosion", "Boom", "Burst, pop", "Bang", "Artillery fire", "Fireworks", "Eruption")
_CROWD = ("Crowd", "Cheering", "Applause", "Clapping", "Chatter", "Hubbub, speech noise, speech babble")
_MUSIC = ("Music", "Musical instrument")
_PERC = (*_MUSIC, "Percussion", "Drum", "Drum kit", "Drum machine")
_STRINGS = (*_MUSIC, "Bowed string instrument", "String section", "Orchestra", "Violin, fiddle", "Cello")
_PLUCKED = (*_MUSIC, "Plucked string instrument", "Guitar", "Acoustic guitar", "Strum")
_BRASS = (*_MUSIC, "Brass instrument", "Trumpet", "Trombone", "French horn", "Orchestra")
_WOOD = (*_MUSIC, "Wind instrument, woodwind instrument")
_KEYS = (*_MUSIC, "Keyboard (musical)", "Piano", "Electric piano", "Organ", "Electronic organ")
_SPEECH = ("Speech", "Conversation", "Narration, monologue", "Speech synthesizer")
_VOICE = ("Speech", "Shout", "Yell", "Screaming", "Groan", "Grunt", "Wail, moan", "Gasp", "Breathing", "Whimper")


#: AudioSet classes used as labels that YAMNet's 521-class map leaves out (checked through their related classes).
NOT_IN_YAMNET = frozenset({"Male speech, man speaking", "Female speech, woman speaking"})


def _e(label: str, domain: Domain, caption: str, *related: str) -> TaxonomyEntry:
    return TaxonomyEntry(label, domain, caption, tuple(dict.fromkeys(r for r in related if r != label)))


LABELS: dict[str, TaxonomyEntry] = {
    e.label: e
    for e in [
        # animals
        _e("Dog", "sound", "a dog barking", *_PET, "Bark", "Bow-wow", "Yip", "Growling", "Canidae, dogs, wolves"),
        _e("Bark", "sound", "a dog barking", *_PET, "Dog", "Bow-wow", "Yip", "Canidae, dogs, wolves"),
        _e("Growling", "sound", "an animal growling", *_ANIMAL, "Dog", "Canidae, dogs, wolves", "Roar", "Snort"),
        _e("Howl", "sound", "a wolf howling", *_ANIMAL, "Dog", "Canidae, dogs, wolves", "Wail, moan"),
        _e("Cat", "sound", "a cat meowing", *_PET, "Meow", "Purr", "Caterwaul", "Hiss"),
        _e("Cattle, bovinae", "sound", "a cow mooing", *_FARM, "Moo", "Cowbell"),
        _e("Horse", "sound", "a horse neighing", *_FARM, "Neigh, whinny", "Clip-clop", "Snort"),
        _e("Clip-clop", "sound", "hooves of a horse on the ground", *_FARM, "Horse", "Run", "Walk, footsteps"),
        _e("Sheep", "sound", "sheep bleating", *_FARM, "Bleat", "Goat"),
        _e("Pig", "sound", "a pig oinking", *_FARM, "Oink", "Grunt", "Snort"),
        _e("Chicken, rooster", "sound", "chickens clucking", *_FARM, "Fowl", "Cluck", "Crowing, cock-a-doodle-doo"),
        _e("Duck", "sound", "a duck quacking", *_FARM, "Fowl", "Quack", "Goose", "Bird"),
        _e("Owl", "sound", "an owl hooting", *_BIRD, "Hoot"),
        _e("Crow", "sound", "a crow cawing", *_BIRD, "Caw", "Squawk"),
        _e("Bird", "sound", "birds singing", *_BIRD, "Owl", "Crow", "Squawk"),
        _e("Bird flight, flapping wings", "sound", "wings flapping", *_BIRD, "Flap", "Whoosh, swoosh, swish"),
        _e("Frog", "sound", "frogs croaking", *_WILD, "Croak", "Cricket", "Insect"),
        _e("Roaring cats (lions, tigers)", "sound", "a lion roaring", *_WILD, "Roar", "Growling"),
        _e("Roar", "sound", "a beast roaring", *_WILD, "Roaring cats (lions, tigers)", "Growling"),
        _e("Animal", "sound", "a monkey screeching", *_WILD, "Squawk", "Screaming", "Whoop"),
        _e("Hiss", "sound", "a snake hissing", *_ANIMAL, "Snake", "Cat", "Steam", "Sizzle", "White noise"),
        _e("Insect", "sound", "insects buzzing", *_WILD, "Buzz", "Bee, wasp, etc.", "Cricket", "Fly, housefly"),
        _e("Goat", "sound", "a goat bleating", *_FARM, "Bleat", "Sheep"),
        _e("Turkey", "sound", "a turkey gobbling", *_FARM, "Gobble", "Fowl", "Chicken, rooster", "Bird"),
        _e("Goose", "sound", "geese honking", *_FARM, "Honk", "Fowl", "Duck", "Bird"),
        _e("Bee, wasp, etc.", "sound", "bees buzzing", *_WILD, "Insect", "Buzz", "Fly, housefly", "Mosquito"),
        _e("Mosquito", "sound", "a mosquito whining", *_WILD, "Insect", "Buzz", "Bee, wasp, etc.", "Fly, housefly"),
        _e("Cricket", "sound", "crickets chirping", *_WILD, "Insect", "Chirp, tweet", "Frog"),
        _e("Whale vocalization", "sound", "a whale singing", *_WILD),
        _e("Rodents, rats, mice", "sound", "a mouse squeaking", *_WILD, "Mouse", "Squeak", "Patter"),
        # weather, water, fire
        _e("Rain", "sound", "rain falling", "Raindrop", "Rain on surface", "Water", "Thunderstorm", "Drip"),
        _e("Thunderstorm", "sound", "a thunderstorm", "Thunder", "Rain", "Rain on surface", "Wind", "Rumble"),
        _e("Wind", "sound", "wind blowing", "Wind noise (microphone)", "Rustling leaves", "Whoosh, swoosh, swish"),
        _e(
            "Water",
            "sound",
            "running water",
            *_WATER,
            "Waterfall",
            "Ocean",
            "Waves, surf",
            "Bathtub (filling or washing)",
        ),
        _e("Stream", "sound", "a stream flowing", *_WATER, "Waterfall", "Water tap, faucet"),
        _e("Ocean", "sound", "waves on the sea", *_WATER, "Waves, surf", "Wind", "Boat, Water vehicle"),
        _e("Splash, splatter", "sound", "a splash of water", *_WATER, "Slosh", "Squish", "Plop"),
        _e("Drip", "sound", "water dripping", *_WATER, "Plop", "Raindrop"),
        _e("Boiling", "sound", "liquid bubbling", *_WATER, "Gurgling", "Fill (with liquid)", "Sizzle", "Plop"),
        _e(
            "Fire",
            "sound",
            "a fire crackling",
            "Crackle",
            "Sizzle",
            "Wood",
            "Rustle",
            "Fireworks",
            "Whoosh, swoosh, swish",
        ),
        _e("Steam", "sound", "steam hissing", "Hiss", "Sizzle", "Spray", "White noise", "Air brake"),
        # vehicles
        _e("Train", "sound", "a train passing", *_RAIL, "Clickety-clack", "Train wheels squealing", "Steam whistle"),
        _e("Steam whistle", "sound", "a steam train whistle", *_RAIL, "Whistle", "Steam"),
        _e(
            "Train horn",
            "sound",
            "a train horn",
            *_RAIL,
            "Air horn, truck horn",
            "Foghorn",
            "Vehicle horn, car horn, honking",
        ),
        _e("Subway, metro, underground", "sound", "a metro train", *_RAIL, "Train wheels squealing"),
        _e("Aircraft", "sound", "an aircraft flying", *_AIR, "Propeller, airscrew", "Helicopter"),
        _e("Jet engine", "sound", "a jet taking off", *_AIR, "Whoosh, swoosh, swish", "Roar", "Rumble"),
        _e("Propeller, airscrew", "sound", "a propeller plane", *_AIR, *_ENGINE, "Light engine (high frequency)"),
        _e("Helicopter", "sound", "a helicopter flying", *_AIR, "Propeller, airscrew", "Mechanical fan"),
        _e("Ship", "sound", "a ship", *_BOAT),
        _e(
            "Foghorn",
            "sound",
            "a ship's horn",
            *_BOAT,
            "Air horn, truck horn",
            "Train horn",
            "Vehicle horn, car horn, honking",
        ),
        _e("Car", "sound", "a car", *_ROAD, "Car passing by", "Accelerating, revving, vroom", *_ENGINE),
        _e("Vehicle horn, car horn, honking", "sound", "a car horn honking", *_ROAD, "Toot", "Air horn, truck horn"),
        _e("Bus", "sound", "a bus", *_ROAD, *_ENGINE, "Air brake"),
        _e("Truck", "sound", "a truck", *_ROAD, *_ENGINE, "Air brake", "Air horn, truck horn"),
        _e("Engine", "sound", "an engine running", *_ENGINE, *_ROAD, "Mechanisms", "Vibration"),
        _e("Traffic noise, roadway noise", "sound", "road traffic", *_ROAD, "Outside, urban or manmade"),
        _e("Skidding", "sound", "tyres skidding", *_ROAD, "Tire squeal", "Squeal", "Smash, crash"),
        # people
        _e("Applause", "sound", "an audience applauding", *_CROWD),
        _e("Crowd", "sound", "a crowd", *_CROWD, "Children playing", "Outside, urban or manmade"),
        _e("Cheering", "sound", "a crowd cheering", *_CROWD, "Shout", "Yell"),
        _e("Children playing", "sound", "children playing", *_CROWD, "Children shouting", "Speech", "Laughter"),
        _e("Walk, footsteps", "sound", "footsteps", "Run", "Shuffle", "Clip-clop", "Tap", "Crunch", "Knock"),
        _e("Heart sounds, heartbeat", "sound", "a heartbeat", "Heart murmur", "Thump, thud", "Bass drum", "Throbbing"),
        _e("Burping, eructation", "sound", "someone burping", "Speech", "Grunt", "Fart", "Croak"),
        _e("Groan", "sound", "a person groaning in pain", *_VOICE),
        _e("Screaming", "sound", "a person screaming", *_VOICE, "Children shouting"),
        _e("Laughter", "sound", "a person laughing", *_VOICE, "Giggle", "Chuckle, chortle", "Belly laugh", "Snicker"),
        _e("Speech", "speech", "a person speaking", *_SPEECH),
        _e("Male speech, man speaking", "speech", "a man speaking", *_SPEECH),
        _e("Female speech, woman speaking", "speech", "a woman speaking", *_SPEECH),
        _e("Whistling", "sound", "a person whistling", "Whistle", "Music", "Humming"),
        # household, work, tools
        _e(
            "Door",
            "sound",
            "a door opening and closing",
            "Slam",
            "Creak",
            "Squeak",
            "Knock",
            "Sliding door",
            "Cupboard open or close",
        ),
        _e("Knock", "sound", "knocking on wood", "Door", "Tap", "Wood", "Thump, thud", "Wood block"),
        _e("Vacuum cleaner", "sound", "a vacuum cleaner running", "Hair dryer", "Blender", "Mechanical fan",
           "Electric shaver, electric razor", "Air conditioning", "Mechanisms", "White noise"),
        _e("Toilet flush", "sound", "a toilet flushing", *_WATER, "Water tap, faucet", "Sink (filling or washing)"),
        _e("Scissors", "sound", "scissors cutting", "Tools", "Cutlery, silverware", "Clicking", "Tick", "Mechanisms"),
        _e("Camera", "sound", "a camera shutter clicking", "Single-lens reflex camera", "Clicking",
           "Mechanisms"),
        _e("Fireworks", "sound", "fireworks bursting", *_EXPLOSION, "Firecracker"),
        _e("Thunder", "sound", "thunder rumbling", "Thunderstorm", "Rumble", "Boom", "Rain", "Explosion"),
        _e("Fire engine, fire truck (siren)", "sound", "a fire engine's siren", "Siren", "Emergency vehicle",
           "Police car (siren)", "Ambulance (siren)", "Civil defense siren", "Vehicle"),
        _e("Glass", "sound", "glass clinking", "Chink, clink", "Shatter", "Breaking", "Jingle, tinkle"),
        _e("Shatter", "sound", "glass shattering", "Glass", "Breaking", "Smash, crash", "Chink, clink"),
        _e("Computer keyboard", "sound", "typing on a keyboard", "Typing", "Typewriter", "Clicking", "Tap"),
        _e("Clicking", "sound", "a click", "Tap", "Tick", "Computer keyboard", "Mechanisms", "Clickety-clack"),
        _e(
            "Cash register",
            "sound",
            "a cash register",
            "Coin (dropping)",
            "Ding",
            "Ringtone",
            "Bell",
            "Jingle, tinkle",
            "Mechanisms",
        ),
        _e(
            "Coin (dropping)",
            "sound",
            "coins jingling",
            "Jingle, tinkle",
            "Chink, clink",
            "Cash register",
            "Keys jangling",
        ),
        _e(
            "Telephone bell ringing", "sound", "a telephone ringing", "Telephone", "Ringtone", "Alarm", "Bell", "Buzzer"
        ),
        _e("Alarm", "sound", "an alarm ringing", "Siren", "Buzzer", "Alarm clock", "Beep, bleep", "Fire alarm"),
        _e("Beep, bleep", "sound", "an electronic beep", "Ping", "Sine wave", "Buzzer", "Chirp tone", "Alarm", "Ding"),
        _e("Clock", "sound", "a clock ticking", "Tick", "Tick-tock", "Mechanisms"),
        _e("Jackhammer", "sound", "a jackhammer", *_TOOLS, "Hammer", "Drill", "Machine gun", "Vibration"),
        _e("Chainsaw", "sound", "a chainsaw cutting wood", *_TOOLS, *_ENGINE, "Lawn mower", "Motorcycle"),
        _e("Sawing", "sound", "a saw cutting wood", *_TOOLS, "Wood", "Chainsaw", "Filing (rasp)", "Sanding"),
        _e("Hammer", "sound", "hammering on metal", *_TOOLS, "Clang", "Bang", "Knock", "Tap"),
        _e("Wood", "sound", "wood cracking", "Chop", "Splinter", "Crack", "Crackle", "Creak", "Breaking"),
        _e("Chop", "sound", "chopping wood", "Wood", "Splinter", "Thump, thud", "Thunk", "Chopping (food)"),
        _e("Mechanisms", "sound", "machinery working", *_TOOLS, "Gears", "Ratchet, pawl", "Whir", "Clatter", *_ENGINE),
        _e(
            "Hum",
            "sound",
            "an electrical hum",
            "Mains hum",
            "Buzz",
            "Electric shaver, electric razor",
            "Static",
            "Vibration",
        ),
        _e("Explosion", "sound", "an explosion", *_EXPLOSION),
        _e("Gunshot, gunfire", "sound", "a gunshot", *_EXPLOSION, "Cap gun", "Machine gun", "Fusillade"),
        _e("Smash, crash", "sound", "a crash", *_IMPACT, "Explosion", "Shatter"),
        _e("Thump, thud", "sound", "a heavy thud", *_IMPACT, "Thunk", "Bass drum"),
        _e("Whoosh, swoosh, swish", "sound", "a whoosh", "Whip", "Wind", "Arrow", "Flap"),
        _e("Arrow", "sound", "an arrow flying", "Whoosh, swoosh, swish", "Whip", "Zing", "Boing"),
        _e("Bell", "sound", "a bell ringing", *_MUSIC, "Church bell", "Chime", "Ding", "Jingle bell", "Tubular bells"),
        _e("Church bell", "sound", "a church bell", *_MUSIC, "Bell", "Chime", "Change ringing (campanology)"),
        _e("Gong", "sound", "a gong struck", *_MUSIC, "Bell", "Singing bowl", "Cymbal", "Tubular bells"),
        _e("Bouncing", "sound", "something bouncing", "Boing", "Basketball bounce", "Thump, thud", "Tap"),
        _e("Scratching (performance technique)", "sound", "a record scratch", *_MUSIC, "Scratch", "Scrape", "Squeak"),
        _e("Static", "sound", "vinyl crackle and hiss", "Crackle", "White noise", "Noise", "Hiss", "Pink noise"),
        _e("Outside, urban or manmade", "sound", "city ambience", *_ROAD, "Crowd", "Environmental noise"),
        _e(
            "Outside, rural or natural",
            "sound",
            "countryside ambience",
            *_BIRD,
            "Wind",
            "Insect",
            "Environmental noise",
        ),
        # music: instruments
        _e("Piano", "music", "a piano", *_KEYS),
        _e("Organ", "music", "an organ", *_KEYS, "Hammond organ", "Accordion"),
        _e("Guitar", "music", "a guitar", *_PLUCKED, "Electric guitar", "Bass guitar", "Banjo", "Mandolin"),
        _e("Electric guitar", "music", "an electric guitar", *_PLUCKED, "Electric guitar", "Rock music", "Distortion"),
        _e("Banjo", "music", "a banjo", *_PLUCKED, "Banjo", "Mandolin", "Bluegrass", "Country"),
        _e("Harp", "music", "a harp", *_PLUCKED, "Zither", "Harpsichord"),
        _e("Violin, fiddle", "music", "a violin", *_STRINGS, "Pizzicato"),
        _e("Cello", "music", "a cello", *_STRINGS, "Double bass", "Pizzicato"),
        _e("Trumpet", "music", "a trumpet", *_BRASS),
        _e("Trombone", "music", "a trombone", *_BRASS),
        _e("French horn", "music", "a French horn", *_BRASS),
        _e("Brass instrument", "music", "a tuba", *_BRASS),
        _e("Saxophone", "music", "a saxophone", *_WOOD, "Jazz", "Brass instrument", "Clarinet"),
        _e("Clarinet", "music", "a clarinet", *_WOOD, "Flute", "Saxophone", "Bagpipes"),
        _e("Flute", "music", "a flute", *_WOOD, "Clarinet", "Whistle", "Whistling"),
        _e("Harmonica", "music", "a harmonica", *_WOOD, "Accordion", "Bagpipes", "Blues"),
        _e("Accordion", "music", "an accordion", *_WOOD, "Harmonica", "Organ", "Bagpipes"),
        _e("Drum kit", "music", "a drum kit", *_PERC, "Snare drum", "Bass drum", "Cymbal", "Hi-hat", "Drum roll"),
        _e("Drum", "music", "a drum", *_PERC, "Snare drum", "Bass drum", "Tabla", "Timpani", "Drum roll"),
        _e("Snare drum", "music", "a snare drum", *_PERC, "Rimshot", "Drum roll", "Snare drum"),
        _e("Bass drum", "music", "a bass drum", *_PERC, "Thump, thud", "Boom"),
        _e("Timpani", "music", "timpani", *_PERC, "Bass drum", "Orchestra", "Thunder"),
        _e("Tabla", "music", "a tabla", *_PERC, "Music of Asia", "Carnatic music", "Music of Bollywood"),
        _e("Cymbal", "music", "a cymbal", *_PERC, "Hi-hat", "Gong"),
        _e("Hi-hat", "music", "a hi-hat", *_PERC, "Cymbal"),
        _e("Tambourine", "music", "a tambourine", *_PERC, "Jingle bell", "Rattle (instrument)", "Maraca"),
        _e("Maraca", "music", "maracas", *_PERC, "Rattle (instrument)", "Tambourine"),
        _e("Percussion", "music", "percussion", *_PERC, "Wood block", "Tambourine", "Maraca", "Cowbell"),
        _e("Marimba, xylophone", "music", "a xylophone", *_MUSIC, "Mallet percussion", "Glockenspiel", "Vibraphone"),
        _e(
            "Glockenspiel",
            "music",
            "a glockenspiel",
            *_MUSIC,
            "Mallet percussion",
            "Marimba, xylophone",
            "Chime",
            "Bell",
        ),
        _e("Synthesizer", "music", "a synthesizer", *_MUSIC, "Electronic music", "Sampler", "Keyboard (musical)"),
        _e("Choir", "music", "a choir singing", *_MUSIC, "Singing", "Vocal music", "Chant", "A capella"),
        # music: beds and styles
        _e("Music", "music", "music", "Musical instrument", "Background music", "Soundtrack music", "Theme music"),
        _e(
            "Soundtrack music",
            "music",
            "orchestral soundtrack music",
            *_MUSIC,
            "Orchestra",
            "Classical music",
            "Background music",
            "Video game music",
            "Theme music",
            "Ambient music",
        ),
        _e("Classical music", "music", "classical music", *_MUSIC, "Orchestra", "Piano", "Soundtrack music"),
        _e(
            "Electronic music",
            "music",
            "electronic music",
            *_MUSIC,
            "Electronica",
            "Techno",
            "House music",
            "Electronic dance music",
            "Synthesizer",
            "Drum machine",
            "Ambient music",
        ),
        _e("Ambient music", "music", "ambient music", *_MUSIC, "New-age music", "Electronic music"),
        _e("Happy music", "music", "happy music", *_MUSIC, "Pop music", "Background music"),
        _e("Tender music", "music", "tender music", *_MUSIC, "Background music", "New-age music"),
        _e("Sad music", "music", "sad music", *_MUSIC, "Background music", "Tender music"),
        _e("Exciting music", "music", "energetic music", *_MUSIC, "Rock music", "Electronic music", "Pop music"),
        _e(
            "Traditional music",
            "music",
            "traditional music",
            *_MUSIC,
            "Folk music",
            "Music of Asia",
            "Music of Africa",
            "Middle Eastern music",
            "Music of Latin America",
        ),
        _e(
            "Drum machine", "music", "a drum machine beat", *_PERC, "Electronic music", "Drum and bass", "Hip hop music"
        ),
    ]
}

#: (regex searched in the lower-cased, normalised name/description, label). First match wins.
KEYWORD_RULES: list[tuple[str, str]] = [
    # placeholders
    (r"\bunused\b|\bnothing\b|\bsilence\b", ""),
    # animals
    (r"\bdogs?\b|\bbark\b|\bpuppy\b", "Dog"),
    (r"\bgrowl", "Growling"),
    (r"\bhowl", "Howl"),
    (r"\bcat\b|\bmeow|\bkitten", "Cat"),
    (r"\bcows?\b|\bcattle\b|\bmoo\b", "Cattle, bovinae"),
    (r"canter|hooves|gallop", "Clip-clop"),
    (r"\bhorse|\bneigh", "Horse"),
    (r"\bsheep\b|\bbleat", "Sheep"),
    (r"\bpigs?\b|\boink", "Pig"),
    (r"\bchickens?\b|\brooster|\bhen\b", "Chicken, rooster"),
    (r"\bducks?\b|\bquack", "Duck"),
    (r"\bowl\b", "Owl"),
    (r"\bcrow\b", "Crow"),
    (r"\bbat flapping|flapping wings|\bwings\b", "Bird flight, flapping wings"),
    (r"\bfrogs?\b", "Frog"),
    (r"\blion\b|\btiger\b", "Roaring cats (lions, tigers)"),
    (r"\bmonkeys?\b", "Animal"),
    (r"\bbirds?\b|\bbirdsong|\bmorning\b", "Bird"),
    (r"\bnight\b|\bcrickets?\b|\binsects?\b", "Insect"),
    (r"vinyl hiss|\bstatic\b", "Static"),
    (r"\bhiss", "Hiss"),
    # weather, water, fire
    (r"\bstorm", "Thunderstorm"),
    (r"\brain\b", "Rain"),
    (r"wind ?mill", "Mechanisms"),
    (r"\bwind\b", "Wind"),
    (r"\bsplash\b(?! (hard|soft))|\bsplat\b.*(docks|canal|river)|water footstep|water blast", "Splash, splatter"),
    (r"\bdrip", "Drip"),
    (r"\bbubbl|\bboil|(?<!cool )\blava\b", "Boiling"),
    (r"\bsteam\b(?!.*(train|engine going|departure))|cool lava|extinguish", "Steam"),
    (r"\bocean\b|\bsea\b|\bharbou?r|\bwaves\b", "Ocean"),
    (r"\bstream\b|\briver\b|\bwater\b|\blake\b", "Water"),
    (r"\bcampfire|\bfire\b|\bflames?\b|\bburning|\bfurnace", "Fire"),
    # vehicles
    (r"steam train|steam engine|factory whistle", "Steam whistle"),
    (r"\bbreakdown\b", "Smash, crash"),
    (r"wheels touching ground", "Skidding"),
    (r"level crossing", "Bell"),
    (r"train horn|distant horn|diesel.*departure", "Train horn"),
    (r"\bmetro\b|\bmaglev\b|\bmonorail\b|\bsubway\b", "Subway, metro, underground"),
    (r"\btrains?\b|\brailroad|\blocomotive|\bcart moving", "Train"),
    (r"\bhelicopter", "Helicopter"),
    (r"propeller|cessna", "Propeller, airscrew"),
    (r"\bjet\b", "Jet engine"),
    (r"\bplanes?\b|\baircraft|\bairplane", "Aircraft"),
    (r"ship horn|ferry horn|\bfoghorn", "Foghorn"),
    (r"\bships?\b|\bboat\b|\bferry\b", "Ship"),
    (r"car horn|\bhonk|\bclaxon", "Vehicle horn, car horn, honking"),
    (r"\bbus\b", "Bus"),
    (r"\btruck\b|\blorry\b", "Truck"),
    (r"\btrafic|\btraffic|\bdirt track", "Traffic noise, roadway noise"),
    (r"\bskid", "Skidding"),
    (r"\bcar\b", "Car"),
    (r"\bengine\b|\bmotor\b", "Engine"),
    # people
    (r"\bapplau", "Applause"),
    (r"sports cro|\bcheer", "Cheering"),
    (r"\bcrowd|\baudience|\bmarket", "Crowd"),
    (r"\bschool\b|children playing", "Children playing"),
    (r"footstep|\bwalk\b", "Walk, footsteps"),
    (r"heart ?beat", "Heart sounds, heartbeat"),
    (r"\bburp", "Burping, eructation"),
    (r"\blaugh", "Laughter"),
    (r"\bscream|\bwail\b|\bshriek", "Screaming"),
    (r"\b(human|dwarf|orc|troll|ogre|goblin|elf|mermen|mermaid|naga)\b.*\b(die|hit)\b|\bgroan", "Groan"),
    # household, work, tools
    (r"\bdoors?\b|\bfencegate\b|\bchest (open|close)|open chest", "Door"),
    (r"\bknock", "Knock"),
    (r"break glass|\bshatter", "Shatter"),
    (r"\bglass\b|\bclink", "Glass"),
    (r"\bkeyboard\b|\btyping", "Computer keyboard"),
    (r"cash till|\bcash register|\btill\b", "Cash register"),
    (r"\bcoins?\b|\bmoney\b|\bgold\b", "Coin (dropping)"),
    (r"\bphone\b|\btelephone|\bring\b", "Telephone bell ringing"),
    (r"\balarm\b|\bsiren", "Alarm"),
    (r"\bbeep|\bbleep|\bmorse\b", "Beep, bleep"),
    (r"\bclock\b|\btick", "Clock"),
    (r"jackhammer|air hammer", "Jackhammer"),
    (r"chainsaw", "Chainsaw"),
    (r"sawmill|\bsaw\b", "Sawing"),
    (r"blacksmith|\bsmithy|\bhammer|\banvil|building bridge|metal hit", "Hammer"),
    (r"tree falling|crashing tree|falling tree|cutting tree|\baxe\b|hatchet", "Chop"),
    (r"\bmill\b|mining machinery|\bfactory|industry|\bmachinery|\bmine\b|\bpower coal|\brecycle", "Mechanisms"),
    (r"electric sparking|\bsparking|\bsubstation|\bpower line|power solar", "Hum"),
    (r"\bexplo|\bcineboom|\btnt\b|\bfireballs?\b", "Explosion"),
    (r"gunshot|\bgun\b|thunderstick|\bmusket|\bcannon", "Gunshot, gunfire"),
    (r"\bcrash\b|\bbreakdown|object falling|\bfalling\b|cave in|\brumble\b|\braze\b", "Smash, crash"),
    (r"\bthud|\bthump|\bimpact", "Thump, thud"),
    (r"\bwhoosh|\bswoosh|\bswish|\bwoosh|\bswash", "Whoosh, swoosh, swish"),
    (r"\barrow\b|\bbow\b|\bcrossbow|\bdart\b", "Arrow"),
    (r"church bell", "Church bell"),
    (r"\bgong\b", "Gong"),
    (r"\bbells?\b", "Bell"),
    (r"\bboing|\bbounc", "Bouncing"),
    (r"vinyl (scratch|backspin|rewind)", "Scratching (performance technique)"),
    (r"residential|\bshanty|\bcity\b", "Outside, urban or manmade"),
    (r"\bfarm\b|organic farm|parkland|\bgreen\b|\bcountryside", "Outside, rural or natural"),
    # music: instruments
    (r"\bpiano", "Piano"),
    (r"\borgan\b", "Organ"),
    (r"electric guitar", "Electric guitar"),
    (r"\bguit\b|guitar", "Guitar"),
    (r"\bbanjo", "Banjo"),
    (r"\bharp\b", "Harp"),
    (r"\bviolin|\bfiddle", "Violin, fiddle"),
    (r"\bcello", "Cello"),
    (r"\btrumpet|fanfare", "Trumpet"),
    (r"\btrombone", "Trombone"),
    (r"\bhorn\b", "French horn"),
    (r"\btuba\b", "Brass instrument"),
    (r"\bsaxophone|\bsax\b", "Saxophone"),
    (r"\bclarinet", "Clarinet"),
    (r"\bflute", "Flute"),
    (r"\bharmonica", "Harmonica"),
    (r"\baccordion", "Accordion"),
    (r"drum kit|loop amen|\bbreakbeat|loop perc", "Drum kit"),
    (r"\bsnare|\bsn\b", "Snare drum"),
    (r"\bbd\b|bass drum|drum bass|\bkick\b", "Bass drum"),
    (r"\btimpani", "Timpani"),
    (r"\btabla", "Tabla"),
    (r"\bhi ?hat|cymbal (closed|pedal)", "Hi-hat"),
    (r"\bcymbal|\bsplash (hard|soft)", "Cymbal"),
    (r"\btambourine", "Tambourine"),
    (r"\bmaracas?\b|\bshaker", "Maraca"),
    (r"\bbongo|\bcastanets|\btriangle\b|\bcowbell|glitch perc", "Percussion"),
    (r"\bxylo", "Marimba, xylophone"),
    (r"\btom (hi|lo|mid)|drum roll|\bdrum\b|wardrums", "Drum"),
    (r"\bchoir", "Choir"),
    (r"\bbass (dnb|drop|hard|hit|thick|trance|voxy|woodsy)|\bsynth", "Synthesizer"),
]

_COMPILED = [(re.compile(pattern), label) for pattern, label in KEYWORD_RULES]


def normalise(text: str) -> str:
    """Lower case words: CamelCase and letter/digit runs split, every other character a space."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])", " ", text)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def label_for(text: str) -> str | None:
    """The taxonomy label the keyword rules give ``text`` (a file name or description), or None."""
    norm = normalise(text)
    for regex, label in _COMPILED:
        if regex.search(norm):
            return label or None
    return None


def entry(label: str) -> TaxonomyEntry:
    try:
        return LABELS[label]
    except KeyError:
        raise KeyError(f"{label!r} is not in the source taxonomy") from None


def accepted_tags(label: str) -> frozenset[str]:
    """Tagger classes that confirm ``label``: the label and its related classes."""
    e = entry(label)
    return frozenset((e.label, *e.related))


def caption_for(label: str, detail: str = "") -> str:
    """A caption: the label's phrase, with the source's own words appended when they add something."""
    phrase = entry(label).caption
    detail = " ".join(detail.split()).strip(" .")
    if detail and normalise(detail) not in normalise(phrase):
        return f"{phrase} ({detail})"
    return phrase
