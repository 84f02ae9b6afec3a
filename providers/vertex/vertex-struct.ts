/**
 * `google.protobuf.Struct` / `Value` as plain objects, in the shape both
 * protobufjs (the SDK) and @grpc/proto-loader (the emulator) use: camelCase
 * oneof members (`stringValue`, `structValue`…), whatever `keepCase` says,
 * because both take the well-known types from protobufjs' bundled copies.
 */
export interface ProtoValue {
  nullValue?: 'NULL_VALUE' | 0;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: ProtoStruct;
  listValue?: { values?: ProtoValue[] };
  /** The oneof's discriminator, set by proto-loader with `oneofs: true`. */
  kind?: string;
}

export interface ProtoStruct {
  fields?: Record<string, ProtoValue>;
}

export function toProtoValue(value: unknown): ProtoValue {
  if (value === null || value === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(toProtoValue) } };
  if (typeof value === 'object') return { structValue: toProtoStruct(value as Record<string, unknown>) };
  if (typeof value === 'bigint') return { numberValue: Number(value) };
  // Functions and symbols have no JSON form either.
  return { nullValue: 'NULL_VALUE' };
}

export function toProtoStruct(object: Record<string, unknown>): ProtoStruct {
  return { fields: Object.fromEntries(Object.entries(object).map(([key, value]) => [key, toProtoValue(value)])) };
}

export function fromProtoValue(value: ProtoValue | null | undefined): unknown {
  if (!value) return null;
  if (value.structValue !== undefined && value.structValue !== null) return fromProtoStruct(value.structValue);
  if (value.listValue !== undefined && value.listValue !== null) return (value.listValue.values ?? []).map(fromProtoValue);
  if (value.stringValue !== undefined && value.stringValue !== null) return value.stringValue;
  if (value.numberValue !== undefined && value.numberValue !== null) return value.numberValue;
  if (value.boolValue !== undefined && value.boolValue !== null) return value.boolValue;
  return null;
}

export function fromProtoStruct(struct: ProtoStruct | null | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(struct?.fields ?? {}).map(([key, value]) => [key, fromProtoValue(value)]));
}
