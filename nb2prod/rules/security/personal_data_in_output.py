"""NB603, NB604: e-mail addresses and phone numbers in outputs."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from nb2prod.analysis import Analysis
from nb2prod.diagnostics import Finding, Severity
from nb2prod.fixes.common import remove_output
from nb2prod.fixes.model import Applicability
from nb2prod.rules._base import Rule, register
from nb2prod.rules.security.outputs import outputs
from nb2prod.rules.security.personal_data import emails, mask_email, mask_phone, phone_numbers


class _PersonalDataRule(Rule):
    """Shared check of NB603/NB604: one finding per output, with a count and one example."""

    noun: str = ""
    nouns: str = ""
    needs_python = False
    fix = Applicability.UNSAFE

    def find(self, text: str) -> Iterable[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def key(self, value: str) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def show(self, value: str) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def check(self, nb: Analysis) -> Iterator[Finding]:
        for cell, i, texts in outputs(nb):
            distinct: dict[str, str] = {}  # normalised -> first as written
            for _where, text in texts:
                for value in self.find(text):
                    distinct.setdefault(self.key(value), value)
            if not distinct:
                continue
            shown = self.show(next(iter(distinct.values())))
            if len(distinct) == 1:
                article = "an" if self.noun[0] in "aeiou" else "a"
                message = f"the output shows {article} {self.noun}: `{shown}`"
            else:
                message = f"the output shows {len(distinct)} {self.nouns}, e.g. `{shown}`"
            yield self.at(cell, message, output=i, fix=remove_output(nb.nb, cell.index, i, f"it shows {self.nouns}"))


@register
class EmailInOutput(_PersonalDataRule):
    """## What it does
    Finds email addresses in saved outputs (streams, text, HTML, tracebacks): a
    `df.head()` of customer records, a printed user object, a log line.

    Only the address of a person is reported. Addresses that are not personal are not:
    reserved example domains (`example.com`, `*.test`), role and no-reply addresses
    (`info@`, `noreply@`, `git@`, `support-eu@`, `sales.team@`), mailing lists and
    mailers (`*-users@`, `*-unsubscribe@`, `owner-*@`, `*@googlegroups.com`, `*@lists.*`,
    `mailbot@`), anonymised ones (`zzzz@`), file names such as `logo@2x.png`, and public
    credits: the author fields of `pip show` and of package metadata (`author_email=`,
    `__email__`), a copyright notice, the AUTHOR section of `help()`.

    ## Why is this bad?
    An email address is personal data (GDPR, CCPA). Saved in a notebook it is copied to
    every clone and rendered on the web, outside any access control or retention policy.

    ## Example
    ```python
    customers.head()   # shows an `email` column
    ```

    ## Use instead
    ```python
    customers.drop(columns=["email"]).head()
    ```

    ## Fix
    Clear the output, and show data without the personal columns (or masked or
    synthetic data) before saving the notebook. `nb2prod lint --fix --unsafe-fixes`
    removes that one output (the cell's other outputs and its execution count stay):
    unsafe, because what the output showed is lost until the cell runs again.
    """

    code = "NB603"
    name = "email-in-output"
    severity = Severity.WARNING
    summary = "An email address appears in a saved output"
    noun = "email address"
    nouns = "email addresses"

    def find(self, text: str) -> Iterable[str]:
        return emails(text)

    def key(self, value: str) -> str:
        return value.lower()

    def show(self, value: str) -> str:
        return mask_email(value)


@register
class PhoneNumberInOutput(_PersonalDataRule):
    """## What it does
    Finds phone numbers in saved outputs. Only numbers written as phone numbers are
    considered: with a `+` country code (`+44 20 7946 0958`) or in the North American
    format with separators (`(415) 555-2671`, `415-555-2671`); each must be a valid
    number for its country (checked with the phonenumbers library). Plain digit runs,
    such as ids and amounts in a DataFrame, signed floats, timestamps with a time zone
    offset and version strings (`version 415.555.2671`) are never reported.

    ## Why is this bad?
    A phone number is personal data (GDPR, CCPA). Saved in a notebook it is copied to
    every clone and rendered on the web, outside any access control or retention policy.

    ## Example
    ```python
    contacts.sample(5)   # shows a `phone` column
    ```

    ## Use instead
    ```python
    contacts.drop(columns=["phone"]).sample(5)
    ```

    ## Fix
    Clear the output, and show data without the personal columns (or masked or
    synthetic data) before saving the notebook. `nb2prod lint --fix --unsafe-fixes`
    removes that one output (the cell's other outputs and its execution count stay):
    unsafe, because what the output showed is lost until the cell runs again.
    """

    code = "NB604"
    name = "phone-number-in-output"
    severity = Severity.WARNING
    summary = "A phone number appears in a saved output"
    noun = "phone number"
    nouns = "phone numbers"

    def find(self, text: str) -> Iterable[str]:
        return phone_numbers(text)

    def key(self, value: str) -> str:
        return re.sub(r"\D", "", value)

    def show(self, value: str) -> str:
        return mask_phone(value)
