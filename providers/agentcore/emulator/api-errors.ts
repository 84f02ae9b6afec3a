/**
 * AgentCore's restJson1 errors: the type in `x-amzn-errortype` (the SDK reads
 * it first), `{"message": …}` in the body, plus the modelled extra fields
 * (`reason` and `fieldList` of ValidationException).
 * https://docs.aws.amazon.com/bedrock-agentcore/latest/APIReference/CommonErrors.html
 */
export type AgentCoreErrorType =
  | 'ValidationException'
  | 'AccessDeniedException'
  | 'MissingAuthenticationTokenException'
  | 'ResourceNotFoundException'
  | 'ServiceQuotaExceededException'
  | 'ConflictException'
  | 'RuntimeClientError'
  | 'ThrottlingException'
  | 'InternalServerException'
  | 'ServiceUnavailableException';

const typeByStatus: Record<number, AgentCoreErrorType> = {
  400: 'ValidationException',
  402: 'ServiceQuotaExceededException',
  403: 'AccessDeniedException',
  404: 'ResourceNotFoundException',
  409: 'ConflictException',
  424: 'RuntimeClientError',
  429: 'ThrottlingException',
  503: 'ServiceUnavailableException',
};

/** The error type AgentCore pairs with a status; other 4xx are validation errors, other 5xx internal ones. */
export function errorTypeForStatus(status: number): AgentCoreErrorType {
  return typeByStatus[status] ?? (status >= 500 ? 'InternalServerException' : 'ValidationException');
}

/** A failure a handler throws; the router renders it with AgentCore's headers and body. */
export class AgentCoreApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly type: AgentCoreErrorType = errorTypeForStatus(status),
  ) {
    super(message);
    this.name = 'AgentCoreApiError';
  }
}

/** A ValidationException naming the field, as the service reports a constraint violation. */
export function fieldInvalid(name: string, message: string): AgentCoreApiError {
  return new AgentCoreApiError(400, `1 validation error detected: Value at '${name}' failed to satisfy constraint: ${message}`, {
    reason: 'FieldValidationFailed',
    fieldList: [{ name, message }],
  });
}

export const notFound = (message: string) => new AgentCoreApiError(404, message);
