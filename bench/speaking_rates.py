"""How many words a second each offline voice speaks, run by hand:

    .venv/bin/python bench/speaking_rates.py

The script writer turns a target duration into a word budget with these rates
(``ai_studio/writing/pacing.py`` holds the figures this prints). For each local voice, five
short marketing scripts in its language are synthesised at speed 1 and at speed 1.5; a voice's
rate is all their words (counted as ``ai_studio.templating.count_words`` counts them) over all
their seconds of audio, pauses and the silence around the speech included, as in a video.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

# Runnable from anywhere: the repository root holds the packages.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ai_studio.generation.speech.local import LOCAL_VOICES, LocalSpeechProvider
from ai_studio.templating import count_words

SPEEDS = (1.0, 1.5)
# The same five scripts in each language: a hook, a benefit, an offer, a how-to and a call to action.
SCRIPTS = {
    "en": [
        "Tired of spending hours editing videos? Meet ReelMate, the fastest way to turn a few lines of text "
        "into a scroll-stopping reel.",
        "Big news for busy bakers: our new proofing box keeps every loaf warm, moist and ready on time.",
        "This weekend only, everything in the spring collection is thirty percent off. Once it's gone, it's gone.",
        "Three simple steps: pick an avatar, paste your script, and publish. Your audience will love it.",
        "Why pay more? Switch today, save money every month, and tap the link to start your free trial.",
    ],
    "es": [
        "¿Cansado de pasar horas editando vídeos? Conoce ReelMate, la forma más rápida de convertir unas "
        "líneas de texto en un vídeo que nadie se salta.",
        "Grandes noticias para los panaderos: nuestra nueva cámara de fermentación mantiene cada pan caliente, "
        "húmedo y listo a tiempo.",
        "Solo este fin de semana, toda la colección de primavera tiene un treinta por ciento de descuento. "
        "Cuando se acabe, se acabó.",
        "Tres pasos sencillos: elige un avatar, pega tu guion y publica. A tu público le encantará.",
        "¿Por qué pagar más? Cámbiate hoy, ahorra dinero cada mes y toca el enlace para empezar tu prueba gratis.",
    ],
    "fr": [
        "Marre de passer des heures à monter vos vidéos ? Découvrez ReelMate, le moyen le plus rapide de "
        "transformer quelques lignes de texte en une vidéo qui accroche.",
        "Grande nouvelle pour les boulangers : notre nouvelle étuve garde chaque pain chaud, moelleux et prêt "
        "à l'heure.",
        "Ce week-end seulement, toute la collection de printemps est à moins trente pour cent. Quand il n'y en "
        "a plus, il n'y en a plus.",
        "Trois étapes simples : choisissez un avatar, collez votre script et publiez. Votre public va adorer.",
        "Pourquoi payer plus ? Changez aujourd'hui, économisez chaque mois et touchez le lien pour commencer "
        "votre essai gratuit.",
    ],
    "de": [
        "Keine Lust mehr, stundenlang Videos zu schneiden? Das ist ReelMate, der schnellste Weg, aus ein paar "
        "Zeilen Text ein Video zu machen, bei dem niemand weiterwischt.",
        "Große Neuigkeiten für alle Bäcker: Unsere neue Gärbox hält jeden Laib warm, feucht und pünktlich bereit.",
        "Nur an diesem Wochenende gibt es die ganze Frühjahrskollektion mit dreißig Prozent Rabatt. Weg ist weg.",
        "Drei einfache Schritte: Avatar wählen, Skript einfügen und veröffentlichen. Dein Publikum wird es lieben.",
        "Warum mehr bezahlen? Wechsle noch heute, spare jeden Monat Geld und tippe auf den Link für deinen "
        "kostenlosen Test.",
    ],
}


def main() -> None:
    provider = LocalSpeechProvider()
    print(f"{'voice':<20} {'language':<9} {'speed':>5} {'words':>6} {'seconds':>8} {'words/s':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for voice_id, voice in LOCAL_VOICES.items():
            language = voice["language"].split("-")[0]
            scripts = SCRIPTS.get(language)
            if not scripts:
                print(f"{voice_id:<20} {voice['language']:<9} (no scripts in this language)")
                continue
            for speed in SPEEDS:
                words = seconds = 0.0
                for index, script in enumerate(scripts):
                    workdir = Path(tmp) / f"{voice_id.replace(':', '-')}-{speed}-{index}"
                    seconds += provider.synthesize(script, voice_id, workdir, speed=speed).duration
                    words += count_words(script)
                print(f"{voice_id:<20} {voice['language']:<9} {speed:>5.2f} {words:>6.0f} {seconds:>8.2f} "
                      f"{words / seconds:>8.2f}")


if __name__ == "__main__":
    main()
