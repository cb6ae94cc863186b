"""The starter catalog a fresh install ships with (loaded by ``manage.py seed_catalog``)."""
from __future__ import annotations

from ai_studio.seeding.portraits import PortraitStyle

# --- voices -----------------------------------------------------------------------------------
# (voice id, name, gender, style, description). OpenAI voices are multilingual; listed as en-US.
OPENAI_VOICES = [
    ("alloy", "Alloy", "neutral", "balanced", "Even, versatile and clear: a safe choice for any brand."),
    ("ash", "Ash", "male", "confident", "Warm, assured delivery for product demos and explainers."),
    ("ballad", "Ballad", "male", "storytelling", "Smooth and expressive, made for stories and testimonials."),
    ("coral", "Coral", "female", "friendly", "Bright and upbeat, like a friend sharing a great find."),
    ("echo", "Echo", "male", "calm", "Calm and steady; lets the message breathe."),
    ("fable", "Fable", "male", "narrative", "A British storyteller with character."),
    ("onyx", "Onyx", "male", "authoritative", "Deep and authoritative, for announcements that land."),
    ("nova", "Nova", "female", "energetic", "Energetic and crisp: the classic short-form creator voice."),
    ("sage", "Sage", "female", "reassuring", "Soft, knowledgeable and reassuring."),
    ("shimmer", "Shimmer", "female", "warm", "Warm and polished, great for lifestyle brands."),
    ("verse", "Verse", "male", "dynamic", "Dynamic and punchy, made for hooks and calls to action."),
]

# Local voice id -> (name, style, description, accent). Other ids the engine offers get a generic entry.
LOCAL_VOICE_DETAILS = {
    "en_US-joe-medium": ("Joe (offline)", "natural", "A natural US English voice that runs fully offline.", "US"),
    "espeak:en-us": ("Robo US (offline)", "robotic", "A retro synthesiser voice in US English.", "US"),
    "espeak:en-gb": ("Robo UK (offline)", "robotic", "A retro synthesiser voice in British English.", "British"),
    "espeak:es": ("Robo Español (offline)", "robotic", "A retro synthesiser voice in Spanish.", "Castilian"),
    "espeak:fr": ("Robo Français (offline)", "robotic", "A retro synthesiser voice in French.", "Parisian"),
    "espeak:de": ("Robo Deutsch (offline)", "robotic", "A retro synthesiser voice in German.", "Standard"),
}
FALLBACK_LOCAL_VOICES = {  # used only if the speech engine cannot be imported
    "en_US-joe-medium": {"id": "en_US-joe-medium", "label": "Joe", "language": "en-US", "gender": "male",
                         "engine": "piper"},
}

# --- avatars ----------------------------------------------------------------------------------
AVATARS = [
    {
        "slug": "maya", "name": "Maya", "gender": "female", "age_range": "25-34", "style": "professional",
        "description": "Polished and approachable: a trusted expert who makes complex products feel simple.",
        "tags": ["saas", "finance", "b2b"], "default_voice": "nova", "background_color": "#1B2A41",
        "portrait": PortraitStyle(skin="#F1C7A5", hair="#2B1B12", hair_style="long", clothing="#E4572E",
                                  clothing_style="vneck", background=("#FFB88C", "#DE6262"), eyes="#3B7A57",
                                  earrings="#F2C94C"),
    },
    {
        "slug": "jordan", "name": "Jordan", "gender": "male", "age_range": "25-34", "style": "energetic",
        "description": "High-energy host who turns any launch into an event. Great for hooks.",
        "tags": ["fitness", "apps", "gaming"], "default_voice": "verse", "background_color": "#0B3C49",
        "portrait": PortraitStyle(skin="#8D5524", hair="#111111", hair_style="buzz", clothing="#1F4E79",
                                  clothing_style="crew", background=("#74EBD5", "#2C7DA0")),
    },
    {
        "slug": "amara", "name": "Amara", "gender": "female", "age_range": "18-24", "style": "casual",
        "description": "A creator-style storyteller with Gen Z energy and real-talk delivery.",
        "tags": ["fashion", "beauty", "ugc"], "default_voice": "shimmer", "background_color": "#3D1F4F",
        "portrait": PortraitStyle(skin="#C68642", hair="#1C1C1C", hair_style="curly", clothing="#6A4C93",
                                  clothing_style="hoodie", background=("#FBD786", "#F7797D")),
    },
    {
        "slug": "ethan", "name": "Ethan", "gender": "male", "age_range": "35-44", "style": "corporate",
        "description": "Calm, credible presenter for announcements, B2B and financial services.",
        "tags": ["b2b", "finance", "announcements"], "default_voice": "echo", "background_color": "#14213D",
        "portrait": PortraitStyle(skin="#FFDBAC", hair="#D4A373", hair_style="side_part", clothing="#2D3142",
                                  clothing_style="blazer", background=("#A1C4FD", "#C2E9FB"), glasses=True,
                                  eyes="#2E6DB4"),
    },
    {
        "slug": "priya", "name": "Priya", "gender": "female", "age_range": "25-34", "style": "friendly",
        "description": "Warm and upbeat, the friend who always knows the best product to try next.",
        "tags": ["food", "wellness", "ecommerce"], "default_voice": "coral", "background_color": "#264653",
        "portrait": PortraitStyle(skin="#E0AC69", hair="#3D2314", hair_style="bun", clothing="#2A9D8F",
                                  clothing_style="collar", background=("#F6D365", "#FDA085")),
    },
    {
        "slug": "nia", "name": "Nia", "gender": "female", "age_range": "35-44", "style": "authoritative",
        "description": "Confident and composed; makes bold claims believable.",
        "tags": ["health", "education", "nonprofit"], "default_voice": "sage", "background_color": "#2B2D42",
        "portrait": PortraitStyle(skin="#5C3A21", hair="#0B0B0B", hair_style="bob", clothing="#F4A261",
                                  clothing_style="crew", background=("#C3A3F1", "#6F58C9"), earrings="#FFFFFF"),
    },
    {
        "slug": "riley", "name": "Riley", "gender": "neutral", "age_range": "18-24", "style": "playful",
        "description": "Playful and quick-witted, built for trends, memes and snappy promos.",
        "tags": ["gaming", "music", "apps"], "default_voice": "alloy", "background_color": "#1D3557",
        "portrait": PortraitStyle(skin="#F3D2C1", hair="#B23A48", hair_style="ponytail", clothing="#264653",
                                  clothing_style="vneck", background=("#B5FFFC", "#FFDEE9")),
    },
    {
        "slug": "marcus", "name": "Marcus", "gender": "male", "age_range": "45-54", "style": "professional",
        "description": "Seasoned and reassuring: the expert you would ask for advice.",
        "tags": ["real-estate", "insurance", "b2b"], "default_voice": "onyx", "background_color": "#2F3E46",
        "portrait": PortraitStyle(skin="#A0673F", hair="#4A4A4A", hair_style="short", clothing="#9B2226",
                                  clothing_style="collar", background=("#D4FC79", "#96E6A1"), glasses=True),
    },
]


# --- system templates -------------------------------------------------------------------------
def _var(name, label, *, required=True, default="", max_length=80):
    return {"name": name, "label": label, "required": required, "default": default, "max_length": max_length}


TEMPLATES = [
    {
        "name": "Launch Day Hook", "category": "product_launch", "tone": "excited", "target_duration_seconds": 30,
        "description": "Open with a pattern break, land the one benefit that matters, close with urgency.",
        "body": "Stop scrolling — {{product}} is finally here. If you're {{audience}}, this changes everything: "
                "{{benefit}}. No learning curve, no fluff, just results from day one. {{offer}} {{cta}}",
        "variables": [_var("product", "Product name", max_length=60),
                      _var("audience", "Who it is for", default="tired of doing it the hard way"),
                      _var("benefit", "The main benefit", max_length=140),
                      _var("offer", "Launch offer (optional)", required=False, max_length=120),
                      _var("cta", "Call to action", default="Tap the link and try it today.", max_length=80)],
    },
    {
        "name": "Problem → Solution", "category": "promo", "tone": "conversational", "target_duration_seconds": 25,
        "description": "The classic direct-response arc: name the pain, twist the knife, reveal the fix.",
        "body": "Still {{problem}}? You're not alone — and it's costing you more than you think. "
                "That's exactly why we built {{product}}. It {{solution}}, so you can finally focus on what "
                "matters. {{cta}}",
        "variables": [_var("problem", "The pain, as a verb phrase", default="wasting hours on busywork",
                           max_length=100),
                      _var("product", "Product name", max_length=60),
                      _var("solution", "What it does about it", max_length=140),
                      _var("cta", "Call to action", default="Try it free today.")],
    },
    {
        "name": "Flash Sale Countdown", "category": "promo", "tone": "urgent", "target_duration_seconds": 15,
        "description": "Short, punchy urgency for limited-time offers. Works best under 20 seconds.",
        "body": "Heads up: {{discount}} off {{product}} — but only until {{deadline}}. "
                "Once it's gone, it's gone. Don't be the one who waited. {{cta}}",
        "variables": [_var("discount", "Discount", default="30%", max_length=20),
                      _var("product", "Product or collection", max_length=60),
                      _var("deadline", "Deadline", default="midnight tonight", max_length=40),
                      _var("cta", "Call to action", default="Shop now through the link.")],
    },
    {
        "name": "Customer Story", "category": "testimonial", "tone": "authentic", "target_duration_seconds": 35,
        "description": "A relatable before/after told in the first person. Social proof that sounds human.",
        "body": "Honestly? I was skeptical. I'd tried everything to {{goal}}, and nothing stuck. "
                "Then I found {{product}}. Within {{timeframe}}, {{result}}. I'm not going back. "
                "If you've been on the fence — this is your sign. {{cta}}",
        "variables": [_var("goal", "What they wanted to achieve", max_length=100),
                      _var("product", "Product name", max_length=60),
                      _var("timeframe", "How quickly it worked", default="two weeks", max_length=40),
                      _var("result", "The result, in their words", max_length=160),
                      _var("cta", "Call to action", default="Link in bio.")],
    },
    {
        "name": "Three Reasons Why", "category": "explainer", "tone": "confident", "target_duration_seconds": 30,
        "description": "A list format viewers stay for: three crisp reasons, then the ask.",
        "body": "Three reasons {{audience}} are switching to {{product}}. One: {{reason_one}}. "
                "Two: {{reason_two}}. And three — the big one — {{reason_three}}. {{cta}}",
        "variables": [_var("audience", "Who is switching", default="teams like yours"),
                      _var("product", "Product name", max_length=60),
                      _var("reason_one", "Reason one", max_length=120),
                      _var("reason_two", "Reason two", max_length=120),
                      _var("reason_three", "Reason three (the strongest)", max_length=140),
                      _var("cta", "Call to action", default="See for yourself — link below.")],
    },
    {
        "name": "How It Works in 30 Seconds", "category": "explainer", "tone": "clear",
        "target_duration_seconds": 30,
        "description": "Walk through the product in three steps so the value is obvious.",
        "body": "Here's how {{product}} works, in thirty seconds. Step one: {{step_one}}. Step two: {{step_two}}. "
                "Step three: {{step_three}}. That's it — {{payoff}}. {{cta}}",
        "variables": [_var("product", "Product name", max_length=60),
                      _var("step_one", "Step one", max_length=100),
                      _var("step_two", "Step two", max_length=100),
                      _var("step_three", "Step three", max_length=100),
                      _var("payoff", "What you get at the end", default="you're done before your coffee cools",
                           max_length=100),
                      _var("cta", "Call to action", default="Get started free.")],
    },
    {
        "name": "Big News", "category": "announcement", "tone": "proud", "target_duration_seconds": 20,
        "description": "Announce a milestone, feature or partnership with confidence.",
        "body": "Big news from {{brand}}: {{news}}. We built this because {{reason}}. "
                "It's live {{availability}}, and we can't wait to hear what you think. {{cta}}",
        "variables": [_var("brand", "Brand name", max_length=60),
                      _var("news", "The announcement", max_length=160),
                      _var("reason", "Why it matters", default="you asked for it", max_length=120),
                      _var("availability", "When / where it is available", default="today, for everyone",
                           max_length=60),
                      _var("cta", "Call to action", default="Check it out now.")],
    },
    {
        "name": "Quick Tip Tutorial", "category": "how_to", "tone": "helpful", "target_duration_seconds": 30,
        "description": "Teach one useful trick; earn trust before you sell.",
        "body": "Want to {{outcome}} without {{pain}}? Here's a quick tip. {{tip}}. "
                "Most people skip this, but it makes all the difference. "
                "And if you want it done for you, {{product}} does it automatically. {{cta}}",
        "variables": [_var("outcome", "What viewers want", max_length=100),
                      _var("pain", "What they want to avoid", default="the usual headache", max_length=80),
                      _var("tip", "The tip itself", max_length=240),
                      _var("product", "Product name", max_length=60),
                      _var("cta", "Call to action", default="Follow for more tips like this.")],
    },
    {
        "name": "You're Invited", "category": "event", "tone": "inviting", "target_duration_seconds": 25,
        "description": "Drive sign-ups for a webinar, launch party, workshop or live stream.",
        "body": "You're invited! Join us for {{event}} on {{date}}. {{highlight}}. "
                "Seats are limited, and it's {{price}}. {{cta}}",
        "variables": [_var("event", "Event name", max_length=80),
                      _var("date", "Date and time", max_length=60),
                      _var("highlight", "What attendees get", max_length=160),
                      _var("price", "Price", default="completely free", max_length=40),
                      _var("cta", "Call to action", default="Save your spot with the link below.")],
    },
    {
        "name": "Behind the Scenes", "category": "behind_the_scenes", "tone": "personal",
        "target_duration_seconds": 30,
        "description": "Show the people and the process; humanise the brand.",
        "body": "Ever wondered what goes into {{product}}? Here at {{brand}}, {{process}}. "
                "It takes longer, and it's worth it, because {{why}}. "
                "Thanks for being part of the journey. {{cta}}",
        "variables": [_var("product", "Product name", max_length=60),
                      _var("brand", "Brand name", max_length=60),
                      _var("process", "How you make it", max_length=200),
                      _var("why", "Why you do it that way", max_length=140),
                      _var("cta", "Call to action", default="Follow along for more.")],
    },
    {
        "name": "Founder's Note", "category": "behind_the_scenes", "tone": "heartfelt", "target_duration_seconds": 40,
        "description": "The origin story in the founder's voice: why this exists and who it is for.",
        "body": "Hi, I'm {{founder}}, and I started {{brand}} because {{origin}}. "
                "Today, we help {{audience}} {{outcome}}. Every single day, that's what gets us up in the morning. "
                "{{cta}}",
        "variables": [_var("founder", "Founder's first name", max_length=40),
                      _var("brand", "Brand name", max_length=60),
                      _var("origin", "Why you started", max_length=200),
                      _var("audience", "Who you help", max_length=80),
                      _var("outcome", "What you help them do", max_length=120),
                      _var("cta", "Call to action", default="We'd love for you to join us.")],
    },
    {
        "name": "New Drop Teaser", "category": "product_launch", "tone": "mysterious", "target_duration_seconds": 15,
        "description": "Build anticipation before a launch: tease, don't tell.",
        "body": "Something new is coming to {{brand}}. We can't say much yet — but {{teaser}}. "
                "Mark your calendar: {{date}}. {{cta}}",
        "variables": [_var("brand", "Brand name", max_length=60),
                      _var("teaser", "The tease", default="it's the one you've been asking for", max_length=120),
                      _var("date", "Launch date", max_length=40),
                      _var("cta", "Call to action", default="Turn on notifications so you don't miss it.")],
    },
]
