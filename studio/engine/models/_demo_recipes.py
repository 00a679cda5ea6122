"""Small programs the Demo model can really write: a few everyday computations, read from a
person's words with their own numbers and text ("the first 20 Fibonacci numbers", "12
factorial", "is 'racecar' a palindrome?", "what is 17 * 23 + 4?").

The Demo model is not an AI and says so: it cannot write new code. It knows these recipes,
and for a request that is one of them the code it sends computes the answer for real when
the team runs it (in the sandbox, like any agent's code). Anything else gets the honest
stand-in script of ``_demo_roles``.

Every value put into a program is a number parsed from ASCII digits (and written back by
Python, so ``08`` is ``8``) or a string written with ``repr``: a person's words never become
code. Each recipe bounds its figures so the program ends quickly and its result prints
(Python refuses to print an int of more than 4,300 digits). A recipe asks for its own words
("factorial", "prime numbers", "palindrome", a question before a sum), so everyday sentences
such as "snacks for 3!" or "the prime minister, up to 500 words" get none.
"""

from __future__ import annotations

import ast
import datetime
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

_FLAGS = re.I | re.A  # ASCII digits only: other scripts' digits are not Python's


@dataclass(frozen=True)
class Recipe:
    what: str  # "the first 20 Fibonacci numbers": what the program computes
    code: str


_NUMBER = r"(?<![\d,])(\d{1,3}(?:,\d{3}){1,4}|\d{1,15})(?![\d])"
_FIGURE = r"-?(?:\d{1,3}(?:,\d{3}){1,4}|\d{1,15})(?:\.\d{1,10})?(?![\d])"
# a quoted passage: a quote mark between two letters ("don't", "it's") is an apostrophe
_QUOTED = re.compile(r"(?<![A-Za-z])[\"“‘']([^\"“”‘’]{1,200}?)[\"”’'](?![A-Za-z])")
_MAX_DIGITS = 4_000  # a result Python still prints (its limit is 4,300 digits)


def _int(text: str) -> int:
    return int(text.replace(",", ""))


def _figure(text: str) -> int | float:
    plain = text.replace(",", "")
    return float(plain) if "." in plain else int(plain)


def _last(pattern: str | re.Pattern[str], text: str) -> re.Match[str] | None:
    """The last match: in "primes below 100 … what about below 1000?" the later figure."""
    found = list(re.compile(pattern, _FLAGS).finditer(text) if isinstance(pattern, str)
                 else pattern.finditer(text))
    return found[-1] if found else None


def _quoted(text: str) -> str | None:
    found = _QUOTED.findall(text)
    return found[-1] if found else None


def _shortened(name: str) -> str:
    """Code that prints list ``name`` whole when short, else its ends around an ellipsis."""
    return (f"shown = {name} if len({name}) <= 30 else {name}[:10] + ['…'] + {name}[-5:]\n"
            "print(\", \".join(map(str, shown)) or \"none\")\n")


def _fibonacci(text: str) -> Recipe | None:
    if not re.search(r"\bfibonacci\b", text, _FLAGS):
        return None
    nth = _last(rf"{_NUMBER}\s*(?:st|nd|rd|th)\s+fibonacci", text)
    if nth:
        n = _int(nth.group(1))
        if n > 10_000:
            return None
        return Recipe(f"the Fibonacci number F({n})", (
            f"n = {n}\na, b = 0, 1  # F(0) = 0, F(1) = 1\nfor _ in range(n):\n"
            "    a, b = b, a + b\n"
            "print(f\"F({n}) = {a:,} ({'even' if a % 2 == 0 else 'odd'})\")"))
    below = _last(rf"\b(below|under|less than|up to)\s+{_NUMBER}", text)
    if below:
        inclusive = below.group(1).lower() == "up to"
        top = _int(below.group(2))
        return Recipe(f"the Fibonacci numbers {below.group(1).lower()} {top}", (
            f"limit = {top}\nnumbers, a, b = [], 0, 1\n"
            f"while a {'<=' if inclusive else '<'} limit:\n"
            "    numbers.append(a)\n    a, b = b, a + b\n"
            f"print({f'Fibonacci numbers {below.group(1).lower()} {top}:'!r}, "
            "\", \".join(map(str, numbers)))"))
    first = (_last(rf"\bfirst\s+{_NUMBER}", text)
             or _last(rf"{_NUMBER}\s+fibonacci\s+numbers", text))
    if first is None and not re.search(r"\b(print|list|show|compute|calculate|generate|"
                                       r"give|write\s+out)\b", text, _FLAGS):
        return None  # "explain the Fibonacci sequence in 3 sentences" is not a program
    n = _int(first.group(1)) if first else 10
    if not 1 <= n <= 500:
        return None
    return Recipe(f"the first {n} Fibonacci numbers", (
        f"count = {n}\nnumbers = [0, 1][:count]\nwhile len(numbers) < count:\n"
        "    numbers.append(numbers[-1] + numbers[-2])\n"
        "print(f\"The first {count} Fibonacci numbers:\", \", \".join(map(str, numbers)))"))


_ASKS = re.compile(r"^(?:please\s+)?(?:what\s+is|what's|how\s+much\s+is|calculate|compute|"
                   r"evaluate|work\s+out|solve)\b", _FLAGS)


def _factorial(text: str) -> Recipe | None:
    found = (_last(rf"\bfactorial\s+of\s+{_NUMBER}", text)
             or _last(rf"{_NUMBER}\s*factorial\b", text)
             or (_last(rf"{_NUMBER}\s*!(?!=)", text) if _ASKS.search(text) else None))
    if not found or _int(found.group(1)) > 1_000:  # 1000! has 2,568 digits
        return None
    n = _int(found.group(1))
    return Recipe(f"{n} factorial", (
        f"n = {n}\nresult = 1\nfor k in range(2, n + 1):\n    result *= k\n"
        "print(f\"{n}! = {result:,}\")"))


_PRIMES = r"\b(?:primes|prime\s+numbers?)\b"
_SIEVE = ("is_prime = [True] * max(limit, 2)\nis_prime[0] = is_prime[1] = False\n"
          "for n in range(2, int(limit ** 0.5) + 1):\n    if is_prime[n]:\n"
          "        for multiple in range(n * n, limit, n):\n            is_prime[multiple] = False\n")


def _primes(text: str) -> Recipe | None:
    one = _last(rf"\bis\s+{_NUMBER}\s+(?:a\s+)?prime(?:\s+number)?\b", text)
    if one and _int(one.group(1)) <= 10**12:
        n = _int(one.group(1))
        return Recipe(f"whether {n} is prime", (
            f"n = {n}\n"
            "divisor = next((d for d in range(2, int(n ** 0.5) + 1) if n % d == 0), None)\n"
            "if n < 2:\n    print(f\"{n} is not prime (primes start at 2).\")\n"
            "elif divisor:\n    print(f\"{n} is not prime: it is {divisor} × {n // divisor}.\")\n"
            "else:\n    print(f\"{n} is prime.\")"))
    if not re.search(_PRIMES, text, _FLAGS):
        return None  # "the prime minister" is not about numbers
    span = _last(rf"\b(?:between|from)\s+{_NUMBER}\s+(?:and|to)\s+{_NUMBER}", text)
    below = _last(rf"\b(below|under|less than|up to|to|through)\s+{_NUMBER}", text)
    if span:
        low, high = _int(span.group(1)), _int(span.group(2))
        what, limit = f"the prime numbers from {low} to {high}", high + 1
    elif below:
        inclusive = below.group(1).lower() in ("up to", "to", "through")
        low, limit = 0, _int(below.group(2)) + (1 if inclusive else 0)
        what = f"the prime numbers {below.group(1).lower()} {_int(below.group(2))}"
    else:
        return None
    if limit > 2_000_000:
        return None
    return Recipe(what, (
        f"low, limit = {low}, {limit}  # from low, below limit\n" + _SIEVE
        + "primes = [n for n in range(low, limit) if is_prime[n]]\n"
        "print(\"primes:\", end=\" \")\n" + _shortened("primes")
        + "print(f\"count: {len(primes)}, sum: {sum(primes):,}\")"))


def _range_sum(text: str) -> Recipe | None:
    found = _last(rf"\b(?:sum|add(?:\s+up)?|total)\s+(?:of\s+)?(?:all\s+)?(?:the\s+)?"
                  rf"(?:whole\s+)?(?:numbers|integers)\s+from\s+{_NUMBER}\s+(?:to|through)\s+"
                  rf"{_NUMBER}", text)
    if not found:
        return None
    low, high = _int(found.group(1)), _int(found.group(2))
    if not 0 <= high - low <= 10_000_000:
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
_LISTED = re.compile(r"\b(" + "|".join(_STATS) + r")\b(?:\s+(?!\d)[\w']+){0,4}?[\s:]+"
                     rf"({_FIGURE}(?:\s*(?:,|;|and|,\s*and)\s+{_FIGURE}|"
                     rf"\s*(?:,|;)\s*{_FIGURE})+)", _FLAGS)


def _listed(text: str) -> Recipe | None:
    """A statistic of a list the person wrote out ("the average of 3, 5 and 8")."""
    found = _last(_LISTED, text)
    if not found:
        return None
    numbers = [_figure(m) for m in re.findall(_FIGURE, found.group(2), re.A)]
    if not 2 <= len(numbers) <= 200:
        return None
    label, formula = _STATS[found.group(1).lower()]
    if label == "product" and sum(math.log10(abs(n)) for n in numbers if n) > _MAX_DIGITS:
        return None
    shown = ", ".join(map(repr, numbers))
    return Recipe(f"{shown} {label}" if label == "in order" else f"the {label} of {shown}", (
        "import math\nimport statistics\n\n"
        f"numbers = [{shown}]\n"
        f"print(\"{label}:\", {formula})"))


_SUM = re.compile(r"[\d\s.()+\-*/x×÷^]+", _FLAGS)


def _arithmetic(text: str) -> Recipe | None:
    """A sum the person wrote out and asked for ("What is 17 * 23 + 4?"): the whole request
    after the asking words must be the sum, so "What is the plan for 2024-2025?" is not one,
    and neither is a bare "555-1234" or "10-20" (a phone number, a range)."""
    asked = _ASKS.search(text)
    if not asked:
        return None
    rest = re.sub(r"\s*(?:=\s*)?[?.!]*\s*$", "", text[asked.end():]).strip()
    if not rest or not _SUM.fullmatch(rest) or re.fullmatch(r"[\d-]+", rest):
        return None
    python = re.sub(r"\s*[x×]\s*", " * ", rest, flags=_FLAGS).replace("÷", "/").replace(
        "^", "**")
    if re.search(r"(?<![\d.])0\d", python) or _digits(python) is None:
        return None
    return Recipe(rest, f"print({rest!r}, \"=\", {python})")


def _digits(expression: str) -> float | None:
    """About how many digits the sum's result has, or None when it is no plain sum of
    numbers (a call, a name, a broken bracket) or would be too long to print."""
    try:
        tree = ast.parse(expression, mode="eval").body
    except SyntaxError:
        return None

    def size(node: ast.expr) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
                and not isinstance(node.value, bool):
            return math.log10(abs(node.value) + 1) + 1
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return size(node.operand)
        if not isinstance(node, ast.BinOp):
            raise ValueError("not a sum")
        left, right = size(node.left), size(node.right)
        if isinstance(node.op, (ast.Add, ast.Sub)):
            return max(left, right) + 1
        if isinstance(node.op, (ast.Mult, ast.Div)):
            return left + right
        if isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant) \
                and isinstance(node.right.value, (int, float)):
            return left * abs(float(node.right.value))
        raise ValueError("a power of a power, or another operator")

    try:
        digits = size(tree)
    except (ValueError, OverflowError):
        return None
    return digits if digits <= _MAX_DIGITS else None


def _power(text: str) -> Recipe | None:
    found = _last(rf"{_NUMBER}\s+(?:to\s+the\s+(?:power\s+of\s+)?|raised\s+to\s+"
                  rf"(?:the\s+power\s+of\s+)?){_NUMBER}", text)
    if not found:
        return None
    base, exponent = _int(found.group(1)), _int(found.group(2))
    if exponent * math.log10(base + 1) > _MAX_DIGITS:
        return None
    return Recipe(f"{base} to the power of {exponent}",
                  f"print(f\"{base} ** {exponent} = {{{base} ** {exponent}:,}}\")")


def _divisors(text: str) -> Recipe | None:
    found = _last(rf"\b(gcd|greatest\s+common\s+(?:divisor|factor)|lcm|least\s+common\s+multiple)"
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


_WORD = r"([\"“‘'][^\"“”‘’]{1,200}?[\"”’']|[A-Za-z]{2,40})"


def _palindrome(text: str) -> Recipe | None:
    """Whether a word or a quoted text reads the same backwards: "is X a palindrome?",
    "(whether) X is a palindrome" (not "write a palindrome checker")."""
    found = (_last(rf"\bis\s+{_WORD}\s+(?:a\s+)?palindrome\b", text)
             or _last(rf"{_WORD}\s+is\s+(?:a\s+)?palindrome\b", text))
    if not found:
        return None
    word = found.group(1)
    word = word[1:-1] if word[0] in "\"“‘'" else word
    if word.lower() in ("it", "this", "that", "there", "which", "what", "who"):
        return None
    return Recipe(f"whether {word!r} is a palindrome", (
        f"text = {word!r}\nletters = [c.lower() for c in text if c.isalnum()]\n"
        "same = letters == letters[::-1]\n"
        "print(f\"{text!r} {'is' if same else 'is not'} a palindrome.\")"))


def _text_count(text: str) -> Recipe | None:
    said = _quoted(text)
    if said is None:
        return None
    if re.search(r"\brevers(?:e|ed|ing)\b", text, _FLAGS):
        return Recipe(f"{said!r} reversed", f"text = {said!r}\nprint(text[::-1])")
    found = _last(r"\b(vowels|letters|characters|words)\b", text)
    if not found or not re.search(r"\b(count|how\s+many|number\s+of)\b", text, _FLAGS):
        return None
    kind = found.group(1).lower()
    measure = {"vowels": "sum(c.lower() in 'aeiou' for c in text)",
               "letters": "sum(c.isalpha() for c in text)", "characters": "len(text)",
               "words": "len(text.split())"}[kind]
    return Recipe(f"the {kind} in {said!r}",
                  f"text = {said!r}\nprint(f\"{{text!r}} has {{{measure}}} {kind}.\")")


def _temperature(text: str) -> Recipe | None:
    found = _last(r"(-?\d{1,6}(?:\.\d{1,6})?)\s*(?:°|degrees?\s*)?\s*(c|celsius|f|fahrenheit)\b",
                  text)
    if not found or not re.search(r"\b(in|to|into|as)\s+(?:degrees\s+)?(?:°\s*)?"
                                  r"(c|celsius|f|fahrenheit)\b", text[found.end():], _FLAGS):
        return None
    value, unit = _figure(found.group(1)), found.group(2).lower()[0]
    if unit == "c":
        return Recipe(f"{value} °C in Fahrenheit", f"celsius = {value!r}\n"
                      "print(f\"{celsius} °C = {celsius * 9 / 5 + 32:g} °F\")")
    return Recipe(f"{value} °F in Celsius", f"fahrenheit = {value!r}\n"
                  "print(f\"{fahrenheit} °F = {(fahrenheit - 32) * 5 / 9:.1f} °C\")")


def _times_table(text: str) -> Recipe | None:
    found = _last(rf"\b(?:multiplication|times)\s+table\s+(?:of|for)\s+{_NUMBER}", text) or \
        _last(rf"{_NUMBER}\s+times\s+table", text)
    if not found:
        return None
    n = _int(found.group(1))
    return Recipe(f"the {n} times table",
                  f"n = {n}\nfor k in range(1, 11):\n    print(f\"{{k:>2}} × {{n}} = {{k * n}}\")")


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
_MONTH = r"(" + "|".join(m[:3] + r"[a-z]*" for m in _MONTHS) + r")\.?"


def _weekday(text: str) -> Recipe | None:
    """The day of the week of a date: "20 July 1969", "July 20, 1969" or "1969-07-20"."""
    if not re.search(r"\b(?:what|which)\s+day\b|\bday\s+of\s+the\s+week\b|\bweekday\b", text,
                     _FLAGS):
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
    _fibonacci, _range_sum, _factorial, _primes, _leap_year, _weekday, _palindrome, _divisors,
    _times_table, _power, _temperature, _text_count, _listed, _arithmetic)


def recipe_for(text: str) -> Recipe | None:
    """The recipe for what ``text`` asks, with its numbers and words; None when the Demo
    model knows none (it then says it cannot write new code)."""
    text = " ".join(text.split())[:2_000]  # one line, and a bounded one, for every pattern
    for recipe in _RECIPES:
        found = recipe(text)
        if found is not None:
            return found
    return None


def recipe_after(task: str, wanted: str) -> Recipe | None:
    """The program for a follow-up ``wanted`` to ``task``: its own, or the task's with the
    follow-up's figure ("What about below 1000?" after the primes below 100; "What about
    15?" after 12 factorial). None when neither changes the task's program: the old figure
    is never computed again as if it were the answer."""
    own = recipe_for(wanted)
    if own is not None:
        return own
    before = recipe_for(task)
    if before is None:
        return None
    both = recipe_for(f"{task}\n{wanted}")
    if both is not None and both != before:
        return both
    figures = re.findall(_NUMBER, wanted, re.A)
    spans = [m.span(1) for m in re.finditer(_NUMBER, task, re.A)]
    if len(figures) != 1 or not spans:
        return None
    start, end = spans[-1]
    swapped = recipe_for(task[:start] + figures[0] + task[end:])
    return swapped if swapped is not None and swapped != before else None
