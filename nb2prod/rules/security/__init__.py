"""NB6xx: security and privacy. No secrets or personal data in the file.

Secrets are found by :mod:`nb2prod.secret_scan` (which imports no rule); these rules
report them in sources (NB601) and outputs (NB602), never with the secret in clear.
Personal data (e-mail addresses, phone numbers) in outputs are NB603 and NB604.
Downloaded files handled unsafely (an archive extracted without a filter, a pickle
loaded) are NB605 and NB606.
"""

# Importing the rule modules registers their rules; the scanners they read live in
# ``outputs`` and ``personal_data`` (and :mod:`nb2prod.secret_scan`).
from nb2prod.rules.security import (  # noqa: F401  (imported for their side effect)
    personal_data_in_output,
    secrets,
    unsafe_downloads,
)
