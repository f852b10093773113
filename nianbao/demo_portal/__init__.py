"""The bundled demo government portal (static site + quirky test server)."""
from nianbao.demo_portal.server import (  # noqa: F401
    DEMO_SITE,
    PortalHandle,
    PortalServer,
    Quirks,
    RequestLog,
    main,
    start_portal,
)

MANIFEST = DEMO_SITE.parent / "manifest.json"
