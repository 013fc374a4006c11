"""Public (no login) endpoints: online submission, progress by number + code, rating."""

from ninja import Router

router = Router(tags=["群众自助"], auth=None)
