"""Signed download links for ID photos and proof PDFs; rights are checked again when a link is used."""

from __future__ import annotations

from sqlmodel import Session

from app.accounts.models import User
from app.documents import service
from app.documents.models import Attachment, Photo
from app.downloads import BUILDERS, Download, link
from app.errors import NotFound
from app.settings import Settings
from app.storage import storage_for

PHOTO = "photo"
ATTACHMENT = "attachment"


def photo_link(settings: Settings, *, user: User, photo: Photo) -> str:
    return link(settings.secret_key, kind=PHOTO, user_id=user.id,
                params={"registration_id": photo.registration_id, "hash": photo.content_hash})


def attachment_link(settings: Settings, *, user: User, attachment: Attachment) -> str:
    return link(settings.secret_key, kind=ATTACHMENT, user_id=user.id, params={"attachment_id": attachment.id})


def photo_download(session: Session, user: User, params: dict, settings: Settings) -> Download:
    registration, photo = service.get_photo(session, user=user, registration_id=int(params["registration_id"]))
    if photo.content_hash != params.get("hash"):
        raise NotFound("电子照片")  # replaced since the link was made: fetch a fresh link
    data = _read(settings, service.photo_key(photo), "电子照片")
    return Download(f"{registration.id_number}.jpg", data, "image/jpeg")


def attachment_download(session: Session, user: User, params: dict, settings: Settings) -> Download:
    attachment = service.get_attachment(session, user=user, attachment_id=int(params["attachment_id"]))
    return Download(attachment.file_name, _read(settings, service.attachment_key(attachment), "证明材料"),
                    "application/pdf")


def _read(settings: Settings, key: str, what: str) -> bytes:
    try:
        return storage_for(settings).read(key)
    except FileNotFoundError as missing:
        raise NotFound(what) from missing


BUILDERS[PHOTO] = photo_download
BUILDERS[ATTACHMENT] = attachment_download
