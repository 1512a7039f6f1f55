"""The client address behind a reverse proxy, trusted only from the proxy itself."""

from __future__ import annotations

import ipaddress

from werkzeug.middleware.proxy_fix import ProxyFix

# Render's (and most hosts') proxies reach the app from private addresses (config.py's
# TRUSTED_PROXIES); a client that reaches the app directly comes from a public one, and its
# X-Forwarded-For is its own invention.


class TrustedProxyFix:
    """ProxyFix (PROXY_FIX_HOPS hops) applied only when the peer is one of the trusted networks,
    so a rotating X-Forwarded-For cannot move a direct caller out of its rate-limit bucket."""

    def __init__(self, app, hops: int, networks: str):
        self.app = app
        self.fixed = ProxyFix(app, x_for=hops, x_proto=1, x_host=1)
        self.networks = [ipaddress.ip_network(n.strip()) for n in networks.split(",") if n.strip()]

    def _trusted(self, addr: str | None) -> bool:
        try:
            ip = ipaddress.ip_address(addr or "")
        except ValueError:
            return False
        return any(ip in net for net in self.networks if net.version == ip.version)

    def __call__(self, environ, start_response):
        if self._trusted(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)
