"""The starter catalog a fresh install ships with, loaded by ``manage.py seed_catalog``.

    starter_catalog.py  the avatars, voices and system prompt templates, as data
    portraits.py        the avatars' illustrated portraits and lip-sync rigs, drawn with Pillow
    music.py            the music beds, synthesised with numpy
"""
