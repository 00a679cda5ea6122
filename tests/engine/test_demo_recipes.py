"""The Demo model's small programs: a request it knows is written as code with the
person's own numbers and words, and the code computes the answer when it runs (here in a
real Python process); anything else gets no recipe (the honest stand-in)."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from studio.engine.models._demo_recipes import recipe_after, recipe_for

KNOWN = [
    ("Print the first 20 Fibonacci numbers.", "0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, "
                                              "233, 377, 610, 987, 1597, 2584, 4181"),
    ("What is the 30th Fibonacci number?", "F(30) = 832,040 (even)"),
    ("Print the Fibonacci numbers", "The first 10 Fibonacci numbers: 0, 1, 1, 2, 3, 5, 8, 13, 21, 34"),
    ("List the Fibonacci numbers below 89", "0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55\n"),
    ("Fibonacci numbers up to 89", "34, 55, 89\n"),
    ("What is 12 factorial?", "12! = 479,001,600"),
    ("compute 20!", "20! = 2,432,902,008,176,640,000"),
    ("Is 97 a prime?", "97 is prime."),
    ("Is 91 prime?", "91 is not prime: it is 7 × 13."),
    ("Find the primes below 100, then count them", "count: 25, sum: 1,060"),
    ("primes up to 50", "count: 15, sum: 328"),
    ("Which primes are between 10 and 50?", "count: 11, sum: 311"),
    ("List primes from 10 to 50", "primes: 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47\n"),
    ("List the prime numbers below 1,000,000", "count: 78498, sum: 37,550,402,023"),
    ("Sum the numbers from 1 to 100.", "1 + … + 100 = 5,050"),
    ("Sum the numbers from 1 to 10!", "1 + … + 10 = 55"),  # not 10 factorial
    ("What is the total of 1,200 and 3,400?", "total: 4600"),  # thousands, not [1, 200, …]
    ("average of 08, 09 and 10", "average: 9.0"),  # written back by Python: no 08 literal
    ("What is the average of 3, 5 and 8?", "average: 5.3333"),
    ("Sort these numbers: 5, 3, 9, 1", "in order: [1, 3, 5, 9]"),
    ("What is 17 * 23 + 4?", "17 * 23 + 4 = 395"),
    ("what is 2^10", "2^10 = 1024"),
    ("What is 3 x 4?", "3 x 4 = 12"),
    ("what is (2 + 3) * 4", "(2 + 3) * 4 = 20"),
    ("What is 2 to the power of 64?", "2 ** 64 = 18,446,744,073,709,551,616"),
    ("gcd of 48 and 18", "gcd(48, 18) = 6"),
    ("LCM of 4 and 6", "lcm(4, 6) = 12"),
    ("Is 2024 a leap year?", "2024 is a leap year."),
    ("Is 1900 a leap year?", "1900 is not a leap year."),
    ("What day of the week was 20 July 1969?", "Sunday 1969-07-20"),
    ("what day is December 25, 2030", "Wednesday 2030-12-25"),
    ("Is racecar a palindrome?", "'racecar' is a palindrome."),
    ("Check whether level is a palindrome", "'level' is a palindrome."),
    ('Is "A man, a plan, a canal: Panama" a palindrome?', "is a palindrome."),
    ("Is 'hello' a palindrome?", "'hello' is not a palindrome."),
    ('Reverse "hello world"', "dlrow olleh"),
    ('How many vowels are in "programming is fun"?', "has 5 vowels."),
    ('Count the words in "the quick brown fox"', "has 4 words."),
    ("Convert 100 degrees Celsius to Fahrenheit", "100 °C = 212 °F"),
    ("What is 98.6 F in C?", "98.6 °F = 37.0 °C"),
    ("Convert 07 C to F", "7 °C = 44.6 °F"),
    ("Fibonacci numbers below\n100", "89\n"),  # a line break in the request
    ("Print the multiplication table of 7", "10 × 7 = 70"),
]


@pytest.mark.parametrize(("request_text", "printed"), KNOWN)
def test_a_known_request_becomes_a_program_that_computes_it(request_text, printed) -> None:
    recipe = recipe_for(request_text)
    assert recipe is not None, request_text
    done = subprocess.run([sys.executable, "-I", "-c", recipe.code], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert printed in done.stdout, done.stdout


@pytest.mark.parametrize("request_text", [
    "Plan a picnic for 10-20 people",  # a range, not a sum
    "Book the room for 2026-12-02",  # a date, not a sum
    "What is the total cost of 3 items?",  # one figure is no list
    "Which day suits the team best?",  # no date
    "What day was 30 February 2023?",  # no such day
    "Is it a palindrome?",  # of nothing in particular
    "What is 08-15?",  # a figure starting with 0 is a code, not arithmetic
    "Write a haiku about autumn",
    # everyday sentences with a figure, or a recipe's word used otherwise
    "What is the plan for 2024-2025?", "What is 555-1234?", "We need snacks for 3!",
    "What was the total rainfall from 2010 to 2020?",
    "Write a speech for the prime minister, up to 500 words",
    "Write a palindrome checker", "Find the longest palindrome in 'babad'",
    "Explain the Fibonacci sequence in 3 sentences",
    "Don't reverse the decision, it's final",
    # sums that would not end, not print, or not compile
    "What is 9^99^99?", "What is 10^999*10^999*10^999*10^999*10^999", "What is 1)+(2",
    "What is ١٢ + ٣", "What is 2000 factorial?", "What is 9 to the power of 10000?",
    "List the primes between 1 and 5000000", "What is " + "9" * 5000 + " factorial?",
])
def test_a_request_it_does_not_know_gets_no_program(request_text) -> None:
    assert recipe_for(request_text) is None


def test_the_persons_words_are_data_in_the_program_never_code() -> None:
    recipe = recipe_for('Reverse "x\\"); import os; os.system(\\"echo hi"')
    assert recipe is not None
    program = ast.parse(recipe.code).body
    # one string constant and one print: whatever was quoted cannot run
    assert [type(node) for node in program] == [ast.Assign, ast.Expr], recipe.code
    assert isinstance(program[0].value, ast.Constant) and isinstance(program[0].value.value, str)



def test_a_follow_up_changes_the_tasks_figure_or_asks_its_own_program() -> None:
    task = "Find the prime numbers below 100."
    assert recipe_after(task, "What about below 1000?").what == "the prime numbers below 1000"
    assert recipe_after("What is 12 factorial?", "What about 15?").what == "15 factorial"
    assert recipe_after(task, "Is 91 prime?").what == "whether 91 is prime"
    for unread in ("And for my cat?", "What about 100?", "Compare 3 and 4."):
        assert recipe_after(task, unread) is None, unread  # never the old figure again
    assert recipe_after("Plan a picnic", "What about 15?") is None
