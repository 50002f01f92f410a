"""Reference data anyone may read: divisions, hotlines, the template's fixed lists."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from app.contacts.service import service_contacts, update_service_contact
from app.divisions.service import list_divisions
from app.registrations import choices
from schema.errors import UserError, perform, require_user
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
    def divisions(
        self, info: Info,
        parent_code: Annotated[str | None, strawberry.argument(
            description="上级区划代码，如450100 Parent division code, e.g. 450100")] = None,
    ) -> list[DivisionType]:
        return [DivisionType.of(d) for d in list_divisions(info.context.session, parent_code=parent_code)]

    @strawberry.field(description="服务咨询电话：传入区划代码时返回所在市和自治区的电话 Hotlines for a division")
    def service_contacts(
        self, info: Info,
        division_code: Annotated[str | None, strawberry.argument(
            description="用户所在区划代码；不传时返回全部 The user's division code; all hotlines when omitted")] = None,
    ) -> list[ServiceContactType]:
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


@strawberry.input(description="服务咨询电话的修改；不传的字段保持不变 Changes to a hotline; omitted fields stay")
class ServiceContactInput:
    label: str | None = strawberry.field(default=None, description="服务单位 Who answers")
    hotline: str | None = strawberry.field(default=None, description="服务咨询电话；空字符串表示暂未公布 Hotline; empty un-publishes")
    supervision_phone: str | None = strawberry.field(default=None, description="服务监督电话 Supervision line")
    service_hours: str | None = strawberry.field(default=None, description="人工服务时间 Service hours")


@strawberry.type(description="服务咨询电话修改结果 Outcome of updateServiceContact")
class ServiceContactPayload:
    contact: ServiceContactType | None = strawberry.field(default=None, description="服务咨询电话 The contact")
    errors: list[UserError] = strawberry.field(default_factory=list, description="错误 Errors")


@strawberry.type
class ReferenceMutations:
    @strawberry.mutation(description="修改某地区的服务咨询电话（系统管理员）Edit a region's hotline (operators)")
    def update_service_contact(
        self, info: Info,
        division_code: Annotated[str, strawberry.argument(
            description="设区的市或自治区的区划代码 Division code of a city or the region")],
        input: Annotated[ServiceContactInput, strawberry.argument(description="要修改的内容 Changes")],
    ) -> ServiceContactPayload:
        user = require_user(info)

        def work(session):  # noqa: ANN001, ANN202
            contact = update_service_contact(
                session, user=user, division_code=division_code, label=input.label, hotline=input.hotline,
                supervision_phone=input.supervision_phone, service_hours=input.service_hours,
            )
            return ServiceContactPayload(contact=ServiceContactType.of(contact))

        return perform(info, ServiceContactPayload, work)
