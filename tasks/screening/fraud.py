"""Fraud and junk filtering: reason codes for leads to reject and for activities to ignore.

`judge_leads` (and its short form `detect_junk_leads`) gives every lead a ";"-joined list of
reason codes (empty when the lead is clean), so a rejection is always explained, and says which
codes the allow list or a reviewer's release overrode; `flag_bot_activities` marks activities
that must not count as engagement (the lead itself may stay). The rules, thresholds and lists live in
config/fraud.yaml, validated by `FraudRules`.

Every check is vectorised or computed once per distinct value and broadcast back, so the cost
follows the number of distinct emails, names and user agents rather than calls per row; and
every check treats its input as inert text, so hostile strings (formulas, SQL, NUL bytes, huge
fields) are classified, never executed and never a crash.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS
from email_validator import validate_email
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    PositiveInt,
    ValidationError,
    field_validator,
)

from tasks.intake.contract import ACTIVITY_TYPES, LEAD_COLUMNS, file_column
from tasks.errors import ConfigError
from tasks.scoring.model import SAFE_YAML_LOADER

BOT_ACTIVITY = "bot_activity"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

Policy = Literal["reject", "allow"]

# --- configuration -------------------------------------------------------------------------

DEFAULT_ROLE_LOCAL_PARTS = frozenset({
    "info", "admin", "administrator", "noreply", "no-reply", "donotreply", "do-not-reply",
    "sales", "support", "webmaster", "postmaster", "hostmaster", "abuse", "contact", "hello",
    "help", "office", "marketing", "billing", "accounts", "enquiries", "inquiries", "team",
    "jobs", "careers", "hr", "root", "security", "privacy", "newsletter", "press", "mail",
})
DEFAULT_TEST_LOCAL_PARTS = frozenset({
    "test", "testing", "tester", "testuser", "testaccount", "testemail", "testmail", "asdf",
    "asdfgh", "qwerty", "example", "sample", "dummy", "fake", "fakeemail", "foo", "foobar",
    "noemail", "nomail", "noone", "nobody", "null", "none", "xxx", "xxxx",
})
DEFAULT_TEST_DOMAIN_LABELS = frozenset({
    "test", "testing", "example", "asdf", "qwerty", "foo", "foobar", "fake", "dummy",
})
DEFAULT_RESERVED_TLDS = frozenset({"test", "example", "invalid", "localhost"})
DEFAULT_TEST_FULL_NAMES = frozenset({
    "test test", "test user", "test tester", "testing test", "john doe", "jane doe",
    "asdf asdf", "foo bar", "first last", "firstname lastname", "mickey mouse", "donald duck",
})
DEFAULT_TEST_NAME_WORDS = frozenset({
    "test", "testing", "tester", "asdf", "asdfgh", "qwerty", "qwertz", "azerty", "zxcv",
    "hjkl", "dummy", "fake", "xxx", "xxxx",
})
DEFAULT_KEYBOARD_ROWS = (
    "qwertyuiop", "asdfghjkl", "zxcvbnm",  # QWERTY
    "qwertzuiop", "yxcvbnm",  # QWERTZ
    "azertyuiop", "qsdfghjklm", "wxcvbn",  # AZERTY
)
# Markup, formulas, URLs and control characters: what a person never types as their name.
DEFAULT_NAME_FORBIDDEN_PATTERN = (
    r"(?i)https?://|www\.|[@<>{}\[\]=|\\#$*;\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
)
DEFAULT_BOT_PATTERNS = (
    r"curl/", r"\bwget\b", r"python-requests", r"python-urllib", r"python-httpx", r"aiohttp",
    r"go-http-client", r"headlesschrome", r"phantomjs", r"selenium", r"puppeteer",
    r"playwright", r"scrapy", r"libwww-perl", r"java/\d", r"apache-httpclient", r"node-fetch",
    r"axios/", r"(?<!cu)bot", r"crawler", r"spider", r"slurp", r"facebookexternalhit",
)
DEFAULT_STUDENT_SUFFIXES = frozenset({
    "edu", "ac.uk", "edu.au", "ac.nz", "ac.jp", "ac.in", "ac.za", "ac.il", "ac.kr", "edu.cn",
    "edu.sg", "edu.hk", "ac.at", "edu.mx", "edu.br", "edu.tr", "edu.pl", "ac.id", "ac.th",
})
DEFAULT_STUDENT_SUBDOMAIN_LABELS = frozenset({"student", "students", "stud", "alumni"})


def _clean_domains(values: Iterable[str]) -> frozenset[str]:
    """Lower-case domains and drop a leading "@" or "." so "@Example.COM" means example.com."""
    cleaned = set()
    for value in values:
        domain = value.strip().lower().lstrip("@.")
        if not domain or "@" in domain or any(c.isspace() for c in domain):
            raise ValueError(f"{value!r} is not a domain")
        cleaned.add(domain)
    return frozenset(cleaned)


def _clean_emails(values: Iterable[str]) -> frozenset[str]:
    """Lower-case and trim listed email addresses, which must contain an "@"."""
    cleaned = set()
    for value in values:
        email = value.strip().lower()
        if "@" not in email:
            raise ValueError(f"{value!r} is not an email address")
        cleaned.add(email)
    return frozenset(cleaned)


def _clean_words(values: Iterable[str]) -> frozenset[str]:
    """Case-fold and trim listed words, collapsing inner whitespace."""
    return frozenset(" ".join(value.casefold().split()) for value in values)


def _check_pattern(pattern: str) -> str:
    """Reject a regular expression that does not compile, with the compiler's reason."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{pattern!r} is not a valid regular expression ({exc})") from None
    return pattern


class _Section(BaseModel):
    """A block of the rules file: unknown keys are errors, so a typo never switches a rule off."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class AddressLists(_Section):
    """Emails, domains (a domain also covers its subdomains) and IP addresses or networks."""

    emails: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    ips: tuple[IPvAnyNetwork, ...] = ()

    _emails = field_validator("emails")(_clean_emails)
    _domains = field_validator("domains")(_clean_domains)


class BlockedRule(AddressLists):
    """rules.blocked: known abusers, rejected with reason "blocked"."""

    enabled: bool = True


class HoneypotRule(_Section):
    """rules.honeypot: the hidden form field people never see and bots fill in."""

    enabled: bool = True
    # Browsers' autofill also fills hidden fields, with the person's own details: a honeypot
    # that holds exactly one of the lead's own email, phone, name or company is autofill.
    ignore_own_details: bool = True


class InvalidEmailRule(_Section):
    """rules.invalid_email: an address that is not one. `policy: flag` keeps the lead with its
    address set aside (no match key, never emailed); `reject` rejects the lead."""

    enabled: bool = True
    policy: Literal["flag", "reject"] = "flag"


class DisposableDomainRule(_Section):
    """rules.disposable_domain: the package's throwaway-inbox list, minus `allow_domains`."""

    enabled: bool = True
    allow_domains: frozenset[str] = frozenset()

    _domains = field_validator("allow_domains")(_clean_domains)


class RoleMailboxRule(_Section):
    """rules.role_mailbox: shared mailboxes (info@, sales@); `policy: allow` switches it off."""

    policy: Policy = "reject"
    local_parts: frozenset[str] = DEFAULT_ROLE_LOCAL_PARTS

    _words = field_validator("local_parts")(_clean_words)


class TestEntryRule(_Section):
    """rules.test_entry: test and placeholder addresses and names, keyboard mashes."""

    __test__ = False  # a config section, not a pytest test class

    enabled: bool = True
    local_parts: frozenset[str] = DEFAULT_TEST_LOCAL_PARTS
    domain_labels: frozenset[str] = DEFAULT_TEST_DOMAIN_LABELS
    reserved_tlds: frozenset[str] = DEFAULT_RESERVED_TLDS
    full_names: frozenset[str] = DEFAULT_TEST_FULL_NAMES
    name_words: frozenset[str] = DEFAULT_TEST_NAME_WORDS
    keyboard_rows: tuple[str, ...] = DEFAULT_KEYBOARD_ROWS
    keyboard_run_min_length: int = Field(5, ge=3)

    _words = field_validator(
        "local_parts", "domain_labels", "reserved_tlds", "full_names", "name_words"
    )(_clean_words)

    @field_validator("keyboard_rows")
    @classmethod
    def _lower_rows(cls, rows: tuple[str, ...]) -> tuple[str, ...]:
        """Rows are matched against lower-cased words."""
        return tuple(row.strip().lower() for row in rows)


class GibberishNameRule(_Section):
    """rules.gibberish_name: first or last names that look random or are not names at all."""

    enabled: bool = True
    max_consonant_run: int = Field(6, ge=3)
    max_repeated_letter: int = Field(3, ge=1)
    reject_digits: bool = True
    max_length: int = Field(100, ge=10)
    forbidden_pattern: str = DEFAULT_NAME_FORBIDDEN_PATTERN
    max_case_switches: int = Field(2, ge=1)

    _pattern = field_validator("forbidden_pattern")(_check_pattern)


class FormTooFastRule(_Section):
    """rules.form_too_fast: forms submitted faster than a person can fill them in."""

    enabled: bool = True
    min_seconds: float = Field(3.0, ge=0)
    # Returning visitors (email or phone already in the warehouse) autofill forms in a second.
    exempt_returning_visitors: bool = True


class BotUserAgentRule(_Section):
    """rules.bot_user_agent: HTTP libraries, headless browsers and crawlers."""

    enabled: bool = True
    patterns: tuple[str, ...] = DEFAULT_BOT_PATTERNS
    empty_user_agent: Policy = "allow"

    @field_validator("patterns")
    @classmethod
    def _compile(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        """Each pattern must compile on its own, so an error can name it."""
        return tuple(_check_pattern(pattern) for pattern in patterns)


class IpBurstRule(_Section):
    """rules.ip_burst: more than `max_leads_per_ip` leads from one IP in one day's extract."""

    enabled: bool = True
    max_leads_per_ip: PositiveInt = 10


class DeviceBurstRule(_Section):
    """rules.device_burst: more than `max_leads_per_device` leads from one device in one day's
    extract; the device is the first non-empty of `columns` (a visitor cookie or fingerprint)."""

    enabled: bool = True
    max_leads_per_device: PositiveInt = 5
    columns: tuple[str, ...] = ("device_id", "visitor_id", "hutk")


class CompetitorDomainRule(_Section):
    """rules.competitor_domain: competitors' email domains."""

    enabled: bool = True
    domains: frozenset[str] = frozenset()

    _domains = field_validator("domains")(_clean_domains)


class StudentDomainRule(_Section):
    """rules.student_domain: academic addresses; `policy: allow` switches it off."""

    policy: Policy = "reject"
    suffixes: frozenset[str] = DEFAULT_STUDENT_SUFFIXES
    subdomain_labels: frozenset[str] = DEFAULT_STUDENT_SUBDOMAIN_LABELS

    _suffixes = field_validator("suffixes")(_clean_domains)
    _labels = field_validator("subdomain_labels")(_clean_words)


class LeadRules(_Section):
    """The `rules:` section: one block per lead reason code."""

    blocked: BlockedRule = BlockedRule()
    honeypot: HoneypotRule = HoneypotRule()
    invalid_email: InvalidEmailRule = InvalidEmailRule()
    disposable_domain: DisposableDomainRule = DisposableDomainRule()
    test_entry: TestEntryRule = TestEntryRule()
    role_mailbox: RoleMailboxRule = RoleMailboxRule()
    competitor_domain: CompetitorDomainRule = CompetitorDomainRule()
    student_domain: StudentDomainRule = StudentDomainRule()
    gibberish_name: GibberishNameRule = GibberishNameRule()
    bot_user_agent: BotUserAgentRule = BotUserAgentRule()
    form_too_fast: FormTooFastRule = FormTooFastRule()
    ip_burst: IpBurstRule = IpBurstRule()
    device_burst: DeviceBurstRule = DeviceBurstRule()


class BotActivityRule(_Section):
    """The `bot_activity:` section: which activities do not count as engagement."""

    enabled: bool = True
    click_types: frozenset[str] = frozenset({"email_click"})
    window_seconds: float = Field(1.0, gt=0)
    min_distinct_assets: int = Field(3, ge=2)
    flag_bot_user_agents: bool = True
    empty_user_agent: Policy = "allow"

    @field_validator("click_types")
    @classmethod
    def _known_types(cls, types: frozenset[str]) -> frozenset[str]:
        """A misspelt activity type would silently switch the burst check off."""
        cleaned = _clean_words(types)
        unknown = sorted(cleaned - set(ACTIVITY_TYPES))
        if unknown:
            raise ValueError(f"unknown activity type {unknown[0]!r}")
        return cleaned


class FraudRules(_Section):
    """The validated contents of config/fraud.yaml; every key has a default."""

    allow: AddressLists = AddressLists()
    rules: LeadRules = LeadRules()
    bot_activity: BotActivityRule = BotActivityRule()


class _UniqueKeyLoader(SAFE_YAML_LOADER):
    """A safe YAML loader that refuses duplicate keys instead of keeping the last one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # "<<" merges may override keys
                continue
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            if isinstance(key, Hashable):
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_fraud_rules(path: Path) -> FraudRules:
    """Read and validate a fraud rules file; any problem raises a one-line `ConfigError`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"{path}: cannot read fraud rules: {reason}") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a safe loader's subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError(f"{path}: {where}YAML error: {problem}") from None
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ConfigError(f"{path}: expected a mapping of fraud rule sections, found {found}")
    try:
        return FraudRules.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_describe_validation_error(exc)}") from None


# pydantic's wording for these speaks of Python types; say it in the file's terms instead.
_PLAIN_MESSAGES = {
    "model_type": "should be a mapping of settings",
    "frozen_set_type": "should be a list",
    "tuple_type": "should be a list",
}


def _describe_validation_error(exc: ValidationError) -> str:
    """The first problem as 'field.path: message', on one line, with a count of the others."""
    errors = exc.errors()
    first = errors[0]
    field = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"]
    ).lstrip(".") or "(top level)"
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    else:
        message = _PLAIN_MESSAGES.get(first["type"], first["msg"].removeprefix("Value error, "))
        value = first.get("input")
        if isinstance(value, (str, int, float, bool)) or value is None:
            message += f" (got {repr(value)[:60]})"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return f"{field}: {message}{more if len(errors) > 1 else ''}"


# --- helpers -------------------------------------------------------------------------------

# Optional boolean lead columns the screening stage adds from the warehouse ("_": made by the
# pipeline, never an extract column or a custom attribute).
RETURNING = "_returning_visitor"
RELEASED = "_released"


def _first_non_empty(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """Per row, the first non-empty value of `columns` (absent columns are empty); "" if none."""
    key = pd.Series("", index=frame.index, dtype=object)
    for column in reversed(columns):
        value = _text(frame, column)
        key = value.where(value != "", key)
    return key


def _flag_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A boolean column as a numpy array; absent or missing values are False."""
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame[column].astype(object).where(frame[column].notna(), False).astype(bool).to_numpy()


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as trimmed Python strings; missing values and a missing column become ""."""
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    # Once per distinct value (a day's million activities hold a few hundred types, systems and
    # assets); numbers or other objects in a text column as str() writes them.
    return _map_distinct(frame[column], lambda value: (value if isinstance(value, str) else str(value)).strip())


def _per_distinct(values: pd.Series, check: Callable[[str], bool]) -> np.ndarray:
    """Run `check` once per distinct non-empty value and broadcast the answers to every row."""
    codes, uniques = pd.factorize(values)
    answers = np.fromiter(
        (bool(value) and check(value) for value in uniques), dtype=bool, count=len(uniques)
    )
    return np.append(answers, False)[codes]  # factorize codes missing values as -1


def _map_distinct(values: pd.Series, func: Callable[[str], str]) -> pd.Series:
    """Apply a text transformation once per distinct value and broadcast it to every row."""
    codes, uniques = pd.factorize(values)
    mapped = np.array([func(value) for value in uniques.to_numpy(dtype=object)] + [""], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def _domain_in(domain: str, domains: frozenset[str]) -> bool:
    """True if the domain or one of its parent domains is in the set."""
    if not domains or len(domain) > 253:  # 253: the longest a DNS name can be
        return False
    labels = domain.split(".")
    return any(".".join(labels[i:]) in domains for i in range(len(labels)))


def _parse_ip(value: str) -> IPAddress | None:
    """An IP address, IPv4-mapped IPv6 folded to IPv4; None for anything else."""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped if mapped is not None else address


def _ip_listed(ips: pd.Series, networks: tuple[IPNetwork, ...]) -> np.ndarray:
    """Which rows' IP address falls in one of the networks."""
    if not networks:
        return np.zeros(len(ips), dtype=bool)

    def listed(value: str) -> bool:
        address = _parse_ip(value)
        return address is not None and any(address in network for network in networks)

    return _per_distinct(ips, listed)


def _user_agent_flags(
    user_agents: pd.Series, patterns: tuple[str, ...], empty_policy: Policy
) -> np.ndarray:
    """Which user agents match a bot pattern; an empty one is flagged only if policy rejects it."""
    matches = np.zeros(len(user_agents), dtype=bool)
    if patterns:
        bot = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
        matches = _per_distinct(user_agents, lambda ua: bot.search(ua) is not None)
    if empty_policy == "reject":
        matches |= (user_agents == "").to_numpy()
    return matches


def _join_reasons(flags: list[tuple[str, np.ndarray]], index: pd.Index) -> pd.Series:
    """Join the codes that fired for each row with ";", in the order given."""
    reasons = np.full(len(index), "", dtype=object)
    for code, mask in flags:
        if mask.any():
            current = reasons[mask]
            reasons[mask] = np.where(current == "", code, current + ";" + code)
    return pd.Series(reasons, index=index, dtype=object, name="reasons")


# --- email rules ---------------------------------------------------------------------------

# Plain ASCII addresses that email-validator is certain to accept: checking them by regex first
# saves its ~20-40 µs per address for the bulk of a day's leads. Anything else (international
# characters, quoted parts, "--" labels, special-use top-level domains, odd lengths) goes to the
# library, which stays the one judge of what is invalid.
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,24}"
)
_SPECIAL_USE_TLDS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def _plainly_valid(email: str) -> bool:
    """True for simple ASCII addresses that need no library check (see _PLAIN_EMAIL)."""
    local, _, domain = email.rpartition("@")
    return (
        len(email) <= 254 and len(local) <= 64 and "--" not in domain
        and domain.rsplit(".", 1)[-1].lower() not in _SPECIAL_USE_TLDS
        and _PLAIN_EMAIL.fullmatch(email) is not None
    )


def _email_is_invalid(email: str) -> bool:
    """True if email-validator rejects the address's syntax (no DNS lookups).

    test_environment=True lets "@x.test" addresses through: they are syntactically fine and
    the test_entry rule gives them the clearer reason. Other special-use names (.local,
    .localhost, .invalid, .onion, .arpa) can never receive mail and stay invalid.
    """
    if _plainly_valid(email):
        return False
    if len(email) > 254:  # RFC 5321's limit; no need to parse a huge hostile string
        return True
    try:
        validate_email(email, check_deliverability=False, test_environment=True)
    except Exception:  # noqa: BLE001 - any parse failure, even a library bug, means "invalid"
        return True
    return False


_LOCAL_SEPARATORS = re.compile(r"[._-]")
_TRAILING_DIGITS = re.compile(r"\d+$")


def local_key(local: str) -> str:
    """A local part without its +tag, separators and trailing digits: "No_Reply+x2" -> "noreply"."""
    base = local.split("+", 1)[0].lower()
    return _TRAILING_DIGITS.sub("", _LOCAL_SEPARATORS.sub("", base))


_SECOND_LEVEL_LABELS = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "or", "ne"})


def _registrable_label(domain: str) -> str:
    """The label a domain is registered under: "test.com" -> "test", "test.co.uk" -> "test"."""
    labels = domain.split(".")
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL_LABELS and len(labels[-1]) == 2:
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else labels[0]


# --- name rules ----------------------------------------------------------------------------

_LETTER_FOLDS = str.maketrans({
    "ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ŋ": "ng",
})
# Spellings that write one consonant sound with several letters (German sch, Polish sz/cz/rz,
# English th/ph/gh, Armenian tch...) count as one consonant, so Kretschmer, Mkrtchyan and
# Brzęczyszczykiewicz are not mistaken for keyboard noise.
_MULTIGRAPHS = re.compile(r"tsch|sch|tch|ch|sh|th|ph|gh|kh|ck|sz|cz|rz|zh|dz")
_LATIN_WORD = re.compile(r"[a-z]+")
_REPEATS = re.compile(r"(.)\1+")
_ANY_LETTER = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"\d")


def _fold_latin(text: str) -> str:
    """Case-fold and strip accents: "Ó Sé" -> "o se"; other scripts pass through unchanged."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_LETTER_FOLDS)


def gibberish_check(rule: GibberishNameRule) -> Callable[[str], bool]:
    """A per-name test for random-looking names, built once from the rule's settings."""
    consonant_run = re.compile(f"[bcdfghjklmnpqrstvwxz]{{{rule.max_consonant_run + 1},}}")
    # Alphabets only: in abugidas (Tamil, Thai) a letter legitimately recurs around vowel signs.
    repeated_letter = re.compile(rf"([a-zα-ωа-яё])\1{{{rule.max_repeated_letter},}}")
    forbidden = re.compile(rule.forbidden_pattern)

    def is_gibberish(name: str) -> bool:
        if len(name) > rule.max_length or forbidden.search(name):
            return True
        if rule.reject_digits and _DIGIT.search(name):
            return True
        if not _ANY_LETTER.search(name):  # "...", "-", an emoji
            return True
        # "McDonald", "DeAndre", "VanDerBerg": at most two; a script's "kJhTrEwq" has more.
        if sum(a.islower() and b.isupper() for a, b in zip(name, name[1:])) > rule.max_case_switches:
            return True
        folded = _fold_latin(name)
        if repeated_letter.search(folded):
            return True
        # Only Latin letters take part: a consonant run is meaningless in CJK or Cyrillic. A letter
        # typed twice or thrice counts once ("Dijkkstra" is a slip, not noise).
        return consonant_run.search(_MULTIGRAPHS.sub("k", _REPEATS.sub(r"\1", folded))) is not None

    return is_gibberish


def _keyboard_check(rule: TestEntryRule) -> Callable[[str], bool]:
    """A per-word test for keyboard runs: "asdfg", "poiuy", or a short run repeated ("sdfsdf")."""
    rows = tuple(rule.keyboard_rows) + tuple(row[::-1] for row in rule.keyboard_rows)
    doubled = re.compile(r"([a-z]{3,})\1+")

    def on_a_row(word: str) -> bool:
        return any(word in row for row in rows)

    def is_mash(word: str) -> bool:
        if len(word) >= rule.keyboard_run_min_length and on_a_row(word):
            return True
        repeat = doubled.fullmatch(word)
        return repeat is not None and on_a_row(repeat.group(1))

    return is_mash


def _has_mash(text: str, is_mash: Callable[[str], bool]) -> bool:
    """True if any Latin word of the text is a keyboard mash."""
    return any(is_mash(word) for word in _LATIN_WORD.findall(_fold_latin(text)))


# --- lead rules ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _LeadFields:
    """The lead columns the rules read, cleaned once: trimmed strings, "" when missing."""

    email: pd.Series
    email_lower: pd.Series
    email_key: pd.Series
    local: pd.Series
    local_key: pd.Series  # see local_key
    domain: pd.Series
    first_name: pd.Series
    last_name: pd.Series
    ip: pd.Series
    user_agent: pd.Series
    form_seconds: np.ndarray
    honeypot: pd.Series
    own_details: tuple[pd.Series, ...]  # the lead's email, phone, company and names, lower-cased
    returning: np.ndarray  # email or phone already known to the warehouse (see RETURNING)
    device: pd.Series  # first non-empty of rules.device_burst.columns; "" when none
    released: np.ndarray  # released by a reviewer (see RELEASED)

    @classmethod
    def from_frame(cls, leads: pd.DataFrame, device_columns: tuple[str, ...] = ()) -> _LeadFields:
        email = _text(leads, "email")
        email_lower = email.str.lower()
        has_at = email_lower.str.contains("@", regex=False).astype(bool)
        parts = email_lower.str.rsplit("@", n=1)
        local = parts.str[0].where(has_at, "")
        if "email_domain" in leads.columns:
            domain = _text(leads, "email_domain").str.lower()
        else:
            domain = parts.str[-1].where(has_at, "")
        if "email_key" in leads.columns:
            email_key = _text(leads, "email_key").str.lower()
        else:
            email_key = email_lower
        # IPv6 has many spellings of one address ("::ffff:1.2.3.4" is 1.2.3.4): count them as one.
        ip = _map_distinct(
            _text(leads, "ip_address"), lambda v: str(_parse_ip(v) or v) if ":" in v else v
        )
        form_seconds = pd.to_numeric(_text(leads, "form_seconds"), errors="coerce")
        return cls(
            email=email,
            email_lower=email_lower,
            email_key=email_key,
            local=local.astype(object),
            local_key=_map_distinct(local, local_key),
            domain=domain.astype(object),
            first_name=_text(leads, "first_name"),
            last_name=_text(leads, "last_name"),
            ip=ip,
            user_agent=_text(leads, "user_agent"),
            form_seconds=np.asarray(form_seconds, dtype=float),
            honeypot=_text(leads, "honeypot"),
            own_details=tuple(_text(leads, c).str.lower() for c in ("email", "phone", "company", "first_name",
                                                                    "last_name")),
            returning=_flag_column(leads, RETURNING),
            device=_first_non_empty(leads, device_columns),
            released=_flag_column(leads, RELEASED),
        )

    def email_listed(self, emails: frozenset[str]) -> np.ndarray:
        """Rows whose address, as typed or as its match key, is in the list."""
        if not emails:
            return np.zeros(len(self.email), dtype=bool)
        return (self.email_lower.isin(emails) | self.email_key.isin(emails)).to_numpy()

    def domain_listed(self, domains: frozenset[str]) -> np.ndarray:
        """Rows whose email domain, or a parent of it, is in the list."""
        return _per_distinct(self.domain, lambda d: _domain_in(d, domains))

    @cached_property
    def _distinct_ips(self) -> tuple[np.ndarray, list[IPAddress | None]]:
        """Each row's code into the parsed distinct IPs; parsed once for allow and block lists."""
        codes, uniques = pd.factorize(self.ip)
        return codes, [_parse_ip(value) for value in uniques]

    def ip_listed(self, networks: tuple[IPNetwork, ...]) -> np.ndarray:
        """Rows whose IP address falls in one of the networks."""
        if not networks:
            return np.zeros(len(self.ip), dtype=bool)
        codes, addresses = self._distinct_ips
        answers = [a is not None and any(a in net for net in networks) for a in addresses]
        return np.array([*answers, False], dtype=bool)[codes]


def _blocked(f: _LeadFields, rules: LeadRules) -> np.ndarray:
    lists = rules.blocked
    return (
        f.email_listed(lists.emails) | f.domain_listed(lists.domains) | f.ip_listed(lists.ips)
    )


def _honeypot(f: _LeadFields, rules: LeadRules) -> np.ndarray:
    filled = (f.honeypot != "").to_numpy()
    if rules.honeypot.ignore_own_details and filled.any():
        value = f.honeypot.str.lower()
        # Exactly one of the lead's details: a script pasting one string everywhere matches many.
        matches = sum(((own != "") & (value == own)).to_numpy().astype(int) for own in f.own_details)
        filled = filled & (matches != 1)
    return filled


def _invalid_email(f: _LeadFields, rules: LeadRules) -> np.ndarray:
    return _per_distinct(f.email, _email_is_invalid)


def _disposable_domain(f: _LeadFields, rules: LeadRules) -> np.ndarray:
    allowed = rules.disposable_domain.allow_domains
    return _per_distinct(
        f.domain,
        lambda d: _domain_in(d, DISPOSABLE_DOMAINS) and not _domain_in(d, allowed),
    )


def _test_entry(f: _LeadFields, rules: LeadRules) -> np.ndarray:
    rule = rules.test_entry
    is_mash = _keyboard_check(rule)
    test_locals = frozenset(local_key(part) for part in rule.local_parts)
    by_local = f.local_key.isin(test_locals).to_numpy() | _per_distinct(
        f.local, lambda local: _has_mash(local, is_mash)
    )
    by_domain = _per_distinct(
        f.domain,
        lambda d: d.rsplit(".", 1)[-1] in rule.reserved_tlds
        or _registrable_label(d) in rule.domain_labels,
    )
    full_name = (f.first_name + " " + f.last_name).str.strip()
    by_full_name = _per_distinct(
        full_name, lambda name: " ".join(name.casefold().split()) in rule.full_names
    )

    def placeholder_name(name: str) -> bool:
        return " ".join(name.casefold().split()) in rule.name_words or _has_mash(name, is_mash)

    by_name = _per_distinct(f.first_name, placeholder_name) | _per_distinct(
        f.last_name, placeholder_name
    )
    return by_local | by_domain | by_full_name | by_name


def _role_mailbox(f: _LeadFields, rules: LeadRules) -> np.ndarray:
    rule = rules.role_mailbox
    if rule.policy == "allow":
        return np.zeros(len(f.local), dtype=bool)
    roles = frozenset(local_key(part) for part in rule.local_parts)
    return f.local_key.isin(roles).to_numpy()


def _competitor_domain(f: _LeadFields, rules: LeadRules) -> np.ndarray:
    return f.domain_listed(rules.competitor_domain.domains)


def _student_domain(f: _LeadFields, rules: LeadRules) -> np.ndarray:
    rule = rules.student_domain
    if rule.policy == "allow":
        return np.zeros(len(f.domain), dtype=bool)

    def academic(domain: str) -> bool:
        # "student.tudelft.nl": a student label below the registered domain.
        below_registered = domain.split(".")[:-2]
        return _domain_in(domain, rule.suffixes) or any(
            label in rule.subdomain_labels for label in below_registered
        )

    return _per_distinct(f.domain, academic)


def _gibberish_name(f: _LeadFields, rules: LeadRules) -> np.ndarray:
    check = gibberish_check(rules.gibberish_name)
    return _per_distinct(f.first_name, check) | _per_distinct(f.last_name, check)


def _bot_user_agent(f: _LeadFields, rules: LeadRules) -> np.ndarray:
    rule = rules.bot_user_agent
    return _user_agent_flags(f.user_agent, rule.patterns, rule.empty_user_agent)


def _form_too_fast(f: _LeadFields, rules: LeadRules) -> np.ndarray:
    # A missing or unreadable time is no evidence either way (imports, chat, phone leads).
    with np.errstate(invalid="ignore"):
        fast = f.form_seconds < rules.form_too_fast.min_seconds
    if rules.form_too_fast.exempt_returning_visitors:
        fast &= ~f.returning
    return fast


def _ip_burst(f: _LeadFields, rules: LeadRules) -> np.ndarray:
    return _burst(f.ip, rules.ip_burst.max_leads_per_ip)


def _device_burst(f: _LeadFields, rules: LeadRules) -> np.ndarray:
    return _burst(f.device, rules.device_burst.max_leads_per_device)


def _burst(keys: pd.Series, limit: int) -> np.ndarray:
    """Rows whose non-empty key occurs on more than `limit` rows."""
    per_key = keys.groupby(keys, sort=False).transform("size")
    return ((keys != "") & (per_key > limit)).to_numpy()


# Reason code -> check, in the order codes appear within a lead's reasons: explicit decisions
# first, then evidence about the address, the person, and the submission.
_LEAD_CHECKS: dict[str, Callable[[_LeadFields, LeadRules], np.ndarray]] = {
    "blocked": _blocked,
    "honeypot": _honeypot,
    "invalid_email": _invalid_email,
    "disposable_domain": _disposable_domain,
    "test_entry": _test_entry,
    "role_mailbox": _role_mailbox,
    "competitor_domain": _competitor_domain,
    "student_domain": _student_domain,
    "gibberish_name": _gibberish_name,
    "bot_user_agent": _bot_user_agent,
    "form_too_fast": _form_too_fast,
    "ip_burst": _ip_burst,
    "device_burst": _device_burst,
}
LEAD_REASON_CODES: tuple[str, ...] = tuple(_LEAD_CHECKS)


def _rule_enabled(rules: LeadRules, code: str) -> bool:
    """The rule's `enabled` switch; rules with a `policy` instead check it themselves."""
    return getattr(getattr(rules, code), "enabled", True)


def _flags_only(rules: LeadRules, code: str) -> bool:
    """Whether a rule marks the lead (kept) rather than rejecting it: `policy: flag`."""
    return getattr(getattr(rules, code), "policy", "reject") == "flag"


@dataclass(frozen=True)
class JunkVerdict:
    """What the lead rules decided: reasons to reject, reasons overridden, and marks on leads kept."""

    reasons: pd.Series     # ";"-joined codes per lead; "" for a lead that goes on
    overridden: pd.Series  # codes a lead tripped but was let through for; "" if none
    override: pd.Series    # "allow_list", "released" or ""
    flagged: pd.Series     # codes of rules with `policy: flag` that fired (the lead is kept); "" if none


def judge_leads(leads: pd.DataFrame, rules: FraudRules) -> JunkVerdict:
    """Run every enabled lead rule; the allow list and reviewers' releases override them all.

    Optional boolean columns: `RETURNING` (the email or phone is already in the warehouse:
    exempts form_too_fast) and `RELEASED` (a reviewer released the source record).
    """
    frame = leads.reset_index(drop=True)  # labels may repeat
    devices = tuple(file_column(c, LEAD_COLUMNS) for c in rules.rules.device_burst.columns)  # extra file columns
    fields = _LeadFields.from_frame(frame, devices)
    flags = [
        (code, np.asarray(check(fields, rules.rules), dtype=bool))
        for code, check in _LEAD_CHECKS.items()
        if _rule_enabled(rules.rules, code)
    ]
    allowed = (
        fields.email_listed(rules.allow.emails)
        | fields.domain_listed(rules.allow.domains)
        | fields.ip_listed(rules.allow.ips)
    )
    passed = allowed | fields.released
    # A flag alone keeps the lead; a rejected lead's reasons name every code that fired.
    marks = _join_reasons([(code, mask) for code, mask in flags if _flags_only(rules.rules, code)], leads.index)
    tripped = _join_reasons([(code, mask) for code, mask in flags if not _flags_only(rules.rules, code)], leads.index)
    rejected = (tripped != "").to_numpy() & ~passed
    override = np.where(allowed, "allow_list", np.where(fields.released, "released", ""))
    override = np.where(tripped != "", override, "")
    return JunkVerdict(
        reasons=_join_reasons(flags, leads.index).where(rejected, ""),
        overridden=tripped.where(passed, ""),
        override=pd.Series(override.astype(object), index=leads.index, dtype=object),
        flagged=marks.where(~rejected, ""),
    )


def detect_junk_leads(leads: pd.DataFrame, rules: FraudRules) -> pd.Series:
    """Reason codes for each lead, ";"-joined in `LEAD_REASON_CODES` order; "" for a clean lead.

    An address, domain or IP on the allow list, or a reviewer's release, clears the lead of
    every reason.
    """
    return judge_leads(leads, rules).reasons


# --- activities ----------------------------------------------------------------------------


def _click_bursts(activities: pd.DataFrame, rule: BotActivityRule) -> np.ndarray:
    """Clicks in a burst that reached `min_distinct_assets` different assets.

    Email security scanners open every link of a message at once; a person does not. A burst is
    one lead's clicks, each less than `window_seconds` after the previous one.
    """
    flagged = np.zeros(len(activities), dtype=bool)
    if "occurred_at" not in activities.columns or activities.empty:
        return flagged
    activities = activities.reset_index(drop=True)  # labels may repeat
    times = activities["occurred_at"]
    if not isinstance(times.dtype, pd.DatetimeTZDtype):
        times = pd.to_datetime(times, utc=True, errors="coerce")
    is_click = _text(activities, "activity_type").str.lower().isin(rule.click_types)
    is_click &= times.notna()
    if not is_click.any():
        return flagged
    asset = _text(activities, "asset")
    clicks = pd.DataFrame({
        "row": np.arange(len(activities)),
        "system": _text(activities, "source_system"),
        "lead": _text(activities, "source_lead_id"),
        "time": times,
        "asset": asset.where(asset != "", None),  # a click with no asset adds no distinct asset
    })[is_click]
    clicks = clicks.sort_values(["system", "lead", "time"], kind="stable")
    gap = clicks.groupby(["system", "lead"], sort=False)["time"].diff()
    starts = gap.isna() | (gap >= pd.Timedelta(seconds=rule.window_seconds))
    burst = starts.cumsum()
    assets = clicks["asset"].groupby(burst).transform("nunique")
    flagged[clicks["row"].to_numpy()[(assets >= rule.min_distinct_assets).to_numpy()]] = True
    return flagged


def flag_bot_activities(activities: pd.DataFrame, rules: FraudRules) -> pd.Series:
    """Mark activities that must not count as engagement with "bot_activity"; "" for the rest.

    Flags scanner click bursts and bot user agents; activities from an allow-listed IP are kept.
    """
    rule = rules.bot_activity
    flagged = np.zeros(len(activities), dtype=bool)
    if rule.enabled:
        flagged |= _click_bursts(activities, rule)
        if rule.flag_bot_user_agents:
            flagged |= _user_agent_flags(
                _text(activities, "user_agent"),
                rules.rules.bot_user_agent.patterns,
                rule.empty_user_agent,
            )
        ips = _text(activities, "ip_address")
        flagged &= ~_ip_listed(ips, rules.allow.ips)
    return pd.Series(
        np.where(flagged, BOT_ACTIVITY, "").astype(object),
        index=activities.index, dtype=object, name="reasons",
    )
