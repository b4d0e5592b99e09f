"""Google's reference libphonenumber (the `phonenumbers` package) as the oracle of
tests/api/phone_reference.rs: reads one phone number per line on stdin and writes one line per
number, the E.164 form when `phonenumbers.parse(text, "CN")` gives a number that
`is_valid_number` accepts, else `-`.
Usage: python3 phone_reference.py < numbers.txt
Exits with status 2 and a message on stderr when the pinned reference version is missing.
"""
import sys

REFERENCE = "9.0.43"
INSTALL = f"run `python3 -m pip install phonenumbers=={REFERENCE}`"

try:
    import phonenumbers
except ImportError:
    sys.stderr.write(f"the Python package phonenumbers is not installed: {INSTALL}\n")
    sys.exit(2)

if phonenumbers.__version__ != REFERENCE:
    sys.stderr.write(
        f"phonenumbers {phonenumbers.__version__} is installed, the reference is {REFERENCE}: "
        f"{INSTALL}\n"
    )
    sys.exit(2)


def reference(text):
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return "-"
    if not phonenumbers.is_valid_number(number):
        return "-"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def main():
    # Only "\n" ends a line: the inputs may hold any other character.
    sys.stdin.reconfigure(encoding="utf-8", newline="\n")
    sys.stdout.reconfigure(encoding="utf-8", newline="\n")
    for line in sys.stdin:
        sys.stdout.write(reference(line.removesuffix("\n")) + "\n")


if __name__ == "__main__":
    main()
