// Errors the admin API renders as JSON: { error: { code, message, pointer? } }.
export class ApiError extends Error {
  public readonly status: number;
  public readonly code: string;
  public readonly pointer?: string;
  constructor(
    status: number,
    code: string,
    message: string,
    /** JSON pointer into the request body, for validation errors. */
    pointer?: string,
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.pointer = pointer;
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);
export const invalid = (pointer: string, message: string) => new ApiError(400, 'invalid', message, pointer);
