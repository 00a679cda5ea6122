"""Small programs the Demo model can really write: a few everyday computations, read from a
person's words with their own numbers and text ("the first 20 Fibonacci numbers", "12
factorial", "is 'racecar' a palindrome?", "what is 17 * 23 + 4?").

The Demo model is not an AI and says so: it cannot write new code. It knows these recipes,
and for a request that is one of them the code it sends computes the answer for real when
the team runs it (in the sandbox, like any agent's code). Anything else gets the honest
stand-in script of ``_demo_roles``. Every value put into a program is a number read by a
pattern or a string written with ``repr``, so a person's words never become code.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass

KNOWN = ("Fibonacci numbers, factorials, prime numbers, sums and averages, sums of a range, "
         "sums of arithmetic, powers, divisors, leap years, days of the week, palindromes, "
         "reversed and counted text, temperatures and times tables")


@dataclass(frozen=True)
class Recipe:
    what: str  # "the first 20 Fibonacci numbers": what the program computes
    code: str


_NUMBER = r"(\d{1,3}(?:,\d{3})+|\d+)"
_QUOTED = re.compile(r"[\"“‘']([^\"“”‘’']{1,200})[\"”’']")


def _int(text: str) -> int:
    return int(text.replace(",", ""))


def _last(pattern: str | re.Pattern[str], text: str) -> re.Match[str] | None:
    """The last match: in "primes below 100 … what about below 1000?" the later figure."""
    found = list(re.compile(pattern, re.I).finditer(text) if isinstance(pattern, str)
                 else pattern.finditer(text))
    return found[-1] if found else None


_NOT_THE_WORD = frozenset({"is", "it", "this", "that", "word", "string", "number", "text",
                           "the", "a", "an", "not"})


def _quoted_or_word(text: str, before: str) -> str | None:
    """The text a check is about: quoted, or the word before "(is) a palindrome"."""
    quoted = _QUOTED.findall(text)
    if quoted:
        return quoted[-1]
    found = _last(rf"\b([A-Za-z]{{2,40}})\s+(?:is\s+)?(?:a\s+|an\s+)?{before}", text)
    return found.group(1) if found and found.group(1).lower() not in _NOT_THE_WORD else None


def _fibonacci(text: str) -> Recipe | None:
    if not re.search(r"\bfibonacci\b", text, re.I):
        return None
    nth = _last(rf"\b{_NUMBER}\s*(?:st|nd|rd|th)\s+fibonacci", text)
    if nth and _int(nth.group(1)) <= 10_000:
        n = _int(nth.group(1))
        return Recipe(f"the {nth.group(0).split()[0]} Fibonacci number", (
            f"n = {n}\na, b = 0, 1  # F(0) = 0, F(1) = 1\nfor _ in range(n):\n"
            "    a, b = b, a + b\n"
            "print(f\"F({n}) = {a:,} ({'even' if a % 2 == 0 else 'odd'})\")"))
    below = _last(rf"\b(?:below|under|less than|up to)\s+{_NUMBER}", text)
    if below and _int(below.group(1)) <= 10**100:
        top = _int(below.group(1))
        return Recipe(f"the Fibonacci numbers {below.group(0)}", (
            f"limit = {top}\nnumbers, a, b = [], 0, 1\n"
            f"while a {'<=' if below.group(0).lower().startswith('up') else '<'} limit:\n"
            "    numbers.append(a)\n    a, b = b, a + b\n"
            f"print(\"Fibonacci numbers {below.group(0)}:\", \", \".join(map(str, numbers)))"))
    first = _last(rf"\b(?:first|the)\s+{_NUMBER}\b", text) or _last(_NUMBER, text)
    n = _int(first.group(1)) if first else 10
    if not 1 <= n <= 500:
        return None
    return Recipe(f"the first {n} Fibonacci numbers", (
        f"count = {n}\nnumbers = [0, 1][:count]\nwhile len(numbers) < count:\n"
        "    numbers.append(numbers[-1] + numbers[-2])\n"
        "print(f\"The first {count} Fibonacci numbers:\", \", \".join(map(str, numbers)))"))


def _factorial(text: str) -> Recipe | None:
    found = (_last(rf"\bfactorial\s+of\s+{_NUMBER}", text)
             or _last(rf"\b{_NUMBER}\s*(?:factorial\b|!(?!=))", text))
    if not found or _int(found.group(1)) > 2_000:
        return None
    n = _int(found.group(1))
    return Recipe(f"{n} factorial", (
        f"n = {n}\nresult = 1\nfor k in range(2, n + 1):\n    result *= k\n"
        "print(f\"{n}! = {result:,}\")"))


def _primes(text: str) -> Recipe | None:
    one = _last(rf"\bis\s+{_NUMBER}\s+(?:a\s+)?prime\b", text)
    if one and _int(one.group(1)) <= 10**12:
        n = _int(one.group(1))
        return Recipe(f"whether {n} is prime", (
            f"n = {n}\ndivisor = next((d for d in range(2, int(n ** 0.5) + 1) if n % d == 0), None)\n"
            "if n < 2:\n    print(f\"{n} is not prime (primes start at 2).\")\n"
            "elif divisor:\n    print(f\"{n} is not prime: it is {divisor} × {n // divisor}.\")\n"
            "else:\n    print(f\"{n} is prime.\")"))
    if not re.search(r"\bprimes?\b", text, re.I):
        return None
    between = _last(rf"\bbetween\s+{_NUMBER}\s+and\s+{_NUMBER}", text)
    if between and _int(between.group(2)) <= 5_000_000:
        low, high = _int(between.group(1)), _int(between.group(2))
        return Recipe(f"the prime numbers between {low} and {high}", (
            f"low, high = {low}, {high}\n"
            "primes = [n for n in range(max(low, 2), high + 1)\n"
            "          if all(n % d for d in range(2, int(n ** 0.5) + 1))]\n"
            "print(\"primes:\", \", \".join(map(str, primes)) or \"none\")\n"
            "print(f\"count: {len(primes)}, sum: {sum(primes):,}\")"))
    below = _last(rf"\b(below|under|less than|up to|to|through)\s+{_NUMBER}", text)
    if not below or _int(below.group(2)) > 5_000_000:
        return None
    inclusive = below.group(1).lower() in ("up to", "to", "through")
    limit = _int(below.group(2)) + (1 if inclusive else 0)
    return Recipe(f"the prime numbers {below.group(1).lower()} {below.group(2)}", (
        f"limit = {limit}  # numbers below this\nis_prime = [True] * max(limit, 2)\n"
        "is_prime[0] = is_prime[1] = False\n"
        "for n in range(2, int(limit ** 0.5) + 1):\n    if is_prime[n]:\n"
        "        for multiple in range(n * n, limit, n):\n            is_prime[multiple] = False\n"
        "primes = [n for n in range(limit) if is_prime[n]]\n"
        "shown = primes if len(primes) <= 30 else primes[:10] + ['…'] + primes[-5:]\n"
        "print(\"primes:\", \", \".join(map(str, shown)))\n"
        "print(f\"count: {len(primes)}, sum: {sum(primes):,}\")"))


def _range_sum(text: str) -> Recipe | None:
    found = _last(rf"\b(?:sum|add(?:\s+up)?|total)\b.*?\bfrom\s+{_NUMBER}\s+(?:to|through)\s+{_NUMBER}",
                  text)
    if not found:
        return None
    low, high = _int(found.group(1)), _int(found.group(2))
    if high - low > 10_000_000:
        return None
    return Recipe(f"the sum of the whole numbers from {low} to {high}", (
        f"low, high = {low}, {high}\ntotal = sum(range(low, high + 1))\n"
        "print(f\"{low} + … + {high} = {total:,}\")\n"
        "print(\"check (Gauss):\", (low + high) * (high - low + 1) // 2 == total)"))


_STATS = {"sum": ("sum", "sum(numbers)"), "total": ("total", "sum(numbers)"),
          "add": ("sum", "sum(numbers)"),
          "average": ("average", "round(sum(numbers) / len(numbers), 4)"),
          "mean": ("mean", "round(sum(numbers) / len(numbers), 4)"),
          "median": ("median", "statistics.median(numbers)"),
          "largest": ("largest", "max(numbers)"), "biggest": ("largest", "max(numbers)"),
          "maximum": ("largest", "max(numbers)"), "smallest": ("smallest", "min(numbers)"),
          "minimum": ("smallest", "min(numbers)"), "sort": ("in order", "sorted(numbers)"),
          "product": ("product", "math.prod(numbers)")}


_FIGURE = r"-?\d+(?:\.\d+)?"
_LISTED = re.compile(r"\b(" + "|".join(_STATS) + r")\b(?:\s+(?!\d)[\w']+){0,4}?[\s:]+"
                     rf"({_FIGURE}(?:\s*(?:,|;|and|,\s*and)\s*{_FIGURE})+)", re.I)


def _listed(text: str) -> Recipe | None:
    """A statistic of a list the person wrote out ("the average of 3, 5 and 8")."""
    found = _last(_LISTED, text)
    if not found:
        return None
    numbers = re.findall(_FIGURE, found.group(2))
    if len(numbers) > 200:
        return None
    label, formula = _STATS[found.group(1).lower()]
    shown = ", ".join(numbers)
    return Recipe(f"{shown} {label}" if label == "in order" else f"the {label} of {shown}", (
        "import math\nimport statistics\n\n"
        f"numbers = [{shown}]\n"
        f"print(\"{label}:\", {formula})"))


_ASKS_SUM = re.compile(r"\b(?:what\s+is|what's|how\s+much\s+is|calculate|compute|evaluate|"
                       r"work\s+out|solve)\b|=\s*\??\s*$", re.I)


def _arithmetic(text: str) -> Recipe | None:
    """A sum the person wrote out and asked for ("What is 17 * 23 + 4?"); a date or a
    range such as 2026-12-02 or 10-20 is not one (no question asks for it, or a figure
    starts with 0)."""
    if not _ASKS_SUM.search(text):
        return None
    found = _last(r"(?<![\w.])(\(*-?\d+(?:\.\d+)?\)*(?:\s*(?:\*\*|[-+*/x×÷^])\s*\(*-?\d+(?:\.\d+)?\)*)+)",
                  text)
    if not found:
        return None
    expression = found.group(1).strip()
    if re.search(r"(?<![\d.])0\d", expression):
        return None
    python = re.sub(r"\s*(?:x|×)\s*", " * ", expression).replace("÷", "/").replace("^", "**")
    if python.count("(") != python.count(")") or re.search(r"\*\*\s*\(*\d{4,}", python):
        return None
    return Recipe(expression, f"print({expression!r}, \"=\", {python})")


def _power(text: str) -> Recipe | None:
    found = _last(rf"\b{_NUMBER}\s+(?:to\s+the\s+(?:power\s+of\s+)?|raised\s+to\s+(?:the\s+power\s+of\s+)?)"
                  rf"{_NUMBER}", text)
    if not found or _int(found.group(2)) > 10_000:
        return None
    base, exponent = _int(found.group(1)), _int(found.group(2))
    return Recipe(f"{base} to the power of {exponent}",
                  f"print(f\"{base} ** {exponent} = {{{base} ** {exponent}:,}}\")")


def _divisors(text: str) -> Recipe | None:
    found = _last(rf"\b(gcd|greatest common (?:divisor|factor)|lcm|least common multiple)"
                  rf"\s+of\s+{_NUMBER}\s*(?:and|,)\s*{_NUMBER}", text)
    if not found:
        return None
    a, b = _int(found.group(2)), _int(found.group(3))
    lcm = found.group(1).lower().startswith(("lcm", "least"))
    name = "least common multiple" if lcm else "greatest common divisor"
    return Recipe(f"the {name} of {a} and {b}", (
        "import math\n\n"
        f"a, b = {a}, {b}\n"
        + ("print(f\"lcm({a}, {b}) = {a * b // math.gcd(a, b)}\")" if lcm
           else "print(f\"gcd({a}, {b}) = {math.gcd(a, b)}\")")))


def _leap_year(text: str) -> Recipe | None:
    found = _last(r"\b(\d{3,4})\s+(?:a\s+)?leap\s+year", text)
    if not found:
        return None
    year = int(found.group(1))
    return Recipe(f"whether {year} is a leap year", (
        f"year = {year}\nleap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)\n"
        "print(f\"{year} is {'a' if leap else 'not a'} leap year.\")"))


def _palindrome(text: str) -> Recipe | None:
    if not re.search(r"\bpalindromes?\b", text, re.I):
        return None
    word = _quoted_or_word(text, "palindrome")
    if not word:
        return None
    return Recipe(f"whether {word!r} is a palindrome", (
        f"text = {word!r}\nletters = [c.lower() for c in text if c.isalnum()]\n"
        "same = letters == letters[::-1]\n"
        "print(f\"{text!r} {'is' if same else 'is not'} a palindrome.\")"))


def _text_count(text: str) -> Recipe | None:
    quoted = _QUOTED.findall(text)
    if not quoted:
        return None
    said = quoted[-1]
    if re.search(r"\brevers", text, re.I):
        return Recipe(f"{said!r} reversed", f"text = {said!r}\nprint(text[::-1])")
    found = _last(r"\b(vowels|letters|characters|words)\b", text)
    if not found or not re.search(r"\b(count|how\s+many|number\s+of)\b", text, re.I):
        return None
    kind = found.group(1).lower()
    measure = {"vowels": "sum(c.lower() in 'aeiou' for c in text)",
               "letters": "sum(c.isalpha() for c in text)", "characters": "len(text)",
               "words": "len(text.split())"}[kind]
    return Recipe(f"the {kind} in {said!r}",
                  f"text = {said!r}\nprint(f\"{{text!r}} has {{{measure}}} {kind}.\")")


def _temperature(text: str) -> Recipe | None:
    found = _last(r"(-?\d+(?:\.\d+)?)\s*(?:°|degrees?\s*)?\s*(c|celsius|f|fahrenheit)\b", text)
    if not found or not re.search(r"\b(in|to|into|as)\s+(?:degrees\s+)?(?:°\s*)?"
                                  r"(c|celsius|f|fahrenheit)\b", text[found.end():], re.I):
        return None
    value, unit = found.group(1), found.group(2).lower()[0]
    if unit == "c":
        return Recipe(f"{value} °C in Fahrenheit",
                      f"celsius = {value}\nprint(f\"{{celsius}} °C = {{celsius * 9 / 5 + 32:g}} °F\")")
    return Recipe(f"{value} °F in Celsius",
                  f"fahrenheit = {value}\nprint(f\"{{fahrenheit}} °F = {{(fahrenheit - 32) * 5 / 9:.1f}} °C\")")


def _times_table(text: str) -> Recipe | None:
    found = _last(rf"\b(?:multiplication|times)\s+table\s+(?:of|for)\s+{_NUMBER}", text) or \
        _last(rf"\b{_NUMBER}\s+times\s+table", text)
    if not found or _int(found.group(1)) > 10**6:
        return None
    n = _int(found.group(1))
    return Recipe(f"the {n} times table",
                  f"n = {n}\nfor k in range(1, 11):\n    print(f\"{{k:>2}} × {{n}} = {{k * n}}\")")


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
_MONTH = r"(" + "|".join(m[:3] + r"[a-z]*" for m in _MONTHS) + r")\.?"


def _weekday(text: str) -> Recipe | None:
    """The day of the week of a date: "20 July 1969", "July 20, 1969" or "1969-07-20"."""
    if not re.search(r"\b(?:day|weekday)\b", text, re.I):
        return None
    if found := _last(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", text):
        year, month, day = (int(g) for g in found.groups())
    elif found := _last(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\s+(\d{{4}})\b", text):
        day, month, year = int(found.group(1)), _month(found.group(2)), int(found.group(3))
    elif found := _last(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", text):
        month, day, year = _month(found.group(1)), int(found.group(2)), int(found.group(3))
    else:
        return None
    try:
        datetime.date(year, month, day)
    except ValueError:  # 30 February: no day of the week to tell
        return None
    return Recipe(f"the day of the week of {found.group(0)}", (
        "import datetime\n\n"
        f"day = datetime.date({year}, {month}, {day})\n"
        "print(day.strftime('%A'), day.isoformat())"))


def _month(name: str) -> int:
    return next((i for i, m in enumerate(_MONTHS, 1) if m.startswith(name.lower()[:3])), 0)


# the more particular first: "sum the primes below 100" is primes, "12!" before arithmetic
_RECIPES: tuple[Callable[[str], Recipe | None], ...] = (
    _fibonacci, _factorial, _primes, _leap_year, _weekday, _palindrome, _divisors, _times_table,
    _range_sum, _power, _temperature, _text_count, _listed, _arithmetic)


def recipe_for(text: str) -> Recipe | None:
    """The recipe for what ``text`` asks, with its numbers and words; None when the Demo
    model knows none (it then says it cannot write new code)."""
    for recipe in _RECIPES:
        found = recipe(text)
        if found is not None:
            return found
    return None
