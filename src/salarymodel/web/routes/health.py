"""Liveness and readiness, for a load balancer or an orchestrator."""

from __future__ import annotations

from fastapi import APIRouter

from ..params import ModelDep
from ..schemas import Health, Ready

__all__ = ["router"]

router = APIRouter(tags=["health"])


# async: it answers on the event loop, so it never queues behind model work in the
# worker-thread pool the other routes share.
@router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz() -> dict:
    return {"ok": True}


@router.get("/readyz", response_model=Ready, summary="The model is loaded and answers")
def readyz(model: ModelDep) -> dict:
    return {"ready": model.predict(model.core.countries[0], 5).median > 0}
