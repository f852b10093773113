import sys

from nianbao.demo_portal.server import main

sys.exit(main())
