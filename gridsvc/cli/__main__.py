"""``python -m gridsvc.cli``: the same as ``gridsvc``."""

from gridsvc.cli import main

main()
