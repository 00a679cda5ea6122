"""What every route needs: the caller (key checked, rate limited) and the served teams."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ._auth import Caller
from ._service import Teams

_bearer = HTTPBearer(auto_error=False, description="An API key from the studio's Deploy page. "
                     "Required when the service listens beyond loopback.")


def current_caller(request: Request,
                   _credentials: Annotated[HTTPAuthorizationCredentials | None,
                                           Depends(_bearer)] = None) -> Caller:
    return request.app.state.gate.check(request.headers)


def current_teams(request: Request) -> Teams:
    return request.app.state.teams


CallerDep = Annotated[Caller, Depends(current_caller)]
TeamsDep = Annotated[Teams, Depends(current_teams)]
