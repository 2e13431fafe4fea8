"""``python -m channelstudy``: the same as the ``channelstudy`` command."""

import sys

from channelstudy.cli import main

sys.exit(main())
