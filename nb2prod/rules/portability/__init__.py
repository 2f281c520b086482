"""NB5xx: portability. Does the notebook run on a machine that is not its author's?

Paths are judged from the string literals collected once by :class:`Analysis`; shell
commands and magics from the :class:`~nb2prod.code.Magic` facts of each cell. Shell
commands and magics in cells tagged `skip` are not reported (those cells never run at
build time and are never exported); paths and directory changes are reported in every
cell, because a `skip` cell that changes directory or reads a private file still makes the
interactive run differ from the build.
"""

# Importing the rule modules registers their rules; the scanners they read live in
# ``paths`` and ``magics``.
from nb2prod.rules.portability import (  # noqa: F401  (imported for their side effect)
    absolute_path,
    change_directory,
    gpu_only,
    non_portable_magic,
    path_outside_project,
    shell_command,
    user_home_path,
)
