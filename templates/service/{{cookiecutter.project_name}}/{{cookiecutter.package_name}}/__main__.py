"""`python -m {{ cookiecutter.package_name }}`: the same command line as `{{ cookiecutter.project_name }}`."""

from {{ cookiecutter.package_name }}.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
