import sys

from batch_platform.cli import main

sys.exit(main())
