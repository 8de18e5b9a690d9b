"""/keys (admin): create (the key is returned once), list, revoke."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlmodel import select

from monitor.api.auth import AdminKey, forget_keys
from monitor.api.errors import not_found
from monitor.api.params import IdPath
from monitor.keys import KeyError_, create_key, hash_key, list_keys, revoke_key
from monitor.models import ApiKey
from monitor.schemas import KeyCreate, KeyCreated, KeyPublic
from monitor.web.deps import SessionDep

router = APIRouter(prefix="/keys", tags=["keys"])


@router.get("", response_model=list[KeyPublic], summary="List API keys (admin)")
def get_keys(session: SessionDep, _key: AdminKey) -> list[KeyPublic]:
    """Every key: prefix, role, last use; never the key or its hash."""
    return [KeyPublic.model_validate(k) for k in list_keys(session)]


@router.post("", response_model=KeyCreated, status_code=201, summary="Create an API key (admin)")
def post_key(body: KeyCreate, session: SessionDep, key: AdminKey) -> KeyCreated:
    """Create a key; `key` in the answer is shown this once."""
    plain = create_key(session, body.role, body.name, actor=key.actor)
    row = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(plain))).one()
    return KeyCreated.model_validate({**KeyPublic.model_validate(row).model_dump(), "key": plain})


@router.delete("/{key_id}", response_model=KeyPublic, summary="Revoke an API key (admin)")
def delete_key(request: Request, key_id: IdPath, session: SessionDep, key: AdminKey) -> KeyPublic:
    """Revoke a key: it stops working at once here, within `api_key_cache_seconds` in other API processes."""
    try:
        row = revoke_key(session, key_id, actor=key.actor)
    except KeyError_:
        raise not_found("key", key_id) from None
    session.commit()
    forget_keys(request.app)
    return KeyPublic.model_validate(row)
