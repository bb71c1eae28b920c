"""Hand-written tables behind the lab task set: review and headline vocabulary, names,
short facts with their acceptable answers, and logbook sentences for long contexts.

Organisations, people and places in generated text are fictional. Facts are real and
unambiguous; each lists every answer a grader should accept.
"""

from __future__ import annotations

# -- sentiment -------------------------------------------------------------------------
# domain: (singular subjects, positive predicates, negative predicates)
SENTIMENT_DOMAINS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "electronics": (
        (
            "this laptop",
            "the new phone",
            "this smartwatch",
            "the bluetooth speaker",
            "this e-reader",
        ),
        (
            "has a battery that lasts for days",
            "set up in under five minutes",
            "feels solid and well built",
            "runs fast even with many apps open",
            "has a bright, sharp screen",
            "sounds crisp and clear at any volume",
        ),
        (
            "stopped charging after a week",
            "overheats within minutes",
            "crackles at any volume",
            "feels cheap and flimsy",
            "freezes every few hours",
            "has a battery that barely lasts a morning",
        ),
    ),
    "kitchen": (
        ("this blender", "the coffee maker", "this frying pan", "the toaster", "this kettle"),
        (
            "heats up in seconds",
            "is easy to clean",
            "makes a perfect cup every time",
            "is quiet and powerful",
            "cooks everything evenly",
            "looks lovely on the counter",
        ),
        (
            "leaks all over the counter",
            "burns everything on one side",
            "broke on the second day",
            "is impossible to clean",
            "makes a horrible grinding noise",
            "rusted within a month",
        ),
    ),
    "film": (
        ("the film", "this movie", "the sequel", "the documentary"),
        (
            "kept me gripped from start to finish",
            "has a clever, funny script",
            "features a stunning lead performance",
            "looks gorgeous on the big screen",
            "has a soundtrack I keep humming",
            "moved me to tears in the best way",
        ),
        (
            "drags on for far too long",
            "has a predictable, lazy plot",
            "wastes a talented cast",
            "has dialogue that made me cringe",
            "is badly edited and confusing",
            "put half the audience to sleep",
        ),
    ),
    "restaurant": (
        ("the restaurant", "this café", "the pizzeria", "the noodle bar"),
        (
            "serves the best pasta I have had in years",
            "has friendly, attentive staff",
            "offers generous portions at fair prices",
            "has a cosy, relaxed atmosphere",
            "makes wonderful fresh bread",
            "gets every dish out hot and quickly",
        ),
        (
            "served us cold, greasy food",
            "kept us waiting an hour for a table",
            "has rude and careless staff",
            "charged us for dishes we never got",
            "had dirty tables and sticky floors",
            "overcooked every single dish",
        ),
    ),
    "hotel": (
        ("the hotel", "our room", "the resort", "the guesthouse"),
        (
            "was spotless and quiet",
            "has a wonderfully helpful front desk",
            "offers a breakfast worth waking up for",
            "has a view that took my breath away",
            "made us feel at home from the first minute",
            "has the most comfortable beds I have slept in",
        ),
        (
            "smelled of smoke and damp",
            "had a broken air conditioner all week",
            "was noisy until three in the morning",
            "had stained sheets and a dirty bathroom",
            "lost our booking and blamed us",
            "charged hidden fees at checkout",
        ),
    ),
    "book": (
        ("the novel", "this cookbook", "the biography", "this travel guide"),
        (
            "is beautifully written",
            "is full of ideas I keep coming back to",
            "has characters I will remember for years",
            "explains everything clearly",
            "was impossible to put down",
            "is packed with useful detail",
        ),
        (
            "is dull and repetitive",
            "is full of typos and errors",
            "has an ending that makes no sense",
            "is padded with pointless chapters",
            "gets basic facts wrong",
            "bored me within ten pages",
        ),
    ),
}

POSITIVE_CLOSERS = (
    "Highly recommended.",
    "Five stars from me.",
    "Worth every penny.",
    "I am very happy with it.",
    "I would recommend it to anyone.",
    "An absolute delight.",
)
NEGATIVE_CLOSERS = (
    "Avoid.",
    "One star.",
    "A total waste of money.",
    "Very disappointed.",
    "I want my money back.",
    "Never again.",
)
# A small complaint before a positive verdict, and small praise before a negative one.
MINOR_COMPLAINTS = (
    "The delivery was two days late",
    "The price is a little high",
    "The instructions were confusing at first",
    "The box arrived slightly dented",
    "It took a while to get going",
    "The colour was not quite what I expected",
)
MINOR_PRAISE = (
    "The photos online looked great",
    "The price was tempting",
    "The first few minutes were promising",
    "The first impression was good",
    "The reviews I read were glowing",
    "It looked lovely at first",
)
# Reviews that lean on negation; "{s}" is the subject, "{p}" a predicate.
POSITIVE_NEGATED = (
    "I was not expecting much from {s}, yet it {p}. Not a single complaint.",
    "I can't think of anything bad to say about {s}: it {p}.",
    "Nobody who tries {s} will be disappointed; it {p}.",
    "I never thought I would say this, but {s} {p}. No regrets at all.",
)
NEGATIVE_NEGATED = (
    "I really wanted to like {s}, but it {p}. Not worth it.",
    "I cannot recommend {s}: it {p}.",
    "I had high hopes for {s}, and none of them came true; it {p}.",
    "Nothing about {s} lived up to the hype. It {p}.",
)

# -- topic -----------------------------------------------------------------------------
TOPIC_LABELS = ("business", "health", "science", "sports", "technology")

COMPANIES = (
    "Northwind Traders",
    "Calder Motors",
    "Brightwater Foods",
    "Halvorsen Shipping",
    "Meridian Bank",
    "Oakridge Retail",
    "Sunfield Energy",
    "Pinecrest Airlines",
)
TECH_COMPANIES = (
    "Lumora",
    "Vexel Systems",
    "Quillsoft",
    "Nimbus Labs",
    "Orbitel",
    "Kestrel Devices",
)
TEAMS = (
    "Riverside United",
    "Harbor City FC",
    "Northfield Hawks",
    "Eastport Rovers",
    "Granite Bay Bears",
    "Lakeshore Athletic",
)
ATHLETES = (
    "Maria Okafor",
    "Jonas Lindqvist",
    "Aiko Tanaka",
    "Daniel Mensah",
    "Sofia Ricci",
    "Lucas Moreau",
)
CITIES = ("Lisbon", "Osaka", "Nairobi", "Vancouver", "Krakow", "Melbourne", "Santiago", "Oslo")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
DISEASES = ("malaria", "dengue fever", "RSV", "cholera", "tuberculosis", "shingles")

# label: (clear templates, templates with a word from another topic). Slots: {company},
# {company2}, {tech}, {team}, {team2}, {athlete}, {city}, {month}, {disease}, {pct}, {n},
# {a}, {b}, {rate}.
HEADLINES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "business": (
        (
            "{company} shares rise {pct}% after quarterly profit beats forecasts",
            "{company} agrees to buy {company2} in ${n} billion deal",
            "Central bank raises interest rates to {rate}% to curb inflation",
            "{company} cuts {n}00 jobs as sales slow",
            "Retail sales rise {pct}% in {month} as shoppers return",
            "{company} posts record annual revenue of ${n} billion",
            "{company} shares fall {pct}% as investors fret over rising debt",
            "Oil prices climb {pct}% as supply worries grow",
        ),
        (
            "Sportswear maker {company} reports record quarterly profit",
            "Drug maker {company} raises its annual sales forecast",
            "{company} shares slide as chip shortage hits car production",
        ),
    ),
    "sports": (
        (
            "{team} beat {team2} {a}-{b} to reach the cup final",
            "{athlete} wins gold in the 400 metres at the {city} championships",
            "{team} coach sacked after {n} straight defeats",
            "{athlete} breaks national record in the {city} marathon",
            "{team} clinch the league title with two games to spare",
            "{athlete} knocks out top seed to reach {city} Open quarter-final",
            "Late penalty earns {team} a {a}-{b} draw against {team2}",
        ),
        (
            "Knee injury rules {athlete} out of the {city} semi-final",
            "{team} sign new striker for a club-record transfer fee",
            "{team} to test video replay system at home games",
        ),
    ),
    "technology": (
        (
            "{tech} unveils foldable phone with week-long battery life",
            "{tech} releases software update fixing {n} security flaws",
            "New {tech} laptop chip promises {pct}% faster graphics",
            "{tech} launches AI assistant for email and calendars",
            "Hackers exploit flaw in popular web browser, {tech} warns",
            "{tech} adds end-to-end encryption to group video calls",
            "{tech} recalls tablets over battery overheating fault",
        ),
        (
            "{tech} opens data centre powered entirely by solar energy",
            "Fitness app from {tech} adds sleep tracking for smartwatches",
            "{tech} stock soars as new phone sells out in hours",
        ),
    ),
    "science": (
        (
            "Astronomers discover planet orbiting a star {n} light-years away",
            "Fossil found in {city} reveals new species of feathered dinosaur",
            "Deep-sea expedition finds {n} new species of jellyfish",
            "Ice cores reveal {n}00,000 years of Antarctic climate history",
            "Telescope captures clearest image yet of a distant galaxy cluster",
            "Biologists discover how bees use the sun to navigate",
            "Physicists cool atoms to a record low temperature",
        ),
        (
            "Chemists in {city} make battery material from seawater",
            "Ancient teeth found near {city} show what early farmers ate",
            "Satellite data reveal glaciers shrinking {pct}% faster than expected",
        ),
    ),
    "health": (
        (
            "Study links daily walking to lower risk of heart disease",
            "Hospitals report surge in flu cases as winter begins",
            "New vaccine against {disease} shows {pct}% efficacy in trial",
            "Doctors warn that poor sleep raises the risk of diabetes",
            "Health officials urge parents to vaccinate children against measles",
            "Eating more fibre cuts risk of bowel cancer, study finds",
            "Clinics in {city} report fall in {disease} cases after campaign",
        ),
        (
            "Marathon runners face higher risk of heart rhythm problems, {city} study finds",
            "Screen time on phones linked to poor sleep in teenagers, survey of {n},000 finds",
            "Price of common asthma inhalers to be cut by {pct}%",
        ),
    ),
}

# -- extraction ------------------------------------------------------------------------
PEOPLE = (
    ("Maria", "Lopez"),
    ("James", "Okafor"),
    ("Priya", "Natarajan"),
    ("Tom", "Becker"),
    ("Wei", "Chen"),
    ("Sara", "Lindgren"),
    ("Omar", "Haddad"),
    ("Lucy", "Brennan"),
    ("Kenji", "Sato"),
    ("Ana", "Costa"),
    ("David", "Mensah"),
    ("Elena", "Petrova"),
)
EMAIL_DOMAINS = (
    "northwind.com",
    "calder-motors.com",
    "brightwater.org",
    "meridianbank.co.uk",
    "lumora.io",
    "halvorsen-shipping.no",
    "oakridge.edu",
    "pinecrest.example",
)

# -- factual ---------------------------------------------------------------------------
# (question, acceptable answers, complexity, kind)
FACTS: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("What is the capital of France?", ("Paris",), "low", "capital"),
    ("What is the capital of Japan?", ("Tokyo",), "low", "capital"),
    ("What is the capital of Italy?", ("Rome",), "low", "capital"),
    ("What is the capital of Germany?", ("Berlin",), "low", "capital"),
    ("What is the capital of Spain?", ("Madrid",), "low", "capital"),
    ("What is the capital of Canada?", ("Ottawa",), "medium", "capital"),
    ("What is the capital of Australia?", ("Canberra",), "medium", "capital"),
    ("What is the capital of Egypt?", ("Cairo",), "low", "capital"),
    ("What is the capital of Kenya?", ("Nairobi",), "low", "capital"),
    ("What is the capital of Brazil?", ("Brasília", "Brasilia"), "medium", "capital"),
    ("What is the capital of Argentina?", ("Buenos Aires",), "low", "capital"),
    ("What is the capital of Peru?", ("Lima",), "low", "capital"),
    ("What is the capital of Norway?", ("Oslo",), "low", "capital"),
    ("What is the capital of Sweden?", ("Stockholm",), "low", "capital"),
    ("What is the capital of Portugal?", ("Lisbon", "Lisboa"), "low", "capital"),
    ("What is the capital of Greece?", ("Athens",), "low", "capital"),
    ("What is the capital of Turkey?", ("Ankara",), "medium", "capital"),
    ("What is the capital of South Korea?", ("Seoul",), "low", "capital"),
    ("What is the capital of Thailand?", ("Bangkok",), "low", "capital"),
    ("What is the capital of Vietnam?", ("Hanoi", "Ha Noi"), "medium", "capital"),
    ("What is the capital of Morocco?", ("Rabat",), "medium", "capital"),
    ("What is the capital of New Zealand?", ("Wellington",), "medium", "capital"),
    ("What is the capital of Switzerland?", ("Bern", "Berne"), "medium", "capital"),
    ("What is the capital of Ireland?", ("Dublin",), "low", "capital"),
    ("What is the capital of Poland?", ("Warsaw",), "low", "capital"),
    ("What is the capital of Mexico?", ("Mexico City",), "low", "capital"),
    ("What is the capital of India?", ("New Delhi",), "medium", "capital"),
    ("What is the capital of Chile?", ("Santiago",), "low", "capital"),
    ("What is the capital of Hungary?", ("Budapest",), "low", "capital"),
    ("What is the capital of Finland?", ("Helsinki",), "low", "capital"),
    ("What is the chemical symbol for gold?", ("Au",), "medium", "chemical_symbol"),
    ("What is the chemical symbol for silver?", ("Ag",), "medium", "chemical_symbol"),
    ("What is the chemical symbol for iron?", ("Fe",), "medium", "chemical_symbol"),
    ("What is the chemical symbol for sodium?", ("Na",), "medium", "chemical_symbol"),
    ("What is the chemical symbol for potassium?", ("K",), "medium", "chemical_symbol"),
    ("What is the chemical symbol for lead?", ("Pb",), "medium", "chemical_symbol"),
    ("What is the chemical symbol for copper?", ("Cu",), "medium", "chemical_symbol"),
    ("What is the chemical symbol for tin?", ("Sn",), "medium", "chemical_symbol"),
    ("What is the chemical symbol for mercury?", ("Hg",), "medium", "chemical_symbol"),
    ("What is the chemical symbol for oxygen?", ("O",), "low", "chemical_symbol"),
    ("What is the chemical symbol for helium?", ("He",), "low", "chemical_symbol"),
    ("What is the chemical symbol for carbon?", ("C",), "low", "chemical_symbol"),
    ("What is the chemical symbol for calcium?", ("Ca",), "low", "chemical_symbol"),
    ("What is the chemical symbol for zinc?", ("Zn",), "low", "chemical_symbol"),
    ("What is the chemical symbol for tungsten?", ("W",), "high", "chemical_symbol"),
    ("How many legs does a spider have?", ("8", "eight"), "low", "general"),
    ("How many days are there in a leap year?", ("366",), "low", "general"),
    ("How many sides does a hexagon have?", ("6", "six"), "low", "general"),
    ("What is the largest planet in the Solar System?", ("Jupiter",), "low", "general"),
    ("Which planet is closest to the Sun?", ("Mercury",), "low", "general"),
    ("Which planet is known as the Red Planet?", ("Mars",), "low", "general"),
    (
        "At sea level, what is the boiling point of water in degrees Celsius?",
        ("100", "100 °C", "100 degrees"),
        "low",
        "general",
    ),
    (
        "What is the freezing point of water in degrees Fahrenheit?",
        ("32", "32 °F", "32 degrees"),
        "medium",
        "general",
    ),
    (
        'Who wrote the play "Romeo and Juliet"?',
        ("William Shakespeare", "Shakespeare"),
        "low",
        "general",
    ),
    ('Who wrote the novel "Pride and Prejudice"?', ("Jane Austen", "Austen"), "medium", "general"),
    ("Who painted the Mona Lisa?", ("Leonardo da Vinci", "da Vinci", "Leonardo"), "low", "general"),
    ("What is the largest ocean on Earth?", ("Pacific", "Pacific Ocean"), "low", "general"),
    (
        "What is the longest river in South America?",
        ("Amazon", "Amazon River", "the Amazon"),
        "medium",
        "general",
    ),
    (
        "Which gas do plants take in from the air for photosynthesis?",
        ("carbon dioxide", "CO2"),
        "low",
        "general",
    ),
    ("What is the hardest natural material?", ("diamond", "diamonds"), "low", "general"),
    ("What is the square root of 81?", ("9", "nine"), "low", "general"),
    ("In which country are the pyramids of Giza?", ("Egypt",), "low", "general"),
    ("What is the chemical formula of water?", ("H2O", "H₂O"), "low", "general"),
    ("What is the currency of Japan?", ("yen", "Japanese yen"), "low", "general"),
    ("What is the smallest prime number?", ("2", "two"), "medium", "general"),
    (
        "What is the highest mountain on Earth above sea level?",
        ("Mount Everest", "Everest", "Mt Everest", "Mt. Everest"),
        "low",
        "general",
    ),
    (
        "How many players does one team have on the field in a football (soccer) match?",
        ("11", "eleven"),
        "low",
        "general",
    ),
    ("Which organ pumps blood around the human body?", ("heart",), "low", "general"),
    ("What is the largest animal that has ever lived?", ("blue whale",), "medium", "general"),
    (
        "Who developed the theory of general relativity?",
        ("Albert Einstein", "Einstein"),
        "low",
        "general",
    ),
    ("How many bones are there in the adult human body?", ("206",), "high", "general"),
    ("Which element has atomic number 1?", ("hydrogen", "H"), "medium", "general"),
    ("In which year did the Second World War end?", ("1945",), "medium", "general"),
    (
        "Who was the first person to walk on the Moon?",
        ("Neil Armstrong", "Armstrong"),
        "medium",
        "general",
    ),
    ("How many strings does a standard violin have?", ("4", "four"), "medium", "general"),
    ("What is the main language spoken in Brazil?", ("Portuguese",), "medium", "general"),
    (
        "How many minutes are there in a day?",
        ("1440", "1,440"),
        "high",
        "general",
    ),
    (
        "What is 0 degrees Celsius in kelvin, rounded to the nearest whole number?",
        ("273", "273 K"),
        "high",
        "general",
    ),
)

# -- long context ----------------------------------------------------------------------
LOG_SUBJECTS = (
    "the night shift",
    "the maintenance crew",
    "Dr. Alvarez",
    "the weather team",
    "two visiting engineers",
    "the kitchen staff",
    "the supply pilot",
    "the field biologists",
    "the station manager",
    "the radio operator",
    "the dive team",
    "Dr. Nakamura",
)
LOG_ACTIONS = (
    "checked the backup generator",
    "replaced a worn fan belt in the workshop",
    "recorded a steady wind from the north-west",
    "counted seabirds on the western cliffs",
    "restocked the medical cabinet",
    "cleaned the solar panels on the roof",
    "calibrated the wave buoy in the harbour",
    "repaired a leaking pipe in the laundry",
    "logged an air temperature of {t} degrees",
    "sorted the sample jars by date",
    "tested the satellite link for {m} minutes",
    "repainted the door of the workshop",
    "measured the snow depth near the landing strip",
    "serviced the outboard motor",
    "collected water samples from the lagoon",
    "updated the inventory of spare parts",
    "cooked a large pot of lentil soup for everyone",
    "swept the corridor and emptied the bins",
    "walked the perimeter fence and found no damage",
    "downloaded data from the seismometer",
    "noted {n} seals resting on the rocks",
    "checked the fuel levels in the main tank",
    "fixed the squeaky hinge on the mess hall door",
    "gave a short talk on sea ice",
)
LOG_TIMES = (
    "Early in the morning",
    "Shortly after breakfast",
    "Around midday",
    "Shortly after lunch",
    "During the afternoon",
    "Late in the evening",
    "Just before dinner",
    "At dawn",
)
LOG_REMARKS = (
    "Visibility stayed good all day.",
    "Nothing unusual was reported.",
    "The radio was quiet for most of the shift.",
    "A light rain fell for about an hour.",
    "The tide was unusually low.",
    "Everyone attended the evening briefing.",
    "The wind dropped after sunset.",
    "Fog rolled in from the sea but cleared quickly.",
    "The heating in the bunk rooms worked well.",
    "Supplies are holding up as planned.",
)
PLACES = (
    "east archive",
    "north storage room",
    "radio hut",
    "boat shed",
    "greenhouse",
    "fuel depot",
    "server cabinet",
    "library annex",
    "weather tower",
    "cold lab",
)
CODE_WORDS = (
    "KESTREL",
    "HERON",
    "FALCON",
    "PLOVER",
    "OSPREY",
    "MAGPIE",
    "CURLEW",
    "LINNET",
    "EGRET",
    "PUFFIN",
    "SISKIN",
    "GANNET",
)
