# ruff: noqa: E501  (hand-written template and sentence tables read best one language per line)
"""Edit instructions and generation prompts in six languages, with held-out templates for zero-shot tests.

The first English template of Add / Remove / Extract / Style Transfer is the paper's own wording. Every other
template was written for this project: paraphrases in English, and hand-written templates in Chinese, Japanese,
German, French and Spanish. Sound names (``{x}``, ``{y}``) stay in English inside every language, as the paper's
class names do.

Held out of training (``held_out=True``): every Spanish template (a language the model never sees in training, so
cross-lingual control is measured zero-shot), and in the other languages the last template of every list of three
or more (unseen phrasings of seen languages). The paper's templates are never held out. Training pairs draw only
from templates that are not held out; validation and test pairs draw from all of them.

Also here: the hand-written sentences the TTS voices read (``SPEECH_TEXTS``) and the word swaps of SpeechEdit.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np

from audio_omni.errors import InstructionError
from audio_omni.tasks import TRAINABLE_TASKS

__all__ = [
    "LANGUAGES",
    "HELD_OUT_LANGUAGES",
    "TASKS",
    "Template",
    "templates",
    "render",
    "choose",
    "SPEECH_TEXTS",
    "text_id",
]

LANGUAGES = ("en", "zh", "ja", "de", "fr", "es")
HELD_OUT_LANGUAGES = frozenset({"es"})
TASKS = TRAINABLE_TASKS  # every task the engine writes instructions for

# Keys: a task, or "Level/up" / "Level/down" for the two directions of a level change.
_T: dict[str, dict[str, list[str]]] = {
    "en": {
        "Add": [
            "Add the sound of '{x}' to the input audio.",
            "Add '{x}' to this recording.",
            "Mix in the sound of '{x}'.",
            "Put some '{x}' into the audio.",
            "Layer '{x}' on top of what is already there.",
            "Insert the sound of '{x}' into the clip.",
            "Make it so we can also hear '{x}'.",
            "Include '{x}' in the soundscape, keep everything else as it is.",
        ],
        "Remove": [
            "Remove the sound of '{x}' from the input audio.",
            "Take out the '{x}'.",
            "Get rid of '{x}' in this recording.",
            "Delete the sound of '{x}' and keep the rest.",
            "Erase '{x}' from the clip.",
            "Cut out every trace of '{x}'.",
            "I don't want to hear '{x}' any more; remove it.",
            "Strip '{x}' from the mix.",
        ],
        "Extract": [
            "Extract the sound of '{x}' from the input audio.",
            "Isolate the '{x}'.",
            "Keep only the sound of '{x}' and remove everything else.",
            "Pull '{x}' out of the mix.",
            "Separate '{x}' from the rest of the recording.",
            "Give me just the '{x}'.",
            "Silence everything except '{x}'.",
            "Solo the sound of '{x}'.",
        ],
        "Style Transfer": [
            "Change the sound of '{x}' to '{y}'.",
            "Turn the '{x}' into '{y}'.",
            "Make the '{x}' sound like '{y}' instead.",
            "Swap the timbre of '{x}' for that of '{y}', keeping the same rhythm.",
            "Let '{y}' play what '{x}' plays.",
            "Convert '{x}' to '{y}' with the same timing.",
        ],
        "Replace": [
            "Replace '{x}' with '{y}'.",
            "Swap the '{x}' for '{y}'.",
            "Where there is '{x}', put '{y}' instead.",
            "Substitute '{y}' for the '{x}'.",
        ],
        "Level/up": [
            "Make the '{x}' louder by {db} dB.",
            "Turn up the '{x}' by {db} dB.",
            "Boost '{x}' by {db} dB and leave the rest unchanged.",
            "Raise the level of '{x}' ({db} dB).",
        ],
        "Level/down": [
            "Make the '{x}' quieter by {db} dB.",
            "Turn down the '{x}' by {db} dB.",
            "Lower '{x}' by {db} dB and leave the rest unchanged.",
            "Reduce the level of '{x}' ({db} dB).",
        ],
        "Region": [
            "Remove the sound of '{x}' between {start} s and {end} s.",
            "From {start} to {end} seconds, take out the '{x}'.",
            "Mute the '{x}' only between {start} s and {end} s.",
            "Delete '{x}' in the segment {start}-{end} s; keep the rest untouched.",
        ],
        "SpeechEdit": [
            "Change the word '{old}' to '{new}' in the speech.",
            "Replace '{old}' with '{new}' in what is said.",
            "Make the speaker say '{new}' instead of '{old}'.",
            "Edit the speech so that '{old}' becomes '{new}'.",
        ],
        "T2A": [
            "Generate the sound of {caption}.",
            "Create audio of {caption}.",
            "Make a recording of {caption}.",
            "Produce a sound effect: {caption}.",
        ],
        "T2M": [
            "Generate music: {caption}.",
            "Compose a piece: {caption}.",
            "Play {caption}.",
            "Create a music clip of {caption}.",
        ],
        "TTS": [
            "Say the following: {text}",
            "Read this aloud: {text}",
            "Speak this text in the reference voice: {text}",
        ],
    },
    "zh": {
        "Add": ["在输入音频中加入'{x}'的声音。", "给这段录音添加'{x}'。", "把'{x}'的声音混进去。", "请加上'{x}'，其余保持不变。"],
        "Remove": ["从输入音频中去除'{x}'的声音。", "把'{x}'删掉。", "去掉录音里的'{x}'。", "请移除'{x}'，保留其他声音。"],
        "Extract": ["从输入音频中提取'{x}'的声音。", "只保留'{x}'，其他全部去掉。", "把'{x}'单独分离出来。", "请提取出'{x}'。"],
        "Style Transfer": ["把'{x}'的声音换成'{y}'。", "让'{x}'听起来像'{y}'。", "保持节奏不变，把'{x}'变成'{y}'。"],
        "Replace": ["用'{y}'替换'{x}'。", "把'{x}'换成'{y}'。", "将'{x}'所在的位置改为'{y}'。"],
        "Level/up": ["把'{x}'调大{db}分贝。", "将'{x}'的音量提高{db}分贝。", "请把'{x}'增强{db}分贝。"],
        "Level/down": ["把'{x}'调小{db}分贝。", "将'{x}'的音量降低{db}分贝。", "请把'{x}'减弱{db}分贝。"],
        "Region": ["去掉{start}秒到{end}秒之间的'{x}'。", "只在{start}秒至{end}秒内删除'{x}'。", "把{start}到{end}秒的'{x}'静音。"],
        "SpeechEdit": ["把语音中的'{old}'改成'{new}'。", "让说话人说'{new}'而不是'{old}'。", "将话语里的'{old}'替换为'{new}'。"],
        "T2A": ["生成{caption}的声音。", "请制作一段音频：{caption}。", "合成这样的声音：{caption}。"],
        "T2M": ["生成音乐：{caption}。", "创作一段音乐：{caption}。", "演奏{caption}。"],
        "TTS": ["请朗读：{text}", "用参考音色说出：{text}", "把这段文字读出来：{text}"],
    },
    "ja": {
        "Add": ["入力音声に「{x}」の音を追加してください。", "この録音に「{x}」を加えて。", "「{x}」の音を重ねてください。"],
        "Remove": ["入力音声から「{x}」の音を取り除いてください。", "「{x}」を消して。", "録音から「{x}」を削除し、他はそのままにしてください。"],
        "Extract": ["入力音声から「{x}」の音を抽出してください。", "「{x}」だけを残して、他は消してください。", "「{x}」を分離して取り出して。"],
        "Style Transfer": ["「{x}」の音を「{y}」に変えてください。", "「{x}」を「{y}」のような音にして。", "同じリズムのまま「{x}」を「{y}」にしてください。"],
        "Replace": ["「{x}」を「{y}」に置き換えてください。", "「{x}」の代わりに「{y}」を入れて。", "「{x}」を「{y}」と差し替えてください。"],
        "Level/up": ["「{x}」を{db}dB大きくしてください。", "「{x}」の音量を{db}dB上げて。", "「{x}」を{db}dB強調してください。"],
        "Level/down": ["「{x}」を{db}dB小さくしてください。", "「{x}」の音量を{db}dB下げて。", "「{x}」を{db}dB弱めてください。"],
        "Region": ["{start}秒から{end}秒の間の「{x}」を消してください。", "{start}〜{end}秒だけ「{x}」を取り除いて。", "{start}秒から{end}秒まで「{x}」をミュートしてください。"],
        "SpeechEdit": ["音声の「{old}」を「{new}」に変えてください。", "「{old}」ではなく「{new}」と言わせて。", "発話中の「{old}」を「{new}」に置き換えてください。"],
        "T2A": ["{caption}の音を生成してください。", "次の音を作って：{caption}。", "{caption}の効果音を作成してください。"],
        "T2M": ["音楽を生成してください：{caption}。", "次の曲を作って：{caption}。", "{caption}を演奏してください。"],
        "TTS": ["次の文を読み上げてください：{text}", "参照音声の声で話して：{text}", "このテキストを音声にしてください：{text}"],
    },
    "de": {
        "Add": ["Füge dem Audio das Geräusch von '{x}' hinzu.", "Misch '{x}' in die Aufnahme.", "Ergänze '{x}', der Rest bleibt gleich."],
        "Remove": ["Entferne das Geräusch von '{x}' aus dem Audio.", "Nimm '{x}' heraus.", "Lösche '{x}' aus der Aufnahme und behalte den Rest."],
        "Extract": ["Extrahiere das Geräusch von '{x}' aus dem Audio.", "Behalte nur '{x}' und entferne alles andere.", "Isoliere '{x}' vom Rest der Aufnahme."],
        "Style Transfer": ["Ändere den Klang von '{x}' zu '{y}'.", "Lass '{x}' wie '{y}' klingen.", "Verwandle '{x}' in '{y}', mit demselben Timing."],
        "Replace": ["Ersetze '{x}' durch '{y}'.", "Tausche '{x}' gegen '{y}' aus.", "Setze '{y}' an die Stelle von '{x}'."],
        "Level/up": ["Mach '{x}' um {db} dB lauter.", "Erhöhe die Lautstärke von '{x}' um {db} dB.", "Hebe '{x}' um {db} dB an."],
        "Level/down": ["Mach '{x}' um {db} dB leiser.", "Senke die Lautstärke von '{x}' um {db} dB.", "Dämpfe '{x}' um {db} dB."],
        "Region": ["Entferne '{x}' zwischen {start} s und {end} s.", "Nimm '{x}' nur von {start} bis {end} Sekunden heraus.", "Schalte '{x}' zwischen {start} und {end} s stumm."],
        "SpeechEdit": ["Ändere in der Sprache das Wort '{old}' zu '{new}'.", "Lass den Sprecher '{new}' statt '{old}' sagen.", "Ersetze '{old}' im Gesagten durch '{new}'."],
        "T2A": ["Erzeuge das Geräusch von {caption}.", "Erstelle eine Aufnahme: {caption}.", "Generiere einen Soundeffekt: {caption}."],
        "T2M": ["Erzeuge Musik: {caption}.", "Komponiere ein Stück: {caption}.", "Spiele {caption}."],
        "TTS": ["Sprich folgenden Text: {text}", "Lies das vor: {text}", "Sag mit der Referenzstimme: {text}"],
    },
    "fr": {
        "Add": ["Ajoute le son de '{x}' à l'audio.", "Mélange '{x}' dans l'enregistrement.", "Ajoute '{x}' sans toucher au reste."],
        "Remove": ["Supprime le son de '{x}' de l'audio.", "Enlève le '{x}'.", "Retire '{x}' de l'enregistrement et garde le reste."],
        "Extract": ["Extrais le son de '{x}' de l'audio.", "Garde uniquement '{x}' et supprime tout le reste.", "Isole '{x}' du reste de l'enregistrement."],
        "Style Transfer": ["Change le son de '{x}' en '{y}'.", "Fais sonner '{x}' comme '{y}'.", "Transforme '{x}' en '{y}' avec le même rythme."],
        "Replace": ["Remplace '{x}' par '{y}'.", "Échange '{x}' contre '{y}'.", "Mets '{y}' à la place de '{x}'."],
        "Level/up": ["Rends '{x}' plus fort de {db} dB.", "Monte le volume de '{x}' de {db} dB.", "Augmente '{x}' de {db} dB."],
        "Level/down": ["Rends '{x}' plus doux de {db} dB.", "Baisse le volume de '{x}' de {db} dB.", "Atténue '{x}' de {db} dB."],
        "Region": ["Supprime '{x}' entre {start} s et {end} s.", "Enlève '{x}' seulement de {start} à {end} secondes.", "Coupe le son de '{x}' entre {start} et {end} s."],
        "SpeechEdit": ["Change le mot '{old}' en '{new}' dans la parole.", "Fais dire '{new}' au lieu de '{old}'.", "Remplace '{old}' par '{new}' dans ce qui est dit."],
        "T2A": ["Génère le son de {caption}.", "Crée un enregistrement : {caption}.", "Produis un effet sonore : {caption}."],
        "T2M": ["Génère de la musique : {caption}.", "Compose un morceau : {caption}.", "Joue {caption}."],
        "TTS": ["Dis le texte suivant : {text}", "Lis ceci à voix haute : {text}", "Prononce avec la voix de référence : {text}"],
    },
    "es": {
        "Add": ["Añade el sonido de '{x}' al audio.", "Mezcla '{x}' en la grabación.", "Agrega '{x}' sin cambiar lo demás."],
        "Remove": ["Elimina el sonido de '{x}' del audio.", "Quita el '{x}'.", "Borra '{x}' de la grabación y conserva el resto."],
        "Extract": ["Extrae el sonido de '{x}' del audio.", "Deja solo '{x}' y elimina todo lo demás.", "Aísla '{x}' del resto de la grabación."],
        "Style Transfer": ["Cambia el sonido de '{x}' por '{y}'.", "Haz que '{x}' suene como '{y}'.", "Convierte '{x}' en '{y}' con el mismo ritmo."],
        "Replace": ["Reemplaza '{x}' por '{y}'.", "Sustituye '{x}' con '{y}'.", "Pon '{y}' en lugar de '{x}'."],
        "Level/up": ["Sube '{x}' {db} dB.", "Aumenta el volumen de '{x}' en {db} dB.", "Haz '{x}' {db} dB más fuerte."],
        "Level/down": ["Baja '{x}' {db} dB.", "Reduce el volumen de '{x}' en {db} dB.", "Haz '{x}' {db} dB más suave."],
        "Region": ["Elimina '{x}' entre {start} s y {end} s.", "Quita '{x}' solo de {start} a {end} segundos.", "Silencia '{x}' entre {start} y {end} s."],
        "SpeechEdit": ["Cambia la palabra '{old}' por '{new}' en el habla.", "Haz que diga '{new}' en vez de '{old}'.", "Sustituye '{old}' por '{new}' en lo que se dice."],
        "T2A": ["Genera el sonido de {caption}.", "Crea una grabación: {caption}.", "Produce un efecto de sonido: {caption}."],
        "T2M": ["Genera música: {caption}.", "Compón una pieza: {caption}.", "Toca {caption}."],
        "TTS": ["Di el siguiente texto: {text}", "Lee esto en voz alta: {text}", "Pronuncia con la voz de referencia: {text}"],
    },
}  # fmt: skip

_PAPER = {"Add", "Remove", "Extract", "Style Transfer"}


@dataclass(frozen=True)
class Template:
    id: str  # "<lang>/<task-key>/<n>" ("en/Add/0" is the paper's template)
    language: str
    task: str  # the key: a task, or "Level/up" / "Level/down"
    text: str
    held_out: bool

    @property
    def paper(self) -> bool:
        return self.language == "en" and self.task in _PAPER and self.id.endswith("/0")


def _build() -> dict[tuple[str, str], list[Template]]:
    table: dict[tuple[str, str], list[Template]] = {}
    for lang, by_task in _T.items():
        for key, texts in by_task.items():
            items = []
            for i, text in enumerate(texts):
                paper = lang == "en" and key in _PAPER and i == 0
                held = lang in HELD_OUT_LANGUAGES or (len(texts) >= 3 and i == len(texts) - 1 and not paper)
                items.append(Template(f"{lang}/{key}/{i}", lang, key, text, held))
            table[(lang, key)] = items
    return table


_TABLE = _build()


def templates(language: str | None = None, key: str | None = None) -> list[Template]:
    """All templates, or those of one language and/or task key."""
    return [
        t for (lang, k), items in _TABLE.items() for t in items
        if (language is None or lang == language) and (key is None or k == key)
    ]  # fmt: skip


def _fmt_seconds(value: float) -> str:
    return f"{value:.1f}"


def render(template: Template, **fields) -> str:
    """Fill a template; numbers become short strings (seconds and dB with one decimal)."""
    values = {k: (_fmt_seconds(v) if isinstance(v, float) else v) for k, v in fields.items()}
    try:
        return template.text.format(**values)
    except KeyError as exc:
        raise InstructionError(f"template {template.id} needs the field {exc}") from None


def choose(
    key: str, language: str, rng: np.random.Generator, allow_held_out: bool, held_out_share: float = 0.5
) -> Template:
    """Pick a template of ``key`` in ``language``.

    Training (``allow_held_out=False``) never gets a held-out template (and a held-out language raises).
    Evaluation picks a held-out template with probability ``held_out_share`` when the language has both kinds.
    """
    items = _TABLE.get((language, key))
    if not items:
        raise InstructionError(f"no {key!r} templates in language {language!r}")
    seen = [t for t in items if not t.held_out]
    unseen = [t for t in items if t.held_out]
    if not allow_held_out:
        if not seen:
            raise InstructionError(f"every {key!r} template in {language!r} is held out of training")
        return seen[int(rng.integers(len(seen)))]
    pool = unseen if (unseen and (not seen or rng.random() < held_out_share)) else seen
    return pool[int(rng.integers(len(pool)))]


# --------------------------------------------------------------------------------------------------
# What the TTS voices read, and the word swaps of SpeechEdit (hand-written, short, everyday sentences)
# --------------------------------------------------------------------------------------------------

SPEECH_TEXTS: dict[str, list[str]] = {
    "en": [
        "The train to the city leaves at seven.", "Please close the window before it rains.",
        "My brother bought a red bicycle yesterday.", "We will meet at the small cafe near the park.",
        "The children are playing in the garden.", "Could you bring me a cup of tea?",
        "The museum opens again next Monday.", "She left her keys on the kitchen table.",
        "It was a cold morning in the mountains.", "The dog sleeps in front of the fire.",
        "I have read this book three times.", "Turn left at the old church and walk straight on.",
        "The market sells fresh bread every day.", "Our teacher told us a funny story.",
        "The river was quiet under the bridge.", "He plays the piano after dinner.",
        "Send me the letter by Friday, please.", "The birds woke me up early today.",
        "We need more paper for the printer.", "The concert was loud and wonderful.",
    ],
    "zh": [
        "今天的天气非常好。", "我明天早上七点出发。", "请把窗户关上。", "他在图书馆看书。", "我们一起去公园散步吧。",
        "这家饭店的菜很好吃。", "火车马上就要到站了。", "孩子们在院子里玩耍。", "她每天早上喝一杯咖啡。",
        "周末我想去看电影。", "这本书我已经读了三遍。", "老师给我们讲了一个故事。", "河边有很多小鸟。",
        "请问地铁站怎么走？", "我的弟弟喜欢弹钢琴。", "市场里有新鲜的水果。",
    ],
    "ja": [
        "今日はとても良い天気ですね。", "明日の朝七時に出発します。", "窓を閉めてください。", "彼は図書館で本を読んでいます。",
        "一緒に公園を散歩しましょう。", "このお店の料理はおいしいです。", "電車はまもなく駅に着きます。",
        "子供たちが庭で遊んでいます。", "彼女は毎朝コーヒーを飲みます。", "週末は映画を見に行きたいです。",
        "この本はもう三回読みました。", "駅まではどう行けばいいですか。", "川のそばに鳥がたくさんいます。",
        "弟はピアノを弾くのが好きです。", "市場で新しい果物を買いました。", "先生が面白い話をしてくれました。",
    ],
    "de": [
        "Der Zug in die Stadt fährt um sieben Uhr.", "Bitte schließ das Fenster, bevor es regnet.",
        "Mein Bruder hat gestern ein rotes Fahrrad gekauft.", "Wir treffen uns im kleinen Café am Park.",
        "Die Kinder spielen im Garten.", "Kannst du mir eine Tasse Tee bringen?",
        "Das Museum öffnet nächsten Montag wieder.", "Sie hat ihre Schlüssel auf dem Küchentisch vergessen.",
        "Es war ein kalter Morgen in den Bergen.", "Der Hund schläft vor dem Kamin.",
        "Ich habe dieses Buch dreimal gelesen.", "Auf dem Markt gibt es jeden Tag frisches Brot.",
        "Unser Lehrer hat uns eine lustige Geschichte erzählt.", "Er spielt nach dem Abendessen Klavier.",
        "Die Vögel haben mich heute früh geweckt.", "Das Konzert war laut und wunderbar.",
    ],
    "fr": [
        "Le train pour la ville part à sept heures.", "Ferme la fenêtre avant qu'il pleuve, s'il te plaît.",
        "Mon frère a acheté un vélo rouge hier.", "Nous nous retrouvons au petit café près du parc.",
        "Les enfants jouent dans le jardin.", "Peux-tu m'apporter une tasse de thé ?",
        "Le musée ouvre de nouveau lundi prochain.", "Elle a laissé ses clés sur la table de la cuisine.",
        "C'était un matin froid à la montagne.", "Le chien dort devant le feu.",
        "J'ai lu ce livre trois fois.", "Le marché vend du pain frais tous les jours.",
        "Notre professeur nous a raconté une histoire drôle.", "Il joue du piano après le dîner.",
        "Les oiseaux m'ont réveillé tôt ce matin.", "Le concert était fort et magnifique.",
    ],
    "es": [
        "El tren a la ciudad sale a las siete.", "Por favor, cierra la ventana antes de que llueva.",
        "Mi hermano compró una bicicleta roja ayer.", "Nos vemos en el pequeño café junto al parque.",
        "Los niños juegan en el jardín.", "¿Me traes una taza de té?",
        "El museo abre de nuevo el próximo lunes.", "Ella dejó sus llaves en la mesa de la cocina.",
        "Era una mañana fría en las montañas.", "El perro duerme delante del fuego.",
        "He leído este libro tres veces.", "El mercado vende pan fresco todos los días.",
        "Nuestro profesor nos contó una historia divertida.", "Él toca el piano después de cenar.",
        "Los pájaros me despertaron temprano hoy.", "El concierto fue ruidoso y maravilloso.",
    ],
}  # fmt: skip

#: Words SpeechEdit may put in place of another word (same language, similar role), per language.
WORD_SWAPS: dict[str, list[tuple[str, str]]] = {
    "en": [("seven", "nine"), ("red", "blue"), ("small", "big"), ("cold", "warm"), ("three", "five"),
           ("left", "right"), ("cup", "glass"), ("Monday", "Sunday"), ("dog", "cat"), ("book", "letter"),
           ("piano", "guitar"), ("fresh", "warm"), ("funny", "sad"), ("river", "lake"), ("loud", "quiet"),
           ("brother", "sister"), ("children", "students"), ("mountains", "forest"), ("Friday", "Tuesday"),
           ("birds", "neighbours"), ("paper", "ink"), ("park", "station"), ("window", "door"), ("tea", "coffee"),
           ("kitchen", "garden"), ("teacher", "father"), ("dinner", "lunch"), ("museum", "library")],
    "de": [("sieben", "neun"), ("rotes", "blaues"), ("kleinen", "großen"), ("kalter", "warmer"), ("dreimal", "zweimal"),
           ("Tee", "Kaffee"), ("Montag", "Sonntag"), ("Hund", "Kater"), ("Klavier", "Gitarre"), ("lustige", "traurige"),
           ("Kinder", "Hunde"), ("Bruder", "Vater"), ("Vögel", "Nachbarn"), ("laut", "leise"), ("Garten", "Hof"),
           ("Fenster", "Tür"), ("Brot", "Obst"), ("Bergen", "Wäldern")],
    "fr": [("sept", "neuf"), ("rouge", "bleu"), ("petit", "grand"), ("froid", "doux"), ("trois", "deux"),
           ("thé", "café"), ("lundi", "dimanche"), ("chien", "chat"), ("piano", "violon"), ("drôle", "triste"),
           ("enfants", "chiens"), ("frère", "père"), ("oiseaux", "voisins"), ("fort", "doux"), ("jardin", "salon"),
           ("fenêtre", "porte"), ("pain", "lait"), ("montagne", "mer")],
    "es": [("siete", "nueve"), ("roja", "azul"), ("pequeño", "gran"), ("fría", "cálida"), ("tres", "dos"),
           ("té", "café"), ("lunes", "domingo"), ("perro", "gato"), ("piano", "violín"), ("divertida", "triste"),
           ("niños", "perros"), ("hermano", "padre"), ("pájaros", "vecinos"), ("ruidoso", "tranquilo"),
           ("jardín", "patio"), ("ventana", "puerta"), ("pan", "queso"), ("montañas", "playas")],
    "zh": [("七点", "九点"), ("窗户", "门"), ("图书馆", "咖啡馆"), ("公园", "海边"), ("咖啡", "茶"), ("电影", "比赛"),
           ("三遍", "两遍"), ("故事", "笑话"), ("小鸟", "小鱼"), ("钢琴", "吉他"), ("水果", "蔬菜"), ("孩子们", "小狗们")],
    "ja": [("七時", "九時"), ("窓", "ドア"), ("図書館", "喫茶店"), ("公園", "海辺"), ("コーヒー", "お茶"), ("映画", "試合"),
           ("三回", "二回"), ("鳥", "魚"), ("ピアノ", "ギター"), ("果物", "野菜"), ("子供たち", "犬たち"), ("面白い", "悲しい")],
}  # fmt: skip


def text_id(language: str, text: str) -> str:
    """A short stable id of a sentence: the split key of synthetic speech (same text, same split)."""
    return f"{language}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:10]}"


def word_swaps(language: str, text: str) -> list[tuple[str, str]]:
    """The (old, new) swaps that apply to ``text``: the old word occurs in it exactly once, as a whole word
    (Chinese and Japanese have no spaces: there the word is matched as a substring)."""
    found = []
    for old, new in WORD_SWAPS.get(language, []):
        pattern = re.escape(old) if language in ("zh", "ja") else rf"(?<!\w){re.escape(old)}(?!\w)"
        if len(re.findall(pattern, text)) == 1:
            found.append((old, new))
    return found


def swap_word(language: str, text: str, old: str, new: str) -> str:
    """``text`` with the word ``old`` replaced by ``new`` (see :func:`word_swaps`)."""
    pattern = re.escape(old) if language in ("zh", "ja") else rf"(?<!\w){re.escape(old)}(?!\w)"
    return re.sub(pattern, new, text, count=1)
