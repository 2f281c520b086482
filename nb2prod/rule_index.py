"""Every rule's code and name, known without importing the rules.

The configuration and the command line resolve selectors (``NB1``, ``unseeded-python-random``)
at every start; importing the rule modules for that costs ~80 ms, and a run whose results
come from the cache never needs them. ``tests/test_rule_index.py`` checks this table against
the registry; regenerate it with ``python -m nb2prod.rule_index`` (which rewrites this file).
"""

from __future__ import annotations

__all__ = ["RULE_NAMES"]

# code -> name, in code order (as nb2prod.rules.REGISTRY).
RULE_NAMES: dict[str, str] = {
    "NB101": "unseeded-python-random",
    "NB102": "unseeded-numpy-random",
    "NB103": "unseeded-random-generator",
    "NB104": "unseeded-torch",
    "NB105": "unseeded-tensorflow",
    "NB106": "missing-random-state",
    "NB107": "unpinned-remote-data",
    "NB108": "unpinned-hub-revision",
    "NB109": "random-state-may-matter",
    "NB201": "undeclared-dependency",
    "NB202": "unpinned-dependency",
    "NB203": "missing-dependency-file",
    "NB204": "unpinned-install",
    "NB205": "missing-kernelspec",
    "NB206": "missing-language-version",
    "NB301": "out-of-order-execution",
    "NB302": "unexecuted-cell",
    "NB303": "error-output",
    "NB304": "use-before-definition",
    "NB305": "name-from-hidden-state",
    "NB306": "skipped-execution-counts",
    "NB307": "cell-fails-on-rerun",
    "NB308": "output-not-reproducible",
    "NB309": "output-differs-from-saved",
    "NB310": "execution-incomplete",
    "NB401": "no-tests",
    "NB402": "predict-untested",
    "NB403": "test-cell-without-assertion",
    "NB501": "user-home-path",
    "NB502": "absolute-path",
    "NB503": "change-directory",
    "NB504": "shell-command",
    "NB505": "non-portable-magic",
    "NB506": "path-outside-project",
    "NB507": "gpu-only-code",
    "NB601": "secret-in-source",
    "NB602": "secret-in-output",
    "NB603": "email-in-output",
    "NB604": "phone-number-in-output",
    "NB605": "unsafe-archive-extraction",
    "NB606": "unsafe-deserialization",
    "NB701": "undefined-name",
    "NB702": "unused-import",
    "NB703": "empty-cell",
    "NB704": "huge-output",
    "NB705": "no-title",
    "NB706": "predict-cell-without-function",
    "NB707": "unknown-tag",
    "NB708": "syntax-error",
    "NB709": "example-cell-without-example",
    "NB710": "reference-cell-without-reference",
    "NB711": "conflicting-tags",
    "NB712": "missing-predict-cell",
    "NB713": "scattered-imports",
    "NB714": "invalid-notebook-schema",
    "NB715": "long-cell",
    "NB720": "unused-suppression",
}


def _generate() -> str:
    from nb2prod.rules import REGISTRY

    with open(__file__, encoding="utf-8") as fh:
        text = fh.read()
    head, _, _ = text.partition("RULE_NAMES: dict[str, str] = {\n")
    _, _, tail = text.partition("\n}\n")
    body = "".join(f'    "{code}": "{rule.name}",\n' for code, rule in REGISTRY.items())
    return head + "RULE_NAMES: dict[str, str] = {\n" + body + "}\n" + tail


if __name__ == "__main__":
    with open(__file__, encoding="utf-8") as fh:
        current = fh.read()
    new = _generate()
    if new != current:
        with open(__file__, "w", encoding="utf-8") as fh:
            fh.write(new)
