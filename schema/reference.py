"""Reference data anyone may read: divisions, hotlines, the template's fixed lists."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from app.contacts.service import service_contacts
from app.divisions.service import list_divisions
from app.registrations import choices
from schema.types import DivisionType, ServiceContactType


@strawberry.type(description="报名表的下拉选项 The template's fixed lists, for forms")
class RegistrationOptions:
    ethnicities: list[str] = strawberry.field(description="民族 Ethnicities")
    political_statuses: list[str] = strawberry.field(description="政治面貌 Political statuses")
    educations: list[str] = strawberry.field(description="学历 Education levels")
    enforcement_fields: list[str] = strawberry.field(description="执法门类 Enforcement fields")


@strawberry.type
class ReferenceQueries:
    @strawberry.field(description="行政区划：不传 parentCode 时返回自治区，传入时返回其下级 Divisions under parentCode")
    def divisions(self, info: Info, parent_code: str | None = None) -> list[DivisionType]:
        return [DivisionType.of(d) for d in list_divisions(info.context.session, parent_code=parent_code)]

    @strawberry.field(description="服务咨询电话：传入区划代码时返回所在市和自治区的电话 Hotlines for a division")
    def service_contacts(self, info: Info, division_code: str | None = None) -> list[ServiceContactType]:
        contacts = service_contacts(info.context.session, division_code=division_code)
        return [ServiceContactType.of(c) for c in contacts]

    @strawberry.field(description="报名表的下拉选项 Fixed lists for the registration form")
    def registration_options(self) -> RegistrationOptions:
        return RegistrationOptions(
            ethnicities=list(choices.ETHNICITIES),
            political_statuses=list(choices.POLITICAL_STATUSES),
            educations=list(choices.EDUCATIONS),
            enforcement_fields=list(choices.ENFORCEMENT_FIELDS),
        )
