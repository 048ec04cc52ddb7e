"""``python -m stackapi`` runs ``stackapi-server``."""

import sys

from stackapi.cli import main

sys.exit(main())
