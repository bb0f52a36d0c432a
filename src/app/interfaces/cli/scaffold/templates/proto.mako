<%
    E, e, N = c.Entity, c.entity, c.name
    first = 3 if c.owner else 2
%>\
syntax = "proto3";

package ${proto_package};

import "google/protobuf/struct.proto";
import "google/protobuf/timestamp.proto";

// ${c.words.capitalize()}: the same use cases as REST /api/v1/${N}/, with the same permissions.
service ${c.Entities}Service {
% if c.owner:
  // A new ${c.entity_words} of the caller; INVALID_ARGUMENT names each bad field.
% else:
  // A new ${c.entity_words} (${N}:write); INVALID_ARGUMENT names each bad field.
% endif
  rpc Create${E}(Create${E}Request) returns (Create${E}Response);
% if c.owner:
  // One of the caller's ${c.words} (anyone's with ${N}:read); NOT_FOUND otherwise.
% else:
  // One ${c.entity_words} (${N}:read); NOT_FOUND for an unknown uuid.
% endif
  rpc Get${E}(Get${E}Request) returns (Get${E}Response);
  // ${c.words.capitalize()} matching the filters, a page at a time, as REST GET /api/v1/${N}/: the same
  // filter DSL, allow-list, limits and cursors.
  rpc List${c.Entities}(List${c.Entities}Request) returns (List${c.Entities}Response);
  // Change the fields that are set (and clear those named in `clear`).
  rpc Update${E}(Update${E}Request) returns (Update${E}Response);
  rpc Delete${E}(Delete${E}Request) returns (Delete${E}Response);
}

// Decimals are their text (12.50), dates ISO 8601 text (YYYY-MM-DD), choices their value.
message ${E} {
  string uuid = 1;
% if c.owner:
  string owner_uuid = 2;
% endif
% for number, f in enumerate(c.fields, first):
  ${k.proto_field(f, presence=f.optional)} ${f.name} = ${number};
% endfor
  google.protobuf.Timestamp created_at = ${first + len(c.fields)};
  google.protobuf.Timestamp updated_at = ${first + len(c.fields) + 1};
}

// Every field has presence: one left out is missing (INVALID_ARGUMENT unless it is optional).
message Create${E}Request {
% for number, f in enumerate(c.fields, 1):
  ${k.proto_field(f, presence=True)} ${f.name} = ${number};
% endfor
}

message Create${E}Response {
  ${E} ${e} = 1;
}

message Get${E}Request {
  string uuid = 1;
}

message Get${E}Response {
  ${E} ${e} = 1;
}

message List${c.Entities}Request {
  // One condition of the filter DSL: `key` is `field__lookup` (REST's query key), `value` its
  // text, read as the field's type.
  message Filter {
    string key = 1;
    string value = 2;
  }

  // All must match; a list lookup may name its key once per item.
  repeated Filter filters = 1;
  // Fields to order by, `-` first for descending; unset: -created_at. Ties go by uuid.
  repeated string order_by = 2;
  // 1 to MAX_PAGE_SIZE; unset: MAX_PAGE_SIZE.
  optional int32 limit = 3;
  // Rows to skip (a page by number); not with `after`.
  int64 offset = 4;
  // The `next` of the previous page, with the same filters and order_by.
  optional string after = 5;
}

message List${c.Entities}Response {
  repeated ${E} items = 1;
  // How many ${c.words} the filters match.
  int64 total = 2;
  int32 limit = 3;
  int64 offset = 4;
  // The cursor of the page that follows, for `after`; unset on the last page.
  optional string next = 5;
}

message Update${E}Request {
  string uuid = 1;
% for number, f in enumerate(c.fields, 2):
  ${k.proto_field(f, presence=True)} ${f.name} = ${number};
% endfor
  // Names of the optional fields to set to null (what JSON null does in REST PATCH).
  repeated string clear = ${len(c.fields) + 2};
}

message Update${E}Response {
  ${E} ${e} = 1;
}

message Delete${E}Request {
  string uuid = 1;
}

message Delete${E}Response {}
