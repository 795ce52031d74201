"""Reference tables of the generator: countries and their names, places and phone plans; companies,
industries and titles; how people submit; junk and malformed values; activities and outcomes.
Data, not logic: synthetic/generate.py draws from them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


# Other ways people write a legal suffix.
LEGAL_SUFFIX_SPELLINGS: dict[str, tuple[str, ...]] = {
    "Inc": ("Inc.", "Incorporated"), "LLC": ("L.L.C.",), "Corp": ("Corp.", "Corporation"),
    "Ltd": ("Ltd.", "Limited"), "PLC": ("plc",), "GmbH": ("Gmbh",), "AG": ("A.G.",),
    "S.A.": ("SA",), "SAS": ("S.A.S.",), "Pty Ltd": ("Pty. Ltd.", "Pty Limited"),
    "Pvt Ltd": ("Pvt. Ltd.", "Private Limited"), "Ltda": ("Ltda.",), "K.K.": ("KK",),
    "Co., Ltd.": ("Co. Ltd.", "Company Limited"), "B.V.": ("BV",), "N.V.": ("NV",),
    "S.L.": ("SL",), "AB": ("Aktiebolag",),
}

# --- reference data: places, people, companies -----------------------------------------------


@dataclass(frozen=True)
class Country:
    """What a country contributes: share of leads, names, places, phone plan, web domains."""

    weight: float
    fit: float  # contribution to the conversion propensity (logit scale)
    cultures: Mapping[str, float]
    places: tuple[tuple[str, str, str], ...]  # (region, city, area code or "")
    calling_code: str
    phone_prefixes: tuple[str, ...]  # leading digits of mobile numbers, where no area code
    phone_length: int  # digits of the national significant number
    phone_groups: tuple[int, ...]
    national: str  # phone templates over the digit groups
    international: str
    punctuated: str
    tlds: tuple[str, ...]
    legal_suffixes: tuple[str, ...]


COUNTRIES: dict[str, Country] = {
    "US": Country(
        0.34, 0.3, {"en": 0.72, "es": 0.08, "zh": 0.06, "in": 0.06, "ko": 0.02, "vi": 0.02,
                    "ar": 0.02, "af": 0.02},
        (("California", "San Francisco", "415"), ("New York", "New York", "212"),
         ("Texas", "Austin", "512"), ("Washington", "Seattle", "206"),
         ("Illinois", "Chicago", "312"), ("Massachusetts", "Boston", "617"),
         ("Georgia", "Atlanta", "404"), ("Colorado", "Denver", "303")),
        "1", (), 10, (3, 3, 4), "({0}) {1}-{2}", "+1 {0}-{1}-{2}", "{0}.{1}.{2}",
        (".com",), ("Inc", "LLC", "Corp"),
    ),
    "GB": Country(
        0.11, 0.2, {"en": 0.78, "in": 0.08, "pl": 0.04, "zh": 0.04, "ar": 0.03, "af": 0.03},
        (("England", "London", ""), ("England", "Manchester", ""), ("Scotland", "Edinburgh", ""),
         ("England", "Bristol", ""), ("Wales", "Cardiff", ""), ("England", "Leeds", "")),
        "44", ("71", "72", "73"), 10, (4, 6), "0{0} {1}", "+44 {0} {1}", "0{0}-{1}",
        (".co.uk", ".com"), ("Ltd", "PLC"),
    ),
    "DE": Country(
        0.09, 0.2, {"de": 0.85, "tr": 0.07, "pl": 0.04, "ar": 0.04},
        (("Berlin", "Berlin", ""), ("Bavaria", "München", ""), ("Hamburg", "Hamburg", ""),
         ("Hesse", "Frankfurt am Main", ""), ("North Rhine-Westphalia", "Köln", ""),
         ("Baden-Württemberg", "Stuttgart", "")),
        "49", ("1512", "1520", "1570", "1590", "1601", "1705", "1726", "1735", "1761"), 11,
        (4, 7), "0{0} {1}", "+49 {0} {1}", "0{0}/{1}", (".de", ".com"), ("GmbH", "AG"),
    ),
    "FR": Country(
        0.06, 0.1, {"fr": 0.85, "ar": 0.08, "af": 0.04, "vi": 0.03},
        (("Île-de-France", "Paris", ""), ("Auvergne-Rhône-Alpes", "Lyon", ""),
         ("Provence-Alpes-Côte d'Azur", "Marseille", ""), ("Occitanie", "Toulouse", ""),
         ("Nouvelle-Aquitaine", "Bordeaux", "")),
        "33", ("61", "62", "64", "65", "66", "67", "68", "73", "75", "76", "77", "78"), 9,
        (1, 2, 2, 2, 2), "0{0} {1} {2} {3} {4}", "+33 {0} {1} {2} {3} {4}",
        "0{0}.{1}.{2}.{3}.{4}", (".fr", ".com"), ("S.A.", "SAS"),
    ),
    "CA": Country(
        0.06, 0.2, {"en": 0.60, "fr": 0.20, "zh": 0.10, "in": 0.07, "ko": 0.03},
        (("Ontario", "Toronto", "416"), ("British Columbia", "Vancouver", "604"),
         ("Quebec", "Montréal", "514"), ("Alberta", "Calgary", "403"),
         ("Ontario", "Ottawa", "613")),
        "1", (), 10, (3, 3, 4), "({0}) {1}-{2}", "+1 {0}-{1}-{2}", "{0}.{1}.{2}",
        (".ca", ".com"), ("Inc", "Ltd"),
    ),
    "AU": Country(
        0.05, 0.15, {"en": 0.75, "zh": 0.10, "vi": 0.05, "in": 0.05, "ko": 0.05},
        (("New South Wales", "Sydney", ""), ("Victoria", "Melbourne", ""),
         ("Queensland", "Brisbane", ""), ("Western Australia", "Perth", "")),
        "61", ("40", "41", "42", "43", "46"), 9, (3, 3, 3), "0{0} {1} {2}", "+61 {0} {1} {2}",
        "0{0}-{1}-{2}", (".com.au", ".com"), ("Pty Ltd",),
    ),
    "IN": Country(
        0.08, -0.3, {"in": 1.0},
        (("Karnataka", "Bengaluru", ""), ("Maharashtra", "Mumbai", ""), ("Delhi", "New Delhi", ""),
         ("Telangana", "Hyderabad", ""), ("Tamil Nadu", "Chennai", ""),
         ("Maharashtra", "Pune", "")),
        "91", ("98", "99", "97", "96", "90", "91", "88", "70", "81"), 10, (5, 5), "0{0} {1}",
        "+91 {0} {1}", "{0}-{1}", (".in", ".co.in", ".com"), ("Pvt Ltd", "Ltd"),
    ),
    "BR": Country(
        0.05, -0.2, {"pt": 0.95, "ja": 0.05},
        (("São Paulo", "São Paulo", ""), ("Rio de Janeiro", "Rio de Janeiro", ""),
         ("Minas Gerais", "Belo Horizonte", ""), ("Paraná", "Curitiba", ""),
         ("Rio Grande do Sul", "Porto Alegre", "")),
        "55", ("119", "219", "319", "419", "519", "619"), 11, (2, 5, 4), "({0}) {1}-{2}",
        "+55 {0} {1}-{2}", "{0}-{1}-{2}", (".com.br", ".com"), ("Ltda", "S.A."),
    ),
    "JP": Country(
        0.04, 0.0, {"ja": 1.0},
        (("Tokyo", "Tokyo", ""), ("Osaka", "Osaka", ""), ("Kanagawa", "Yokohama", ""),
         ("Aichi", "Nagoya", ""), ("Fukuoka", "Fukuoka", "")),
        "81", ("901", "903", "905", "908", "800", "804", "807", "701", "705"), 10, (2, 4, 4),
        "0{0}-{1}-{2}", "+81 {0}-{1}-{2}", "0{0} {1} {2}", (".co.jp", ".jp", ".com"),
        ("K.K.", "Co., Ltd."),
    ),
    "NL": Country(
        0.04, 0.15, {"nl": 0.85, "tr": 0.06, "ar": 0.05, "in": 0.04},
        (("North Holland", "Amsterdam", ""), ("South Holland", "Rotterdam", ""),
         ("Utrecht", "Utrecht", ""), ("North Brabant", "Eindhoven", "")),
        "31", ("61", "62", "63", "64", "65"), 9, (1, 4, 4), "0{0}-{1}{2}", "+31 {0} {1} {2}",
        "0{0} {1} {2}", (".nl", ".com"), ("B.V.", "N.V."),
    ),
    "ES": Country(
        0.04, 0.0, {"es": 0.95, "ar": 0.05},
        (("Community of Madrid", "Madrid", ""), ("Catalonia", "Barcelona", ""),
         ("Valencian Community", "Valencia", ""), ("Andalusia", "Sevilla", ""),
         ("Basque Country", "Bilbao", "")),
        "34", ("6",), 9, (3, 3, 3), "{0} {1} {2}", "+34 {0} {1} {2}", "{0}-{1}-{2}",
        (".es", ".com"), ("S.A.", "S.L."),
    ),
    "SE": Country(
        0.04, 0.15, {"sv": 0.85, "ar": 0.06, "pl": 0.04, "tr": 0.05},
        (("Stockholm County", "Stockholm", ""), ("Västra Götaland", "Göteborg", ""),
         ("Skåne", "Malmö", ""), ("Uppsala County", "Uppsala", "")),
        "46", ("70", "72", "73", "76"), 9, (2, 3, 2, 2), "0{0}-{1} {2} {3}",
        "+46 {0} {1} {2} {3}", "0{0} {1} {2} {3}", (".se", ".com"), ("AB",),
    ),
}

# culture -> (first names, last names)
NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (
        ("James", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas",
         "Christopher", "Daniel", "Matthew", "Anthony", "Andrew", "Joshua", "Ryan", "Brian",
         "Kevin", "Jonathan", "Benjamin", "Samuel", "Nicholas", "Edward", "Mary", "Patricia",
         "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
         "Emily", "Megan", "Rachel", "Laura", "Amanda", "Katherine", "Rebecca", "Victoria",
         "Margaret", "Olivia", "Hannah", "Chloe", "Grace", "Siobhan", "Niamh", "Aoife"),
        ("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
         "Anderson", "Taylor", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris",
         "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott",
         "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts",
         "Carter", "Phillips", "Evans", "Turner", "Parker", "Collins", "Edwards", "Stewart",
         "Murphy", "O'Brien", "O'Connor", "MacDonald", "McCarthy", "Fitzgerald", "Hughes"),
    ),
    "de": (
        ("Lukas", "Jonas", "Maximilian", "Felix", "Jürgen", "Klaus", "Stefan", "Andreas",
         "Johannes", "Wolfgang", "Tobias", "Matthias", "Jörg", "Sören", "Anna", "Lena",
         "Katharina", "Sabine", "Julia", "Leonie", "Ute", "Birgit", "Mia", "Jana"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
         "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
         "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hartmann",
         "Lange", "Weiß", "Groß", "Köhler", "Jäger", "Vogel"),
    ),
    "fr": (
        ("Jean", "Pierre", "François", "Nicolas", "Julien", "Sébastien", "Mathieu", "Antoine",
         "Stéphane", "Jérôme", "Benoît", "Élodie", "Camille", "Léa", "Chloé", "Manon", "Inès",
         "Marie", "Hélène", "Céline", "Amélie", "Aurélie", "Zoé"),
        ("Martin", "Bernard", "Dubois", "Robert", "Richard", "Petit", "Durand", "Leroy",
         "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Bertrand", "Roux", "Vincent",
         "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet",
         "Faure"),
    ),
    "es": (
        ("José", "Antonio", "Manuel", "Francisco", "Javier", "Alejandro", "Carlos", "Miguel",
         "Pablo", "Sergio", "Jorge", "Álvaro", "Íñigo", "María", "Carmen", "Lucía", "Laura",
         "Marta", "Elena", "Paula", "Sofía", "Isabel", "Raquel", "Nuria", "Begoña"),
        ("García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez",
         "Pérez", "Gómez", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez",
         "Romero", "Alonso", "Gutiérrez", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos",
         "Núñez", "Ibáñez"),
    ),
    "pt": (
        ("João", "Pedro", "Lucas", "Gabriel", "Rafael", "Gustavo", "Felipe", "Bruno", "Thiago",
         "Rodrigo", "André", "Ana", "Mariana", "Juliana", "Fernanda", "Camila", "Beatriz",
         "Larissa", "Letícia", "Gabriela", "Patrícia", "Vitória"),
        ("Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira",
         "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes",
         "Soares", "Vieira", "Barbosa", "Rocha", "Nascimento", "Araújo", "Gonçalves",
         "Conceição"),
    ),
    "in": (
        ("Rahul", "Amit", "Vikram", "Arjun", "Rohan", "Sanjay", "Anil", "Suresh", "Rajesh",
         "Karthik", "Aditya", "Vivek", "Priya", "Anjali", "Deepika", "Neha", "Pooja", "Kavya",
         "Divya", "Sneha", "Lakshmi", "Ananya", "Meera", "Aishwarya"),
        ("Sharma", "Patel", "Singh", "Kumar", "Gupta", "Reddy", "Iyer", "Nair", "Rao", "Mehta",
         "Joshi", "Desai", "Shah", "Verma", "Banerjee", "Chatterjee", "Mukherjee", "Pillai",
         "Menon", "Krishnan", "Agarwal", "Malhotra", "Kapoor", "Bhat"),
    ),
    "ja": (
        ("Haruto", "Yuto", "Sota", "Riku", "Takashi", "Hiroshi", "Kenji", "Daiki", "Shota",
         "Kenta", "Yui", "Aoi", "Hina", "Sakura", "Yuki", "Naoko", "Yoko", "Keiko", "Ayumi",
         "Misaki", "Emi", "Ren"),
        ("Satō", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Itō", "Yamamoto", "Nakamura",
         "Kobayashi", "Katō", "Yoshida", "Yamada", "Sasaki", "Yamaguchi", "Matsumoto", "Inoue",
         "Kimura", "Hayashi", "Shimizu", "Saitō", "Mori", "Abe", "Ikeda", "Ōno"),
    ),
    "nl": (
        ("Daan", "Sem", "Bram", "Thijs", "Jeroen", "Pieter", "Joost", "Sander", "Ruud", "Sanne",
         "Lotte", "Fleur", "Anouk", "Eva", "Femke", "Iris", "Maartje", "Ineke", "Noor"),
        ("de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen",
         "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters",
         "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "van der Meer"),
    ),
    "sv": (
        ("Erik", "Lars", "Karl", "Anders", "Johan", "Per", "Nils", "Björn", "Magnus", "Oskar",
         "Emma", "Maria", "Karin", "Sara", "Ingrid", "Åsa", "Linnéa", "Elin", "Maja", "Frida"),
        ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
         "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Hansson", "Lindberg",
         "Lindström", "Lindqvist", "Berg", "Åberg", "Öberg", "Sjöberg", "Ström", "Ekström"),
    ),
    "zh": (
        ("Wei", "Na", "Jing", "Li", "Min", "Jun", "Tao", "Lei", "Yan", "Hui", "Xin", "Hao",
         "Ying", "Mei", "Qiang", "Yong", "Bo", "Yi", "Xiaoming", "Jiahui", "Zihan", "Yuxuan"),
        ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu",
         "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Luo", "Gao", "Yu", "Lu"),
    ),
    "ko": (
        ("Min-jun", "Ji-woo", "Seo-yeon", "Ha-eun", "Do-yun", "Ji-ho", "Soo-ah", "Hyun-woo"),
        ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon"),
    ),
    "vi": (
        ("Minh", "Anh", "Thu", "Huong", "Tuan", "Linh", "Duc", "Lan", "Quang", "Phuong"),
        ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"),
    ),
    "ar": (
        ("Mohammed", "Ahmed", "Omar", "Youssef", "Karim", "Fatima", "Layla", "Nour", "Amira",
         "Yasmin"),
        ("Al-Sayed", "Haddad", "Khalil", "Nasser", "Mansour", "Saleh", "El Amrani", "Benali"),
    ),
    "af": (
        ("Chinedu", "Ngozi", "Oluwaseun", "Adebayo", "Kwame", "Abena", "Thabo", "Amara"),
        ("Okafor", "Mensah", "Adeyemi", "Okonkwo", "Nkosi", "Boateng", "Eze", "Diallo"),
    ),
    "tr": (
        ("Mehmet", "Ayşe", "Mustafa", "Emine", "Can", "Elif", "Burak", "Zeynep"),
        ("Yılmaz", "Kaya", "Demir", "Çelik", "Şahin", "Öztürk", "Aydın", "Arslan"),
    ),
    "pl": (
        ("Łukasz", "Piotr", "Krzysztof", "Tomasz", "Małgorzata", "Agnieszka", "Katarzyna",
         "Magdalena"),
        ("Kowalski", "Nowak", "Wiśniewski", "Wójcik", "Kowalczyk", "Zieliński", "Lewandowski",
         "Szymańska"),
    ),
}
# Real people with very short names: easy to mistake for junk, so planted as a hard case.
SHORT_NAMES: tuple[tuple[str, str], ...] = (
    ("Li", "Na"), ("Bo", "Xu"), ("Yi", "Wu"), ("An", "Le"), ("Jo", "Ng"), ("Al", "Ma"),
    ("Ed", "Yu"), ("Xi", "Lu"), ("Ty", "Ho"), ("Ai", "Li"),
)
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby"), "William": ("Bill", "Will", "Liam"),
    "Elizabeth": ("Liz", "Beth", "Eliza"), "Katherine": ("Kate", "Katie", "Kathy"),
    "Michael": ("Mike",), "James": ("Jim", "Jimmy", "Jamie"), "Jennifer": ("Jen", "Jenny"),
    "Thomas": ("Tom", "Tommy"), "Richard": ("Rick", "Rich", "Dick"), "Daniel": ("Dan", "Danny"),
    "Christopher": ("Chris",), "Matthew": ("Matt",), "Joseph": ("Joe", "Joey"),
    "Anthony": ("Tony",), "Andrew": ("Andy", "Drew"), "Joshua": ("Josh",),
    "Benjamin": ("Ben",), "Samuel": ("Sam",), "Nicholas": ("Nick",), "Jonathan": ("Jon",),
    "Edward": ("Ed", "Ted", "Eddie"), "Patricia": ("Pat", "Trish"),
    "Margaret": ("Maggie", "Peggy", "Meg"), "Rebecca": ("Becky",), "Victoria": ("Vicky", "Tori"),
    "Susan": ("Sue",), "Barbara": ("Barb",), "Amanda": ("Mandy",), "Johannes": ("Hannes",),
    "Maximilian": ("Max",), "Katharina": ("Kathi",), "Tobias": ("Tobi",), "Andreas": ("Andi",),
    "Nicolas": ("Nico",), "Francisco": ("Paco", "Curro"), "José": ("Pepe",),
    "Alejandro": ("Álex",), "Javier": ("Javi",), "Manuel": ("Manolo",), "Antonio": ("Toni",),
    "Gabriel": ("Gabi",), "Rafael": ("Rafa",), "Krzysztof": ("Krzysiek",),
}

INDUSTRIES: dict[str, tuple[float, float, float, tuple[str, ...]]] = {
    # name: (share, annual revenue per employee in USD, fit, company name words)
    "Software": (0.22, 250_000, 0.6, ("Systems", "Software", "Labs", "Cloud", "Technologies",
                                      "Analytics", "Data")),
    "Financial Services": (0.12, 400_000, 0.4, ("Capital", "Financial", "Bank", "Insurance",
                                                "Partners", "Investments")),
    "Healthcare": (0.10, 150_000, 0.2, ("Health", "Medical", "Clinics", "Therapeutics", "Care",
                                        "Diagnostics")),
    "Manufacturing": (0.12, 220_000, 0.1, ("Industries", "Manufacturing", "Components",
                                           "Machinery", "Materials", "Engineering")),
    "Retail": (0.08, 120_000, 0.0, ("Retail", "Stores", "Brands", "Goods", "Outfitters",
                                    "Market")),
    "Education": (0.07, 80_000, -0.5, ("Academy", "Learning", "College", "Institute")),
    "Government": (0.04, 100_000, -0.6, ("Authority", "Agency", "Council", "Commission")),
    "Media": (0.06, 180_000, 0.0, ("Media", "Studios", "Publishing", "Broadcasting")),
    "Telecommunications": (0.05, 300_000, 0.2, ("Telecom", "Networks", "Communications")),
    "Professional Services": (0.08, 150_000, 0.2, ("Consulting", "Advisors", "Group",
                                                   "Associates")),
    "Energy": (0.03, 500_000, 0.0, ("Energy", "Power", "Renewables", "Utilities")),
    "Nonprofit": (0.03, 60_000, -0.7, ("Foundation", "Trust", "Alliance")),
}
NO_LEGAL_SUFFIX = frozenset({"Education", "Government", "Nonprofit"})
NAME_FIRST_PARTS = (
    "North", "South", "East", "West", "Blue", "Green", "Red", "Silver", "Golden", "Bright",
    "Clear", "Swift", "Prime", "Summit", "Pioneer", "Harbor", "River", "Lake", "Stone", "Iron",
    "Oak", "Pine", "Maple", "Cedar", "Sky", "Sun", "Star", "Nova", "Apex", "Vertex", "Atlas",
    "Orion", "Polar", "Coastal", "Granite", "Crystal", "Eagle", "Falcon", "Fox", "Wolf",
)
NAME_SECOND_PARTS = (
    "wind", "field", "bridge", "point", "gate", "line", "path", "stone", "wave", "light", "peak",
    "view", "brook", "ridge", "water", "wood", "crest", "haven", "port", "spring", "dale",
    "ford", "well", "side", "way", "mark", "works", "shore", "core", "vale",
)
# (share of companies, log10 of the smallest and largest employee count)
SIZE_TIERS = ((0.15, 0.0, 1.0), (0.20, 1.04, 1.7), (0.22, 1.7, 2.3), (0.20, 2.3, 3.0),
              (0.13, 3.0, 3.7), (0.10, 3.7, 5.0))

SENIORITIES = ("C-level", "VP", "Director", "Manager", "Individual contributor",
               "Student/Intern")
SENIORITY_FIT = np.array([1.0, 0.9, 0.7, 0.3, -0.3, -2.2])
SENIORITY_SHARES_LARGE = (0.04, 0.07, 0.14, 0.28, 0.41, 0.06)
SENIORITY_SHARES_SMALL = (0.25, 0.06, 0.09, 0.20, 0.36, 0.04)  # founders run small companies
DEPARTMENTS = {"Marketing": (0.28, 0.5), "Sales": (0.16, 0.3), "IT": (0.16, 0.3),
               "Engineering": (0.12, 0.1), "Finance": (0.08, -0.1), "HR": (0.06, -0.4),
               "Operations": (0.14, 0.0)}
TITLES: dict[tuple[str, str], tuple[str, ...]] = {
    ("C-level", "Marketing"): ("Chief Marketing Officer", "CMO"),
    ("C-level", "Sales"): ("Chief Revenue Officer", "Chief Sales Officer"),
    ("C-level", "IT"): ("Chief Information Officer", "CIO"),
    ("C-level", "Engineering"): ("Chief Technology Officer", "CTO"),
    ("C-level", "Finance"): ("Chief Financial Officer", "CFO"),
    ("C-level", "HR"): ("Chief People Officer", "Chief Human Resources Officer"),
    ("C-level", "Operations"): ("Chief Operating Officer", "CEO", "Founder & CEO"),
    ("VP", "Marketing"): ("VP of Marketing", "VP Demand Generation", "VP Growth Marketing"),
    ("VP", "Sales"): ("VP of Sales", "SVP Sales", "Vice President, Sales"),
    ("VP", "IT"): ("VP of IT", "VP Infrastructure"),
    ("VP", "Engineering"): ("VP of Engineering", "Vice President, Engineering"),
    ("VP", "Finance"): ("VP of Finance", "Vice President, Finance"),
    ("VP", "HR"): ("VP of People", "VP Human Resources"),
    ("VP", "Operations"): ("VP of Operations", "VP Revenue Operations"),
    ("Director", "Marketing"): ("Director of Marketing", "Director of Marketing Operations",
                                "Head of Growth", "Senior Director, Marketing"),
    ("Director", "Sales"): ("Director of Sales", "Head of Sales", "Sales Director"),
    ("Director", "IT"): ("IT Director", "Director of IT", "Head of Data"),
    ("Director", "Engineering"): ("Director of Engineering", "Engineering Director"),
    ("Director", "Finance"): ("Finance Director", "Head of Finance"),
    ("Director", "HR"): ("HR Director", "Head of People"),
    ("Director", "Operations"): ("Director of Operations", "Head of Operations"),
    ("Manager", "Marketing"): ("Marketing Manager", "Marketing Operations Manager",
                               "Demand Generation Manager", "Content Marketing Manager",
                               "Product Marketing Manager"),
    ("Manager", "Sales"): ("Sales Manager", "Regional Sales Manager", "Account Manager"),
    ("Manager", "IT"): ("IT Manager", "Systems Manager", "IT Project Manager"),
    ("Manager", "Engineering"): ("Engineering Manager", "Software Development Manager"),
    ("Manager", "Finance"): ("Finance Manager", "Controller"),
    ("Manager", "HR"): ("HR Manager", "Talent Acquisition Manager"),
    ("Manager", "Operations"): ("Operations Manager", "Project Manager",
                                "Revenue Operations Manager"),
    ("Individual contributor", "Marketing"): ("Marketing Specialist", "Marketing Coordinator",
                                              "Digital Marketing Specialist", "Marketing Analyst",
                                              "SEO Specialist"),
    ("Individual contributor", "Sales"): ("Account Executive", "Sales Development Representative",
                                          "Business Development Representative"),
    ("Individual contributor", "IT"): ("Systems Administrator", "IT Specialist",
                                       "Network Engineer", "Help Desk Analyst"),
    ("Individual contributor", "Engineering"): ("Software Engineer", "Senior Software Engineer",
                                                "Data Engineer", "DevOps Engineer",
                                                "Data Scientist"),
    ("Individual contributor", "Finance"): ("Financial Analyst", "Accountant"),
    ("Individual contributor", "HR"): ("HR Generalist", "Recruiter"),
    ("Individual contributor", "Operations"): ("Operations Analyst", "Business Analyst",
                                               "Data Analyst"),
    ("Student/Intern", "Marketing"): ("Marketing Intern", "Student"),
    ("Student/Intern", "Sales"): ("Sales Intern", "Student"),
    ("Student/Intern", "IT"): ("IT Intern", "Student"),
    ("Student/Intern", "Engineering"): ("Software Engineering Intern", "Graduate Student"),
    ("Student/Intern", "Finance"): ("Finance Intern", "MBA Student"),
    ("Student/Intern", "HR"): ("HR Intern", "Student"),
    ("Student/Intern", "Operations"): ("Operations Intern", "Student"),
}

FREE_MAIL_DOMAINS = {"gmail.com": 0.55, "yahoo.com": 0.15, "outlook.com": 0.15,
                     "hotmail.com": 0.08, "icloud.com": 0.07}
FREE_MAIL_SHARE = 0.11
STUDENT_FREE_MAIL_SHARE = 0.7
CORPORATE_LOCAL_PATTERNS = {"first.last": 0.45, "flast": 0.17, "f.last": 0.12,
                            "firstlast": 0.12, "first": 0.08, "first_last": 0.06}
FREE_LOCAL_PATTERNS = {"first.last": 0.3, "firstlast": 0.2, "first.lastNN": 0.25,
                       "flastNNNN": 0.15, "firstNNNN": 0.10}
PHONE_SHARE = 0.72
FIRMOGRAPHICS_BLANK_SHARE = 0.08
PHONE_STYLES = (0.40, 0.25, 0.20, 0.15)  # national, international, E.164, punctuated

# --- reference data: submissions ---------------------------------------------------------------

SOURCE_SYSTEMS = {"hubspot": 0.45, "marketo": 0.30, "salesforce": 0.25}
LEAD_ID_PREFIXES = {"hubspot": "hs", "marketo": "mk", "salesforce": "sf"}
LEAD_SOURCES = {"web_form": 0.24, "webinar": 0.12, "paid_search": 0.16, "paid_social": 0.12,
                "event": 0.07, "referral": 0.06, "partner": 0.05, "content_syndication": 0.08,
                "organic": 0.10}
# Leads that arrive as uploaded lists carry no browser, address or form timing.
IMPORTED_LEAD_SOURCES = frozenset({"event", "partner", "content_syndication"})
CAMPAIGN_THEMES: dict[str, tuple[str, ...]] = {
    "web_form": ("Website Contact", "Newsletter Signup", "Ebook: State of B2B Marketing"),
    "webinar": ("Webinar: Pipeline Analytics 101", "Webinar: AI Forecasting",
                "Webinar: Customer Stories"),
    "paid_search": ("Search - Brand", "Search - Lead Scoring", "Search - Competitors"),
    "paid_social": ("Social - Demo Offer", "Social - Ebook", "Social - Retargeting"),
    "event": ("Event: SaaStr Europa", "Event: Dreamforce", "Event: Regional Roadshow"),
    "referral": ("",),
    "partner": ("Partner: Co-marketing", "Partner: Reseller Leads"),
    "content_syndication": ("Syndication: Benchmark Report", "Syndication: Buyer's Guide"),
    "organic": ("",),
}
UTM_OPTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "web_form": (("", ""), ("", ""), ("newsletter", "email"), ("linkedin", "social")),
    "webinar": (("newsletter", "email"), ("linkedin", "social"), ("partner-newsletter", "email")),
    "paid_search": (("google", "cpc"), ("google", "cpc"), ("bing", "cpc")),
    "paid_social": (("linkedin", "paid_social"), ("linkedin", "paid_social"),
                    ("facebook", "paid_social")),
    "event": (("", ""),),
    "referral": (("g2.com", "referral"), ("capterra.com", "referral"),
                 ("news.ycombinator.com", "referral")),
    "partner": (("", ""), ("partner-portal", "partner")),
    "content_syndication": (("techtarget", "syndication"), ("netline", "syndication")),
    "organic": (("google", "organic"), ("bing", "organic"), ("duckduckgo", "organic")),
}
PRODUCT_INTERESTS = ("Marketing Automation", "Analytics", "Data Integration", "Security",
                     "CRM Sync", "")
BROWSER_USER_AGENTS = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36": 0.30,
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36": 0.18,
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15": 0.10,
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0": 0.10,
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0": 0.06,
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.1 Mobile/15E148 Safari/604.1": 0.10,
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36": 0.08,
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36": 0.03,
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0": 0.03,
    "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1": 0.02,
}
# First octets of densely used public IPv4 space, so addresses look like real visitors.
PUBLIC_FIRST_OCTETS = np.array([23, 24, 31, 37, 45, 50, 62, 66, 71, 73, 76, 81, 84, 86, 90,
                                98, 104, 108, 109, 151, 173, 176, 185, 188, 193, 212, 213, 217])
IPV6_SHARE = 0.07

# --- reference data: junk and malformed values -------------------------------------------------

DISPOSABLE_DOMAINS = ("mailinator.com", "10minutemail.com", "guerrillamail.com", "yopmail.com",
                      "sharklasers.com", "trashmail.com", "maildrop.cc", "dispostable.com",
                      "getnada.com", "temp-mail.org")
BOT_USER_AGENTS = (
    "curl/8.5.0", "python-requests/2.31.0", "python-urllib3/2.0.7", "Go-http-client/1.1",
    "Wget/1.21.4", "Scrapy/2.11.0 (+https://scrapy.org)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/120.0.6099.109 Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
)
KEYBOARD_MASHES = ("asdf", "Asdfgh", "Qwerty", "Sdfsdf", "Zxcvb", "Hjkl", "Qwertz", "Lkjhg")
CONSONANTS = np.array(list("bcdfghjklmnpqrstvwxz"))
TEST_ENTRIES = (  # (first name, last name, email local part, email domain or "" for the company's)
    ("Test", "Test", "test", "test.com"), ("John", "Doe", "john.doe", "example.com"),
    ("Jane", "Doe", "jane.doe", "example.com"), ("Test", "User", "test", ""),
    ("Test", "Lead", "testlead", "gmail.com"), ("Foo", "Bar", "foo", "bar.com"),
    ("Mickey", "Mouse", "test123", "gmail.com"),
)
HONEYPOT_VALUES = ("http://seo-rank-boost.example/offer", "1", "yes", "Buy cheap backlinks now",
                   "https://bit.ly/3xYz9Q")
BAD_CREATED_AT = ("yesterday", "2026-13-45", "not a date", "32/01/2026", "2026-02-30T10:00:00Z")
BAD_EMPLOYEE_COUNTS = ("lots", "-50", "-3", "many", "a few hundred")
UNKNOWN_ACTIVITY_TYPES = ("page_visit", "meeting_booked", "chat_started", "webinar_attend")
BAD_OCCURRED_AT = ("yesterday", "2026-13-45T10:00:00Z", "soon", "13/45/2026 25:61")

# --- reference data: activities and outcomes ---------------------------------------------------

HIGH_INTENT_TYPES = {"pricing_page_view": 0.35, "demo_request": 0.15, "trial_signup": 0.15,
                     "webinar_attended": 0.20, "contact_request": 0.15}
LOW_INTENT_TYPES = {"page_view": 0.36, "email_open": 0.28, "email_click": 0.10,
                    "content_download": 0.07, "ad_click": 0.05, "webinar_registered": 0.04,
                    "social_engagement": 0.04, "newsletter_signup": 0.02, "form_submit": 0.02,
                    "call_inbound": 0.01, "cart_add": 0.01}
NEGATIVE_TYPES = {"unsubscribe": 0.5, "email_bounce": 0.5}
JUNK_ACTIVITY_TYPES = {"page_view": 0.6, "email_open": 0.4}
BOT_ACTIVITY_TYPES = {"page_view": 0.6, "pricing_page_view": 0.2, "content_download": 0.1,
                      "email_click": 0.1}
# The activity a lead's own submission leaves, by how it arrived.
CREATION_ACTIVITY = {"web_form": "form_submit", "webinar": "webinar_registered",
                     "content_syndication": "content_download", "paid_search": "ad_click",
                     "paid_social": "ad_click", "organic": "page_view", "referral": "page_view"}
ASSETS: dict[str, tuple[str, ...]] = {
    "page_view": ("/", "/blog/data-quality-checklist", "/blog/lead-scoring-explained",
                  "/product/integrations", "/customers", "/about", "/docs/getting-started"),
    "pricing_page_view": ("/pricing", "/pricing/enterprise", "/pricing/compare"),
    "form_submit": ("/contact", "/newsletter", "/ebook/state-of-b2b-marketing"),
    "content_download": ("ebook-state-of-b2b-marketing.pdf", "whitepaper-data-governance.pdf",
                         "guide-lead-scoring.pdf", "report-benchmarks.pdf"),
    "webinar_registered": ("webinar-pipeline-analytics-101", "webinar-ai-forecasting",
                           "webinar-customer-stories"),
    "webinar_attended": ("webinar-pipeline-analytics-101", "webinar-ai-forecasting",
                         "webinar-customer-stories"),
    "demo_request": ("/demo",), "trial_signup": ("/trial", "/signup"),
    "contact_request": ("/contact-sales",),
    "email_open": ("nurture-welcome-1", "nurture-welcome-2", "newsletter-monthly",
                   "product-update"),
    "email_click": ("nurture-welcome-1", "nurture-welcome-2", "newsletter-monthly",
                    "product-update"),
    "ad_click": ("google-search-brand", "linkedin-sponsored-content", "linkedin-lead-gen"),
    "cart_add": ("/checkout/starter-plan",), "newsletter_signup": ("/newsletter",),
    "call_inbound": ("",), "social_engagement": ("linkedin-post-like", "linkedin-comment"),
    "unsubscribe": ("email-preferences",), "email_bounce": ("",),
}
CAMPAIGN_ACTIVITY_TYPES = frozenset({"webinar_registered", "webinar_attended", "ad_click",
                                     "email_open", "email_click", "content_download"})
# Activities seen by a mail server or a phone system carry no browser.
NO_BROWSER_ACTIVITY_TYPES = frozenset({"email_open", "email_bounce", "call_inbound"})
REJECT_REASONS = ("not_a_fit", "no_budget", "bad_timing", "wrong_contact", "no_response",
                  "competitor_customer")
LOSS_REASONS = ("price", "competitor", "no_decision", "timing")
