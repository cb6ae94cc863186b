"""The script writer's plain-Python parts (no Django, no SDK): what a script may be, checked.

    pacing.py      words a second per voice engine, language and speed; a duration's word budget
    brief.py       the campaign brief as data, and the names a script must keep
    prompts.py     the writer's default instructions, the data message, the answers' JSON schemas
    checks.py      the model's answers parsed and checked (length, placeholders, names, call to action)
    templates.py   without a model: the best-matching system template, filled from the brief

``ai_studio.services.script_writer`` puts them together with the database and the OpenAI SDK.
"""
