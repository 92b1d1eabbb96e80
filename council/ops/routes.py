"""Operations: the probes a load balancer and monitoring poll. No sign-in: /healthz and /readyz
say nothing private, /metrics checks its own token (council.web.ops)."""

from litestar import Router

from council.web.home import healthz
from council.web.ops import metrics, readyz

page_router = Router(path="/", route_handlers=[healthz, readyz, metrics])
