"""Whether CDS Hooks is reachable from the network, and what that requires at boot.

Reachable means a non-loopback bind, or a reverse proxy in front (``BMRISK_PROXY_HOPS``): then
the EHR's JWT issuer and a fixed public URL (the tokens' audience) are required, unless the site
opts out explicitly, which is logged loudly at every boot.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from service.auth import StartupRefused, is_loopback
from service.logging import log_event


def reachable_from_network(config: Mapping[str, Any]) -> bool:
    """Whether others can reach the service: a non-loopback bind, or a proxy in front."""
    return not is_loopback(config["HOST"]) or config["PROXY_HOPS"] > 0


def check_exposure(config: Mapping[str, Any], exposed: bool) -> None:
    """Refuse to serve CDS Hooks to the network without JWT and a fixed public URL."""
    if not exposed or config["CDS_ALLOW_UNAUTHENTICATED"]:
        return
    missing = [f"BMRISK_{name}" for name in ("CDS_JWT_ISSUERS", "PUBLIC_URL")
               if not config[name]]
    if missing:
        raise StartupRefused(
            f"refusing to start: CDS Hooks would be reachable from the network "
            f"(BMRISK_HOST={config['HOST']}, BMRISK_PROXY_HOPS={config['PROXY_HOPS']}) without "
            f"{' and '.join(missing)}. Set {' and '.join(missing)} (the EHR's JWT issuer and "
            "the service's external https URL, the tokens' audience), or set "
            "BMRISK_CDS_ALLOW_UNAUTHENTICATED=true to serve CDS Hooks to anyone who can reach "
            "it, or bind to 127.0.0.1.")


def log_exposure(config: Mapping[str, Any], exposed: bool) -> None:
    """Say at boot whether CDS Hooks is authenticated and whether it may fetch from FHIR."""
    if config["CDS_JWT_ISSUERS"]:
        log_event("cds_auth", auth="jwt", issuer=sorted(config["CDS_JWT_ISSUERS"]))
    else:
        log_event("cds_auth_disabled", level=logging.WARNING, auth="off",
                  detail="CDS HOOKS AUTHENTICATION IS OFF: BMRISK_CDS_JWT_ISSUERS is empty, so "
                         "any caller that can reach /cds-services gets cards and may post "
                         "feedback" + (" (BMRISK_CDS_ALLOW_UNAUTHENTICATED=true on a network "
                                       "bind)." if exposed else "; loopback bind only."))
    if exposed and not config["CDS_FHIR_SERVERS"]:
        log_event("cds_fetch_disabled", level=logging.WARNING,
                  detail="BMRISK_CDS_FHIR_SERVERS is empty: prefetch only, the service fetches "
                         "from no FHIR server.")
