import sys

from spmsim.cli import main

sys.exit(main())
