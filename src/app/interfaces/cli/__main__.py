import sys

from app.interfaces.cli.main import main

sys.exit(main())
