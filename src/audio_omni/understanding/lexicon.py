"""Words in the six question languages: sound names, music words and the names of spoken languages.

English questions are matched against every AudioSet class name (:mod:`.questions`); this table adds the
everyday words of the other languages for the common classes, and the names used when answering in them.
Each row: AudioSet class, then per language the words that name it (the first is used in answers).
Chinese and Japanese words are matched as substrings (those scripts have no spaces).
"""

from __future__ import annotations

LANGUAGES = ("en", "de", "fr", "es", "zh", "ja")

# class: {language: (answer word, other words that name it ...)}
SOUND_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "Dog": {
        "en": ("a dog", "dog", "dogs", "puppy", "wolf", "wolves"),
        "de": ("ein Hund", "hund", "hunde", "wolf"),
        "fr": ("un chien", "chien", "chiens", "loup"),
        "es": ("un perro", "perro", "perros", "lobo"),
        "zh": ("狗", "犬", "狼"),
        "ja": ("犬", "いぬ", "イヌ", "狼"),
    },
    "Bark": {
        "en": ("barking", "bark", "barks", "barking"),
        "de": ("Bellen", "bellen", "bellt"),
        "fr": ("aboiements", "aboie", "aboiement", "aboyer"),
        "es": ("ladridos", "ladra", "ladrido", "ladrar"),
        "zh": ("狗叫", "吠"),
        "ja": ("吠え声", "吠え", "ほえ"),
    },
    "Growling": {
        "en": ("growling", "growl", "growls"),
        "de": ("Knurren", "knurrt", "knurren"),
        "fr": ("grognement", "grogne", "grognements"),
        "es": ("gruñido", "gruñe", "gruñidos"),
        "zh": ("低吼", "咆哮"),
        "ja": ("うなり声", "うなる", "唸"),
    },
    "Cat": {
        "en": ("a cat", "cat", "cats", "meow", "meowing"),
        "de": ("eine Katze", "katze", "katzen", "miaut"),
        "fr": ("un chat", "chat", "chats", "miaule"),
        "es": ("un gato", "gato", "gatos", "maúlla"),
        "zh": ("猫",),
        "ja": ("猫", "ねこ", "ネコ"),
    },
    "Bird": {
        "en": ("birds", "bird", "birdsong", "chirping"),
        "de": ("Vögel", "vogel", "vögel", "zwitschern"),
        "fr": ("des oiseaux", "oiseau", "oiseaux"),
        "es": ("pájaros", "pájaro", "pajaro", "aves", "ave"),
        "zh": ("鸟",),
        "ja": ("鳥", "とり"),
    },
    "Duck": {
        "en": ("ducks", "duck", "quacking"),
        "de": ("Enten", "ente", "enten"),
        "fr": ("des canards", "canard", "canards"),
        "es": ("patos", "pato", "patos"),
        "zh": ("鸭",),
        "ja": ("アヒル", "あひる", "カモ"),
    },
    "Fowl": {
        "en": ("fowl", "fowl", "poultry"),
        "de": ("Geflügel", "geflügel"),
        "fr": ("volaille", "volaille"),
        "es": ("aves de corral",),
        "zh": ("家禽",),
        "ja": ("家禽",),
    },
    "Chicken, rooster": {
        "en": ("a chicken", "chicken", "chickens", "rooster", "hen"),
        "de": ("Hühner", "huhn", "hühner", "hahn"),
        "fr": ("des poules", "poule", "poules", "coq"),
        "es": ("gallinas", "gallina", "gallo"),
        "zh": ("鸡",),
        "ja": ("鶏", "ニワトリ"),
    },
    "Horse": {
        "en": ("a horse", "horse", "horses"),
        "de": ("ein Pferd", "pferd", "pferde"),
        "fr": ("un cheval", "cheval", "chevaux"),
        "es": ("un caballo", "caballo", "caballos"),
        "zh": ("马",),
        "ja": ("馬", "うま"),
    },
    "Cattle, bovinae": {
        "en": ("a cow", "cow", "cows", "cattle"),
        "de": ("eine Kuh", "kuh", "kühe"),
        "fr": ("une vache", "vache", "vaches"),
        "es": ("una vaca", "vaca", "vacas"),
        "zh": ("牛",),
        "ja": ("牛",),
    },
    "Sheep": {
        "en": ("sheep", "sheep", "lamb"),
        "de": ("Schafe", "schaf", "schafe"),
        "fr": ("des moutons", "mouton", "moutons"),
        "es": ("ovejas", "oveja", "ovejas"),
        "zh": ("羊",),
        "ja": ("羊",),
    },
    "Insect": {
        "en": ("insects", "insect", "insects", "bee", "bees"),
        "de": ("Insekten", "insekt", "insekten"),
        "fr": ("des insectes", "insecte", "insectes"),
        "es": ("insectos", "insecto"),
        "zh": ("昆虫",),
        "ja": ("虫",),
    },
    "Water": {
        "en": ("water", "water"),
        "de": ("Wasser", "wasser"),
        "fr": ("de l'eau", "eau"),
        "es": ("agua", "agua"),
        "zh": ("水",),
        "ja": ("水",),
    },
    "Rain": {
        "en": ("rain", "rain", "raining"),
        "de": ("Regen", "regen", "regnet"),
        "fr": ("la pluie", "pluie", "pleut"),
        "es": ("lluvia", "lluvia", "llueve"),
        "zh": ("雨",),
        "ja": ("雨",),
    },
    "Wind": {
        "en": ("wind", "wind"),
        "de": ("Wind", "wind"),
        "fr": ("le vent", "vent"),
        "es": ("viento", "viento"),
        "zh": ("风",),
        "ja": ("風",),
    },
    "Thunderstorm": {
        "en": ("a thunderstorm", "thunderstorm", "thunder", "storm"),
        "de": ("Gewitter", "gewitter", "donner"),
        "fr": ("un orage", "orage", "tonnerre"),
        "es": ("una tormenta", "tormenta", "trueno"),
        "zh": ("雷",),
        "ja": ("雷",),
    },
    "Fire": {
        "en": ("fire", "fire", "crackling"),
        "de": ("Feuer", "feuer"),
        "fr": ("du feu", "feu"),
        "es": ("fuego", "fuego"),
        "zh": ("火",),
        "ja": ("火",),
    },
    "Vehicle": {
        "en": ("vehicles", "vehicle", "vehicles", "traffic"),
        "de": ("Fahrzeuge", "fahrzeug", "fahrzeuge", "verkehr"),
        "fr": ("des véhicules", "véhicule", "véhicules", "circulation", "trafic"),
        "es": ("vehículos", "vehículo", "vehiculo", "tráfico", "trafico"),
        "zh": ("车辆", "交通"),
        "ja": ("乗り物", "交通"),
    },
    "Car": {
        "en": ("a car", "car", "cars"),
        "de": ("ein Auto", "auto", "autos", "wagen"),
        "fr": ("une voiture", "voiture", "voitures"),
        "es": ("un coche", "coche", "coches", "carro", "auto"),
        "zh": ("汽车", "车"),
        "ja": ("車", "自動車"),
    },
    "Train": {
        "en": ("a train", "train", "trains"),
        "de": ("ein Zug", "zug", "züge"),
        "fr": ("un train", "train", "trains"),
        "es": ("un tren", "tren", "trenes"),
        "zh": ("火车",),
        "ja": ("電車", "列車", "汽車"),
    },
    "Aircraft": {
        "en": ("an aircraft", "aircraft", "airplane", "plane", "aeroplane"),
        "de": ("ein Flugzeug", "flugzeug"),
        "fr": ("un avion", "avion", "avions"),
        "es": ("un avión", "avión", "avion"),
        "zh": ("飞机",),
        "ja": ("飛行機",),
    },
    "Engine": {
        "en": ("an engine", "engine", "motor"),
        "de": ("ein Motor", "motor"),
        "fr": ("un moteur", "moteur"),
        "es": ("un motor", "motor"),
        "zh": ("发动机", "引擎"),
        "ja": ("エンジン",),
    },
    "Siren": {
        "en": ("a siren", "siren", "sirens"),
        "de": ("eine Sirene", "sirene"),
        "fr": ("une sirène", "sirène"),
        "es": ("una sirena", "sirena"),
        "zh": ("警笛", "警报"),
        "ja": ("サイレン",),
    },
    "Music": {
        "en": ("music", "music", "song", "melody"),
        "de": ("Musik", "musik", "lied", "melodie"),
        "fr": ("de la musique", "musique", "chanson", "mélodie"),
        "es": ("música", "música", "musica", "canción", "melodía"),
        "zh": ("音乐", "歌曲", "旋律"),
        "ja": ("音楽", "曲", "メロディ"),
    },
    "Speech": {
        "en": (
            "speech",
            "speech",
            "speaking",
            "talking",
            "voice",
            "voices",
            "someone speak",
            "person speak",
            "woman speak",
            "man speak",
            "people talk",
        ),
        "de": ("Sprache", "spricht", "sprechen", "stimme", "stimmen", "redet"),
        "fr": ("de la parole", "parole", "parle", "parlent", "voix"),
        "es": ("habla", "habla", "hablando", "voz", "voces"),
        "zh": ("说话", "讲话", "人声", "人说"),
        "ja": ("話し声", "話し", "人の声", "しゃべ"),
    },
    "Singing": {
        "en": ("singing", "singing", "singer", "sing"),
        "de": ("Gesang", "gesang", "singt"),
        "fr": ("du chant", "chant", "chante"),
        "es": ("canto", "canto", "canta", "cantando"),
        "zh": ("唱歌", "歌声"),
        "ja": ("歌声", "歌って"),
    },
    "Laughter": {
        "en": ("laughter", "laughter", "laughing", "laugh"),
        "de": ("Lachen", "lachen", "lacht"),
        "fr": ("des rires", "rire", "rires", "rit"),
        "es": ("risas", "risa", "risas", "ríe"),
        "zh": ("笑声",),
        "ja": ("笑い声", "笑"),
    },
    "Applause": {
        "en": ("applause", "applause", "clapping"),
        "de": ("Applaus", "applaus", "beifall", "klatschen"),
        "fr": ("des applaudissements", "applaudissements", "applaudit"),
        "es": ("aplausos", "aplausos", "aplauso"),
        "zh": ("掌声", "鼓掌"),
        "ja": ("拍手",),
    },
    "Crying, sobbing": {
        "en": ("crying", "crying", "cry", "sobbing"),
        "de": ("Weinen", "weinen", "weint"),
        "fr": ("des pleurs", "pleure", "pleurs"),
        "es": ("llanto", "llanto", "llora"),
        "zh": ("哭",),
        "ja": ("泣き声", "泣"),
    },
    "Walk, footsteps": {
        "en": ("footsteps", "footsteps", "footstep", "steps", "walking"),
        "de": ("Schritte", "schritte"),
        "fr": ("des pas", "pas"),
        "es": ("pasos", "pasos"),
        "zh": ("脚步",),
        "ja": ("足音",),
    },
    "Door": {
        "en": ("a door", "door", "doors"),
        "de": ("eine Tür", "tür", "türe"),
        "fr": ("une porte", "porte", "portes"),
        "es": ("una puerta", "puerta", "puertas"),
        "zh": ("门",),
        "ja": ("ドア", "扉"),
    },
    "Knock": {
        "en": ("knocking", "knock", "knocking"),
        "de": ("Klopfen", "klopfen", "klopft"),
        "fr": ("des coups", "frappe", "toc"),
        "es": ("golpes en la puerta", "golpea", "tocan"),
        "zh": ("敲门",),
        "ja": ("ノック",),
    },
    "Bell": {
        "en": ("a bell", "bell", "bells", "ringing"),
        "de": ("eine Glocke", "glocke", "glocken"),
        "fr": ("une cloche", "cloche", "cloches"),
        "es": ("una campana", "campana", "campanas"),
        "zh": ("铃", "钟声"),
        "ja": ("鐘", "ベル"),
    },
    "Telephone": {
        "en": ("a telephone", "telephone", "phone"),
        "de": ("ein Telefon", "telefon"),
        "fr": ("un téléphone", "téléphone"),
        "es": ("un teléfono", "teléfono", "telefono"),
        "zh": ("电话",),
        "ja": ("電話",),
    },
    "Glass": {
        "en": ("glass", "glass"),
        "de": ("Glas", "glas"),
        "fr": ("du verre", "verre"),
        "es": ("vidrio", "vidrio", "cristal"),
        "zh": ("玻璃",),
        "ja": ("ガラス",),
    },
    "Breaking": {
        "en": ("breaking", "breaking", "break", "shatter", "shattering"),
        "de": ("Zerbrechen", "zerbricht", "zerbrechen", "splitter"),
        "fr": ("un bris", "brise", "bris", "casse"),
        "es": ("rotura", "rompe", "rompiendo", "romper"),
        "zh": ("碎",),
        "ja": ("割れ",),
    },
    "Explosion": {
        "en": ("an explosion", "explosion", "explosions", "blast"),
        "de": ("eine Explosion", "explosion", "explosionen"),
        "fr": ("une explosion", "explosion", "explosions"),
        "es": ("una explosión", "explosión", "explosion"),
        "zh": ("爆炸",),
        "ja": ("爆発",),
    },
    "Gunshot, gunfire": {
        "en": ("gunshots", "gunshot", "gunshots", "gunfire", "shot", "shots"),
        "de": ("Schüsse", "schuss", "schüsse"),
        "fr": ("des coups de feu", "coup de feu", "coups de feu", "tir"),
        "es": ("disparos", "disparo", "disparos"),
        "zh": ("枪声",),
        "ja": ("銃声",),
    },
    "Computer keyboard": {
        "en": ("typing", "typing", "keyboard"),
        "de": ("Tippen", "tastatur", "tippen"),
        "fr": ("la frappe au clavier", "clavier"),
        "es": ("tecleo", "teclado", "tecleo"),
        "zh": ("键盘", "打字"),
        "ja": ("キーボード", "タイピング"),
    },
    "Piano": {
        "en": ("a piano", "piano"),
        "de": ("ein Klavier", "klavier", "piano"),
        "fr": ("un piano", "piano"),
        "es": ("un piano", "piano"),
        "zh": ("钢琴",),
        "ja": ("ピアノ",),
    },
    "Guitar": {
        "en": ("a guitar", "guitar", "guitars"),
        "de": ("eine Gitarre", "gitarre"),
        "fr": ("une guitare", "guitare"),
        "es": ("una guitarra", "guitarra"),
        "zh": ("吉他",),
        "ja": ("ギター",),
    },
    "Drum": {
        "en": ("drums", "drum", "drums"),
        "de": ("Schlagzeug", "schlagzeug", "trommel", "trommeln"),
        "fr": ("de la batterie", "batterie", "tambour", "tambours"),
        "es": ("batería", "batería", "tambor", "tambores"),
        "zh": ("鼓",),
        "ja": ("ドラム", "太鼓"),
    },
    "Violin, fiddle": {
        "en": ("a violin", "violin", "fiddle"),
        "de": ("eine Geige", "geige", "violine"),
        "fr": ("un violon", "violon"),
        "es": ("un violín", "violín", "violin"),
        "zh": ("小提琴",),
        "ja": ("バイオリン", "ヴァイオリン"),
    },
    "Synthesizer": {
        "en": ("a synthesizer", "synthesizer", "synth"),
        "de": ("ein Synthesizer", "synthesizer"),
        "fr": ("un synthétiseur", "synthétiseur", "synthé"),
        "es": ("un sintetizador", "sintetizador"),
        "zh": ("合成器",),
        "ja": ("シンセ",),
    },
    "Trumpet": {
        "en": ("a trumpet", "trumpet"),
        "de": ("eine Trompete", "trompete"),
        "fr": ("une trompette", "trompette"),
        "es": ("una trompeta", "trompeta"),
        "zh": ("小号",),
        "ja": ("トランペット",),
    },
    "Flute": {
        "en": ("a flute", "flute"),
        "de": ("eine Flöte", "flöte"),
        "fr": ("une flûte", "flûte"),
        "es": ("una flauta", "flauta"),
        "zh": ("长笛", "笛"),
        "ja": ("フルート", "笛"),
    },
}
# The classes that also confirm a named class (the class itself always does).
ALSO_CONFIRMS: dict[str, tuple[str, ...]] = {
    "Siren": ("Police car (siren)", "Ambulance (siren)", "Fire engine, fire truck (siren)", "Civil defense siren"),
    "Telephone": ("Telephone bell ringing", "Ringtone"),
    "Vehicle": ("Car", "Motor vehicle (road)", "Traffic noise, roadway noise", "Truck", "Bus", "Engine"),
    "Breaking": ("Shatter", "Glass"),
    "Singing": ("Song", "Choir", "Vocal music"),
}

LANGUAGE_NAMES: dict[str, dict[str, str]] = {
    "en": {
        "en": "English",
        "de": "German",
        "fr": "French",
        "es": "Spanish",
        "zh": "Chinese",
        "ja": "Japanese",
        "it": "Italian",
        "pt": "Portuguese",
        "ru": "Russian",
        "nl": "Dutch",
        "ko": "Korean",
        "ar": "Arabic",
    },
    "de": {
        "en": "Englisch",
        "de": "Deutsch",
        "fr": "Französisch",
        "es": "Spanisch",
        "zh": "Chinesisch",
        "ja": "Japanisch",
        "it": "Italienisch",
        "pt": "Portugiesisch",
        "ru": "Russisch",
        "nl": "Niederländisch",
    },
    "fr": {
        "en": "anglais",
        "de": "allemand",
        "fr": "français",
        "es": "espagnol",
        "zh": "chinois",
        "ja": "japonais",
        "it": "italien",
        "pt": "portugais",
        "ru": "russe",
        "nl": "néerlandais",
    },
    "es": {
        "en": "inglés",
        "de": "alemán",
        "fr": "francés",
        "es": "español",
        "zh": "chino",
        "ja": "japonés",
        "it": "italiano",
        "pt": "portugués",
        "ru": "ruso",
        "nl": "neerlandés",
    },
    "zh": {
        "en": "英语",
        "de": "德语",
        "fr": "法语",
        "es": "西班牙语",
        "zh": "中文",
        "ja": "日语",
        "it": "意大利语",
        "pt": "葡萄牙语",
        "ru": "俄语",
        "ko": "韩语",
    },
    "ja": {
        "en": "英語",
        "de": "ドイツ語",
        "fr": "フランス語",
        "es": "スペイン語",
        "zh": "中国語",
        "ja": "日本語",
        "it": "イタリア語",
        "pt": "ポルトガル語",
        "ru": "ロシア語",
        "ko": "韓国語",
    },
}

# Key names: (major word, minor word, pattern) per language; the note letters stay as they are.
KEY_MODES = {
    "en": ("{n} major", "{n} minor"),
    "de": ("{n}-Dur", "{n}-Moll"),
    "fr": ("{n} majeur", "{n} mineur"),
    "es": ("{n} mayor", "{n} menor"),
    "zh": ("{n}大调", "{n}小调"),
    "ja": ("{n}メジャー", "{n}マイナー"),
}


def language_name(code: str, answer_language: str) -> str:
    """The name of spoken language ``code`` in ``answer_language`` (the English name, else the code)."""
    return LANGUAGE_NAMES.get(answer_language, {}).get(code) or LANGUAGE_NAMES["en"].get(code) or code


def key_name(key: str, answer_language: str) -> str:
    """'A minor' -> 'A-Moll', 'la mineur'... (note letters kept)."""
    note, _, mode = key.partition(" ")
    major, minor = KEY_MODES.get(answer_language, KEY_MODES["en"])
    return (minor if mode == "minor" else major).format(n=note)


def sound_word(label: str, answer_language: str) -> str:
    """How an answer in ``answer_language`` names AudioSet class ``label`` (the class name when no word is
    known; English answers use the class name's first part, lower case: "Chicken, rooster" -> "chicken", so
    that every named sound can be traced to its class)."""
    words = SOUND_WORDS.get(label, {}).get(answer_language)
    if answer_language == "en" or not words:
        first, _, rest = label.partition(", ")
        if first in ("Inside", "Outside") and rest:  # "outside" alone would not say which of the scene classes
            return f"{first} ({rest})".lower()
        return first.lower()
    return words[0]
