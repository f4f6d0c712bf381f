# -*- coding: utf-8 -*-
"""Stand-in for ansible-test's get-pip bootstrap script, for machines that cannot reach ci-files.testing.ansible.com.

ansible-test creates each sanity virtual environment without pip and runs its cached copy of get-pip.py
(~/.ansible/test/cache/get_pip_<version>.py) with the new environment's interpreter and arguments such as
``--disable-pip-version-check pip==24.2 --no-setuptools --no-wheel``. tests/quality/test_quality.py puts this file
there when no copy exists. It installs the pip wheel the interpreter itself carries (ensurepip: no network), then
asks that pip for the requested version through the machine's configured index; when no index answers, the
bundled pip stays (ansible-test only needs a working pip in the environment).
"""

import ensurepip
import os
import subprocess
import sys


def main():
    ensurepip.bootstrap(upgrade=True)
    # ensurepip points pip at an empty configuration while it runs; the machine's index settings are needed again.
    os.environ.pop("PIP_CONFIG_FILE", None)
    # Options of get-pip.py itself (--no-setuptools, --no-wheel) are not pip's: only the requirements are passed on.
    requirements = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
    if not requirements:
        return 0
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
                          + requirements, check=False)
    if proc.returncode != 0:
        sys.stderr.write("ansible_test_get_pip: %s not installable from the configured index; keeping the bundled "
                         "pip %s\n" % (" ".join(requirements), ensurepip.version()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
