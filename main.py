"""Start cnnviz (the same as the `cnnviz` command)."""
from cnnviz.__main__ import main

if __name__ == "__main__":
    raise SystemExit(main())
