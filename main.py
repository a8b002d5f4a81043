"""Start cnnviz (the same as the `cnnviz` command)."""
import torch  # noqa: F401  (torch before Qt: avoids DLL clashes on Windows)

from cnnviz.__main__ import main

if __name__ == "__main__":
    raise SystemExit(main())
