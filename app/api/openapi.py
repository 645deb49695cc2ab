"""The OpenAPI 3.1 description of /api/v1/, generated from the code: apispec builds the document; every body and
query parameter comes from the pydantic models in app.api.schemas (JSON Schema 2020-12, which OpenAPI 3.1 uses
as is); the operations come from the `api_route` registrations in app.api.views."""

from __future__ import annotations

from dataclasses import dataclass, field

from apispec import APISpec
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from . import schemas
from .problems import PROBLEM_TYPE

REF = "#/components/schemas/{model}"
#: Error statuses every operation documents (all as problem+json).
ERROR_STATUSES = ("400", "401", "403", "404", "429", "500")


@dataclass
class Operation:
    """One documented GET operation: Flask rule, OpenAPI path, query and response models, words."""

    rule: str
    path: str
    endpoint: str
    summary: str
    description: str
    query: type[BaseModel]
    response: type[BaseModel] | None
    path_params: list[str] = field(default_factory=list)
    tag: str = ""
    secured: bool = True


#: Filled by app.api.views at import time, in the order of registration.
OPERATIONS: list[Operation] = []

ERROR_TEXT = {"400": "Tham số không hợp lệ / Bad query parameter", "401": "Thiếu hoặc sai mã truy cập / Missing or bad token",
              "403": "Không có quyền / Forbidden for this token's user", "404": "Không tìm thấy / Not found (or outside your scope)",
              "429": "Quá nhiều yêu cầu / Rate limited", "500": "Lỗi máy chủ / Server error"}


def _parameters(query: type[BaseModel]) -> list[dict]:
    """OpenAPI query parameters from a pydantic query model's fields (schema, required, description)."""
    schema = query.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", "")
        prop.pop("title", None)
        param = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            param["description"] = description
        params.append(param)
    return params


def build_spec(server_url: str = "/api/v1") -> dict:
    """The whole OpenAPI 3.1.0 document as a dict (components from every response model and Problem)."""
    spec = APISpec(title="Đạt chuẩn API", version="1.0.0", openapi_version="3.1.0",
                   info={"description": "API chỉ đọc của Đạt chuẩn. Xác thực: `Authorization: Bearer <mã>` do quản trị viên cấp. "
                                        "Mọi danh sách được phân trang (`page`, `per_page` ≤ 100). Lỗi theo RFC 9457 "
                                        "(application/problem+json), tiếng Việt, hoặc tiếng Anh với `Accept-Language: en`.\n\n"
                                        "Read-only API. Every list is paginated; errors are RFC 9457 problem details."},
                   servers=[{"url": server_url}])
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "dc_<prefix>_<secret>"})
    models = {schemas.Problem} | {op.response for op in OPERATIONS if op.response is not None}
    _keys, top = models_json_schema([(m, "serialization") for m in sorted(models, key=lambda m: m.__name__)], ref_template=REF)
    for name, component in sorted(top.get("$defs", {}).items()):
        spec.components.schema(name, component=component)
    for op in OPERATIONS:
        responses: dict = {}
        if op.response is not None:
            responses["200"] = {"description": "OK", "content": {"application/json": {"schema": {"$ref": REF.format(model=op.response.__name__)}}}}
        for status in ERROR_STATUSES:
            if status in ("401", "403") and not op.secured:
                continue
            responses[status] = {"description": ERROR_TEXT[status],
                                 "content": {PROBLEM_TYPE: {"schema": {"$ref": REF.format(model="Problem")}}}}
        parameters = [{"name": p, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}}
                      for p in op.path_params] + _parameters(op.query)
        parameters.append({"name": "Accept-Language", "in": "header", "required": False,
                           "schema": {"type": "string", "enum": ["vi", "en"]}, "description": "Ngôn ngữ của thông báo lỗi / Language of error details"})
        operation = {"summary": op.summary, "description": op.description, "operationId": op.endpoint, "parameters": parameters,
                     "responses": responses, "tags": [op.tag] if op.tag else []}
        operation["security"] = [{"bearerAuth": []}] if op.secured else []
        spec.path(path=op.path, operations={"get": operation})
    return spec.to_dict()
